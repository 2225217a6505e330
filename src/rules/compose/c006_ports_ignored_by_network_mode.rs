use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports `ports` on a service whose `network_mode` is `host`, `service:…` or `container:…`.
    ///
    /// ## Why is this bad?
    /// The container does not get its own network namespace, so there is nothing to publish: Docker
    /// ignores the `ports` (or refuses them). The file says the service is reachable on a port mapping that
    /// does not exist — with `host`, the application's own listen port is what is reachable.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: registry.example/app
    ///     network_mode: host
    ///     ports:
    ///       - "8080:80"
    /// ```
    ///
    /// ## How to fix
    /// Remove `ports` (with `network_mode: host` the app is reachable on the port it listens on), or
    /// remove `network_mode` and keep `ports`:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: registry.example/app
    ///     network_mode: host
    /// ```
    pub static RULE = Rule {
        code: "C006",
        name: "ports-ignored-by-network-mode",
        severity: Warning,
        summary: "`ports` on a service with network_mode host/service:/container:",
        check: Check::Compose(check),
    }
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for s in &cx.project.services {
        let (Some(mode), Some(ports)) = (&s.network_mode, s.ports_key) else {
            continue;
        };
        let m = mode.value.as_str();
        if !(m == "host" || m.starts_with("service:") || m.starts_with("container:")) {
            continue;
        }
        if s.ports.is_empty() {
            continue;
        }
        out.push(
            RULE.diag(
                ports,
                format!(
                    "`ports` of service \"{}\" are ignored: it uses network_mode \"{m}\"",
                    s.name.value
                ),
            )
            .with_related(mode.span, "the network mode is set here")
            .with_help(if m == "host" {
                "remove `ports`: with the host's network the app is reachable on the port it listens on; or remove `network_mode` to keep the mapping".to_string()
            } else {
                format!("publish the ports on the service that owns the network namespace (\"{}\"), or remove `network_mode`", m.split_once(':').map_or(m, |x| x.1))
            }),
        );
    }
}
