use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, StackCx};
use crate::source::Span;
use crate::stack::images::Family;
use crate::stack::resolve::Resolution;
use crate::stack::Placement;

declare_rule! {
    /// ## What it does
    /// Reports an nginx upstream `service:port` where the service is known to listen on other ports only:
    /// its php-fpm pools' effective `listen` ports, its own nginx `listen`s, or the ports its known official
    /// image listens on by default (with `expose`d ports), when its command is not overridden, no repository
    /// file is placed over the image's configuration (a Caddyfile, `httpd.conf`, `my.cnf` …) and no
    /// variable that moves the port is set (`PGPORT`, `MYSQL_TCP_PORT` …; `grammar/images/ports.tsv`).
    /// Services whose listening ports wirelint cannot know are left alone.
    ///
    /// ## Why is this bad?
    /// Nothing accepts connections on that port: nginx logs `connect() failed (111: Connection refused)`
    /// and answers `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # php runs php:8.3-fpm, which listens on 9000
    /// fastcgi_pass php:9001;
    /// ```
    ///
    /// ## How to fix
    /// Use the port the service listens on (`fastcgi_pass php:9000;`), or change the service's listen port.
    pub static RULE = Rule {
        code: "S002",
        name: "upstream-port-mismatch",
        severity: Error,
        summary: "nginx targets a port the service does not listen on",
        check: Check::Stack(check),
    }
}

/// The ports a service is known to listen on, each with where it comes from; `None`: not known.
pub fn known_ports(cx: &StackCx<'_>, p: &Placement) -> Option<Vec<(u16, Option<Span>, String)>> {
    let svc = cx.stack.service(p);
    let mut out = Vec::new();
    let mut known = false;
    if let (Some(set), true) = (&p.fpm, p.fpm_complete) {
        for pool in &set.pools {
            let (addr, d) = set.listen(pool)?;
            match addr {
                ListenAddress::AllAddresses { port } | ListenAddress::Tcp { port, .. } => {
                    out.push((
                        port.parse().ok()?,
                        Some(d.winner().value_span),
                        format!("php-fpm pool `{}`", pool.name),
                    ));
                }
                ListenAddress::Unix { .. } => {}
            }
        }
        known = true;
    } else if p.fpm.is_some() {
        return None;
    }
    if let Some(config) = &p.nginx {
        for l in crate::stack::targets::listens(cx.sources, config) {
            if let Some(port) = l.port {
                out.push((port, Some(l.span), "nginx `listen`".into()));
            }
        }
        known = true;
    }
    if !known {
        let img = p.image.as_ref()?;
        if img.via_build || svc.command.is_some() || svc.entrypoint.is_some() {
            return None;
        }
        if img.family == Family::Other && img.default_ports().is_empty() {
            return None;
        }
        // A configuration file placed over the image's, or a variable the image reads its port from,
        // can move it (a mounted Caddyfile with `:8080`, `PGPORT`).
        let paths = img.port_config_paths();
        let configured = p.origins.iter().any(|o| {
            o.host.is_some()
                && paths
                    .iter()
                    .any(|d| crate::stack::under(&o.container, d).is_some())
        });
        let env_moves = match &p.env {
            Some(env) => env.keys().any(|k| img.port_env(Some(k))),
            None => img.port_env(None),
        };
        if configured || env_moves {
            return None;
        }
        for port in img.default_ports() {
            out.push((port, Some(img.span), format!("image `{}`", img.reference)));
        }
        if out.is_empty() {
            return None;
        }
    }
    for e in &svc.expose {
        let port = e
            .value
            .split(['/', '-'])
            .next()
            .and_then(|s| s.parse().ok());
        out.push((port?, Some(e.span), "`expose`".into()));
    }
    Some(out)
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    for e in edges(cx) {
        let Resolution::Service { placement: j, .. } = e.resolution else {
            continue;
        };
        let Some(port) = e.target.port else { continue };
        let to = &cx.stack.placements[j];
        let Some(ports) = known_ports(cx, to) else {
            continue;
        };
        if ports.is_empty() || ports.iter().any(|(p, ..)| *p == port) {
            continue;
        }
        let to_svc = cx.stack.service(to);
        let mut listed: Vec<u16> = ports.iter().map(|(p, ..)| *p).collect();
        listed.sort_unstable();
        listed.dedup();
        let shown = listed
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = RULE
            .diag(
                e.target.host_span,
                format!(
                    "`{}` targets port {port}, but service `{}` listens on {shown}",
                    authority(&e),
                    to_svc.name.value
                ),
            )
            .with_help(format!(
                "use `{}:{}` (the port the service listens on), or change the service's listen port; nothing accepts connections on {port}: 502",
                e.host, listed[0]
            ));
        for (p, span, what) in ports.iter().take(3) {
            if let Some(s) = span {
                d = d.with_related(*s, format!("{what} listens on {p}"));
            }
        }
        out.push(d);
    }
}
