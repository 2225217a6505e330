use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, StackCx};
use crate::stack::images::Family;
use crate::stack::resolve::Resolution;

declare_rule! {
    /// ## What it does
    /// Reports an nginx upstream on `127.0.0.1`/`localhost` when nginx runs in a compose service of the
    /// official nginx image (which runs nothing else), without `network_mode: host` or `service:…`, with
    /// no php-fpm in the same service and no other service joining its network (`network_mode: service:web`
    /// on the app), and the port is not one of that nginx's own `listen`s.
    ///
    /// ## Why is this bad?
    /// Inside a container, loopback is the container itself. The application runs in another container (or
    /// on the host), so nginx gets `connect() failed (111: Connection refused)` and answers
    /// `502 Bad Gateway`. The config was usually written for nginx and the app on one machine.
    ///
    /// ## Example
    /// ```nginx
    /// # nginx runs in service `web` (nginx:1.27); the app is service `app`
    /// location / { proxy_pass http://127.0.0.1:5000; }
    /// ```
    ///
    /// ## How to fix
    /// Pass to the service by name on the compose network: `proxy_pass http://app:5000;`.
    pub static RULE = Rule {
        code: "S006",
        name: "loopback-upstream-in-container",
        severity: Error,
        summary: "nginx in a container passes to loopback where nothing listens",
        check: Check::Stack(check),
    }
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    for e in edges(cx) {
        if e.resolution != Resolution::Loopback {
            continue;
        }
        let p = &cx.stack.placements[e.from];
        let svc = cx.stack.service(p);
        let Some(img) = &p.image else { continue };
        if img.family != Family::Nginx || img.via_build || svc.network_mode.is_some() {
            continue;
        }
        if crate::stack::runs_fpm(p) || svc.command.is_some() || svc.entrypoint.is_some() {
            continue;
        }
        // `network_mode: service:web` on another service: it listens on this loopback too.
        if crate::stack::joined_by_others(cx.stack, p) {
            continue;
        }
        let Some(port) = e.target.port else { continue };
        let own = p
            .nginx
            .as_ref()
            .map(|c| crate::stack::targets::listens(cx.sources, c))
            .unwrap_or_default();
        if own.iter().any(|l| l.port == Some(port)) {
            continue;
        }
        let project = cx.stack.project(p);
        let candidates: Vec<&str> = project
            .services
            .iter()
            .filter(|s| s.active && s.name.value != svc.name.value)
            .filter(|s| {
                s.ports.iter().any(|b| b.target == port)
                    || s.expose.iter().any(|x| x.value == port.to_string())
            })
            .map(|s| s.name.value.as_str())
            .collect();
        let hint = match candidates.first() {
            Some(c) => format!("pass to the service by name: `{c}:{port}`"),
            None => {
                "pass to the service that runs the application by its compose name (`app:PORT`)"
                    .into()
            }
        };
        out.push(
            RULE.diag(
                e.target.host_span,
                format!(
                    "nginx in service `{}` passes to `{}`, but nothing listens on port {port} in that container: loopback is the nginx container itself",
                    svc.name.value,
                    authority(&e)
                ),
            )
            .with_help(format!("{hint}; loopback inside a container is not the host or another container"))
            .with_related(svc.name.span, format!("nginx runs in service `{}` ({})", svc.name.value, img.reference)),
        );
    }
}
