use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, StackCx};
use crate::stack::resolve::Resolution;

declare_rule! {
    /// ## What it does
    /// Reports an nginx upstream whose host, from the compose service nginx runs in, is no service name,
    /// network alias, `container_name` or `links` alias on a network that service shares, and no
    /// `extra_hosts` entry. Names with a dot (outside DNS), IP literals, services of inactive profiles and
    /// services on `external` networks or with `network_mode: host` are left alone: the answer is unknown
    /// there.
    ///
    /// ## Why is this bad?
    /// Docker's DNS answers only for containers on a network the asking container is on. nginx refuses to
    /// start with `host not found in upstream "app"` (a literal name), or answers every request with
    /// `502 Bad Gateway` (a name in a variable). A `hostname:` is not registered in Docker's DNS at all.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     volumes: ["./site.conf:/etc/nginx/conf.d/default.conf:ro"]  # proxy_pass http://api:8000;
    ///   backend:
    ///     image: example/api
    /// ```
    ///
    /// ## How to fix
    /// Use the name of the service (here `backend`), give the service a network alias, or put both services
    /// on a common network:
    /// ```yaml
    ///   backend:
    ///     image: example/api
    ///     networks:
    ///       default:
    ///         aliases: [api]
    /// ```
    pub static RULE = Rule {
        code: "S001",
        name: "upstream-host-unknown",
        severity: Error,
        summary: "nginx targets a host no service on its networks answers to",
        check: Check::Stack(check),
    }
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    for e in edges(cx) {
        let Resolution::NotFound { elsewhere } = &e.resolution else {
            continue;
        };
        let from = &cx.stack.placements[e.from];
        let svc = cx.stack.service(from);
        let project = cx.stack.project(from);
        let nets: Vec<&str> = svc.networks.iter().map(|n| n.name.value.as_str()).collect();
        let names: Vec<&str> = project
            .services
            .iter()
            .filter(|s| s.active)
            .map(|s| s.name.value.as_str())
            .collect();
        let mut d = RULE
            .diag(
                e.target.host_span,
                format!(
                    "`{}` does not resolve from service `{}`: no service, network alias, container_name or link of that name on its network{} {}",
                    e.host,
                    svc.name.value,
                    if nets.len() == 1 { "" } else { "s" },
                    nets.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_help(format!(
                "target one of the project's services ({}), or give the intended service a network alias `{}`; {}",
                names.iter().take(8).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                e.host,
                if e.target.via_variable {
                    format!("otherwise every request fails with `{} could not be resolved (3: Host not found)` (502)", e.host)
                } else {
                    format!("otherwise nginx refuses to start: `host not found in upstream \"{}\"`", authority(&e))
                }
            ))
            .with_related(svc.name.span, format!("nginx runs in service `{}`", svc.name.value));
        if let Some(h) = project.services.iter().find_map(|s| {
            s.hostname
                .as_ref()
                .filter(|h| h.value.eq_ignore_ascii_case(&e.host))
        }) {
            d = d.with_related(
                h.span,
                "`hostname:` is not registered in Docker's DNS (use a network alias instead)",
            );
        }
        if let Some(j) = elsewhere {
            let other = cx.stack.service(&cx.stack.placements[*j]);
            d = d.with_related(
                other.name.span,
                format!(
                    "service `{}` has this name but shares no network with `{}`",
                    other.name.value, svc.name.value
                ),
            );
        }
        out.push(d);
    }
}
