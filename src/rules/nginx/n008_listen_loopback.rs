use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args;
use crate::nginx::directives::Context;
use crate::nginx::upstreams::sub_span;
use crate::nginx::Tag;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports a `listen` on a loopback address: `127.0.0.1` (any of 127.0.0.0/8), `[::1]` or `localhost`.
    ///
    /// Checked together with a compose file (stack mode), it is an error, not information, when nginx's
    /// service publishes that port (`ports:`): the published port reaches nothing.
    ///
    /// ## Why is this bad?
    /// Only clients on the same host can connect — inside a container, only that container. A port
    /// published with compose `ports:` or a proxy in another container gets `connection refused` or an empty
    /// reply. Often intended (a status page, a local-only admin server), hence only informational.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     listen 127.0.0.1:8080;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// If other hosts or containers must reach the server, listen on the port alone (every address) or on a
    /// non-loopback address:
    /// ```nginx
    /// server {
    ///     listen 8080;
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N008",
        name: "listen-loopback",
        severity: Info,
        summary: "a `listen` on a loopback address is reachable only from the same host",
        check: Check::Nginx(check),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    cx.config.walk_tagged(&[Tag::Listen], &mut |visit| {
        let d = visit.directive;
        if &*d.name.text != "listen"
            || !matches!(
                visit.context,
                Context::Server | Context::MailServer | Context::StreamServer
            )
        {
            return;
        }
        let Some(word) = d.args.first() else {
            return;
        };
        let params: Vec<&str> = d.args[1..].iter().map(|w| &*w.text).collect();
        let Ok(listen) = args::parse_listen(&word.text, &params) else {
            return;
        };
        if !listen.is_loopback() {
            return;
        }
        let port = listen.port.map_or(String::new(), |p| format!(" port {p}"));
        let addr = match &listen.addr {
            args::ListenAddr::Ip(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => word.text[listen.addr_span.clone()].to_string(),
        };
        let mut d = RULE.diag(
                sub_span(cx.sources, word, listen.addr_span.clone()),
                format!(
                    "listens on loopback `{addr}`{port}: reachable only from this host (or container)"
                ),
            )
            .with_help(format!(
                "if other hosts or containers must reach this server, listen on the port alone (`listen {}{};`) or \
                 on a non-loopback address",
                listen.port.unwrap_or(80),
                // The other parameters (`ssl`, `default_server` …) as written.
                d.args[1..]
                    .iter()
                    .map(|w| [" ", cx.sources.text(w.span)].concat())
                    .collect::<String>()
            ));
        // Stack mode: a port the container publishes is unreachable through the publication.
        if let (Some(view), Some(port)) = (cx.stack, listen.port) {
            let svc = view.stack.name(view.placement).to_string();
            if let Some(span) = view.stack.publishes(view.placement, port) {
                d.severity = crate::diagnostic::Severity::Error;
                d.message = format!(
                    "listens on loopback `{addr}` port {port}, but service `{svc}` publishes port {port}: the published port reaches nothing"
                );
                d = d.with_related(span, format!("service `{svc}` publishes port {port} here"));
            }
        }
        out.push(d);
    });
}
