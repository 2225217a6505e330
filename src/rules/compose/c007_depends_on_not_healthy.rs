use crate::compose::model::Service;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports a reverse-proxy service (nginx, Caddy, Traefik, HAProxy, Envoy, Apache httpd — told by its
    /// image, build or name) that `depends_on` a backend without `condition: service_healthy`, or whose
    /// backend defines no `healthcheck` for that condition to wait on. A backend whose image may have a
    /// `HEALTHCHECK` of its own (one it builds, or one outside the Docker Official Images, which define
    /// none) is not reported for the missing `healthcheck`: compose uses the image's.
    ///
    /// ## Why is this bad?
    /// `depends_on` alone waits only until the backend's container has started, not until the application
    /// in it accepts connections. The proxy's first requests get 502 Bad Gateway while the backend boots.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx:1.27
    ///     depends_on:
    ///       - app
    ///   app:
    ///     build: .
    /// ```
    ///
    /// ## How to fix
    /// Give the backend a health check and wait for it:
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx:1.27
    ///     depends_on:
    ///       app:
    ///         condition: service_healthy
    ///   app:
    ///     build: .
    ///     healthcheck:
    ///       test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
    /// ```
    pub static RULE = Rule {
        code: "C007",
        name: "depends-on-not-healthy",
        severity: Info,
        summary: "a proxy waits only for its backend's container to start, not for it to be healthy",
        check: Check::Compose(check),
    }
}

const PROXIES: &[&str] = &[
    "nginx",
    "openresty",
    "caddy",
    "traefik",
    "haproxy",
    "envoy",
    "httpd",
    "apache",
    "nginx-proxy",
    "nginx-proxy-manager",
];

/// Whether the service is a reverse proxy, judging by its image, build and name.
pub fn is_proxy(s: &Service) -> bool {
    let image_name = s.image.as_ref().map(|i| {
        let last = i.value.rsplit('/').next().unwrap_or(&i.value);
        last.split([':', '@'])
            .next()
            .unwrap_or(last)
            .to_ascii_lowercase()
    });
    if let Some(name) = image_name {
        return PROXIES
            .iter()
            .any(|p| name == *p || name.starts_with(&format!("{p}-")));
    }
    let mut hints = vec![s.name.value.to_ascii_lowercase()];
    if let Some(b) = &s.build {
        hints.extend(b.context.as_ref().map(|c| c.value.to_ascii_lowercase()));
        hints.extend(b.dockerfile.as_ref().map(|c| c.value.to_ascii_lowercase()));
    }
    hints.iter().any(|h| {
        ["nginx", "caddy", "traefik", "haproxy", "proxy"]
            .iter()
            .any(|p| h.contains(p))
    })
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for s in &cx.project.services {
        if !is_proxy(s) {
            continue;
        }
        for d in &s.depends_on {
            let Some(backend) = cx.project.service(&d.service.value) else {
                continue;
            };
            let cond = d.condition.as_ref().map(|c| c.value.as_str());
            if cond == Some("service_completed_successfully") {
                continue;
            }
            let name = &d.service.value;
            match (cond, backend.healthcheck) {
                (Some("service_healthy"), Some(_)) => {}
                // Its image's own HEALTHCHECK counts, and compose uses it.
                (Some("service_healthy"), None) if image_may_check_health(backend) => {}
                (Some("service_healthy"), None) => out.push(
                    RULE.diag(
                        d.service.span,
                        format!("\"{}\" waits for \"{name}\" to be healthy, but \"{name}\" defines no healthcheck", s.name.value),
                    )
                    .with_related(backend.name.span, format!("\"{name}\" is defined here"))
                    .with_help(format!("add a `healthcheck` to \"{name}\" that succeeds once it accepts connections")),
                ),
                (_, hc) => {
                    let mut diag = RULE.diag(
                        d.service.span,
                        format!(
                            "\"{}\" starts as soon as \"{name}\"'s container starts, not when it accepts connections",
                            s.name.value
                        ),
                    );
                    let help = if hc.is_some() {
                        format!("wait for its health check: `depends_on: {{{name}: {{condition: service_healthy}}}}`")
                    } else if image_may_check_health(backend) {
                        diag = diag.with_related(backend.name.span, format!("\"{name}\" defines no `healthcheck` here; its image may have a HEALTHCHECK"));
                        format!("wait for \"{name}\" to be healthy: `depends_on: {{{name}: {{condition: service_healthy}}}}`, with a `healthcheck` if its image has none")
                    } else {
                        diag = diag.with_related(backend.name.span, format!("\"{name}\" defines no healthcheck"));
                        format!("give \"{name}\" a `healthcheck` and wait for it: `depends_on: {{{name}: {{condition: service_healthy}}}}`")
                    };
                    out.push(diag.with_help(help));
                }
            }
        }
    }
}

/// Whether the service's image may define a `HEALTHCHECK` of its own: one it builds, or one outside the
/// Docker Official Images (which leave health checks to the user).
fn image_may_check_health(s: &Service) -> bool {
    s.build.is_some()
        || s.image.as_ref().map_or(true, |i| {
            let repo = i.value.split(['@']).next().unwrap_or(&i.value);
            let path = match repo.rsplit_once(':') {
                Some((p, t)) if !t.contains('/') => p,
                _ => repo,
            };
            path.contains('/')
                && !path.starts_with("library/")
                && !path.starts_with("docker.io/library/")
        })
}
