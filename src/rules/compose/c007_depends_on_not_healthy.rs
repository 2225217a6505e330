use crate::compose::model::{Command, Service};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::Host;
use crate::rules::{Check, ComposeCx};
use crate::stack::images::ImageRef;
use crate::stack::resolve::{resolve, Resolution};
use crate::stack::targets::pass_targets_known;

declare_rule! {
    /// ## What it does
    /// Reports a reverse-proxy service (nginx, Caddy, Traefik, HAProxy, Envoy, Apache httpd — told by its
    /// image, build or name) that `depends_on` a backend without `condition: service_healthy`, or whose
    /// backend defines no `healthcheck` for that condition to wait on. A backend whose image may have a
    /// `HEALTHCHECK` of its own (one it builds, or one outside the Docker Official Images, which define
    /// none) is not reported for the missing `healthcheck`: compose uses the image's.
    ///
    /// A backend is a service the proxy passes requests to. When the proxy runs an nginx configuration from
    /// the repository whose every target wirelint can tell, only the services those targets reach are
    /// backends; otherwise every dependency is, except a data or init container (a bare `busybox`,
    /// `alpine`, `debian`, `ubuntu` or `tianon/true` image, or `command: true`), a certificate job (certbot,
    /// acme.sh) and one waited on with `condition: service_completed_successfully`.
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

/// The placements of the services the proxy's nginx passes requests to, when the stack shows all of its
/// targets: an nginx configuration from the repository runs in the service with a main file wirelint knows,
/// every pass target is known, and each is a service of the stack or loopback. `None` otherwise (another
/// proxy, a target through a variable, a unix socket, an IP, a name outside the stack or that no service
/// answers to: an upstream the repository does not show).
fn proxied_services(cx: &ComposeCx<'_>, proxy: &Service) -> Option<Vec<usize>> {
    let (stack, project) = cx.stack?;
    let from = stack.find(project, &proxy.name.value)?;
    let placement = &stack.placements[from];
    // The main file is the repository's or a known image's, not the usual layout assumed for an image
    // wirelint does not know (its own `nginx.conf` may include more).
    placement.fs.get("/etc/nginx/nginx.conf")?;
    let config = placement.nginx.as_ref()?;
    let (targets, complete) = pass_targets_known(cx.sources, config);
    if !complete {
        return None;
    }
    // Loopback is the container itself, or the service whose network namespace the proxy joins.
    let joined = match proxy.network_mode.as_ref().map(|m| m.value.as_str()) {
        Some(m) if m.starts_with("service:") => Some(stack.find(project, &m["service:".len()..])?),
        Some(m) if m.starts_with("container:") => return None,
        _ => None,
    };
    let mut out = Vec::new();
    for t in &targets {
        let resolution = match &t.host {
            Host::Name(name) => resolve(stack, from, name),
            Host::Ip(ip) if ip.is_loopback() => Resolution::Loopback,
            _ => return None,
        };
        match resolution {
            Resolution::Service { placement, .. } => out.push(placement),
            Resolution::Loopback => out.extend(joined),
            _ => return None,
        }
    }
    Some(out)
}

/// Whether the dependency is a data or init container: a bare base image (busybox, alpine …) or a
/// `command: true`.
fn is_data_container(s: &Service) -> bool {
    let base = s.image.as_ref().is_some_and(|i| {
        let repo = i
            .value
            .split(['@', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let repo = repo
            .strip_prefix("docker.io/")
            .unwrap_or(&repo)
            .strip_prefix("library/")
            .unwrap_or(&repo);
        ["busybox", "alpine", "debian", "ubuntu", "tianon/true"].contains(&repo)
    });
    let first = match &s.command {
        Some(Command::Exec(words)) => words.first().map(|w| w.value.as_str()),
        Some(Command::Shell(line)) => line.value.split_whitespace().next(),
        None => None,
    };
    base || matches!(first, Some("true" | "/bin/true"))
}

/// Whether the dependency is, by its image or name, a certificate job (certbot, acme.sh) rather than a
/// server the proxy passes to.
fn is_certificate_job(s: &Service) -> bool {
    let image = s.image.as_ref().map(|i| i.value.to_ascii_lowercase());
    let name = s.name.value.to_ascii_lowercase();
    [image.as_deref().unwrap_or(""), name.as_str()]
        .iter()
        .any(|h| {
            ["certbot", "acme.sh", "acme-companion"]
                .iter()
                .any(|j| h.contains(j))
        })
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for s in &cx.project.services {
        if !is_proxy(s) {
            continue;
        }
        let proxied = proxied_services(cx, s);
        for d in &s.depends_on {
            let Some(backend) = cx.project.service(&d.service.value) else {
                continue;
            };
            let cond = d.condition.as_ref().map(|c| c.value.as_str());
            if cond == Some("service_completed_successfully") {
                continue;
            }
            match (&proxied, cx.stack) {
                // nginx's targets are known: only those are backends.
                (Some(targets), Some((stack, project))) => {
                    if !stack
                        .find(project, &d.service.value)
                        .is_some_and(|i| targets.contains(&i))
                    {
                        continue;
                    }
                }
                // Unknown: leave out what is not a backend by its look.
                _ => {
                    if is_data_container(backend) || is_certificate_job(backend) {
                        continue;
                    }
                }
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

/// Whether the service's image may define a `HEALTHCHECK` of its own: one it builds, or one other than
/// those [`ImageRef::official`] counts (the Docker Official Images, which leave health checks to the user,
/// also when named `docker.io/…`, and `nginxinc/nginx-unprivileged`, which defines none either).
fn image_may_check_health(s: &Service) -> bool {
    s.build.is_some()
        || s.image
            .as_ref()
            .map_or(true, |i| !ImageRef::parse(&i.value, i.span, false).official)
}
