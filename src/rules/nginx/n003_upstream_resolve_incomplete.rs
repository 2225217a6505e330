use super::n001_stale_upstream_dns::RESOLVE_SINCE;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args;
use crate::nginx::directives::Context;
use crate::nginx::upstreams::{is_snippet, is_stream};
use crate::nginx::Tag;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports `server … resolve` in an `upstream` block when nginx cannot honour it: the block has no
    /// `zone`, no `resolver` is in scope (in the upstream block or in http — for stream upstreams, in
    /// stream), or the nginx in use (`--nginx-version`) is older than 1.27.3, the first open-source release
    /// with `resolve`. A snippet checked on its own is not reported for a missing `resolver`, which the
    /// including file's http block may hold; nor is a configuration with an `include` wirelint cannot read
    /// (an absolute path outside the repository, not mapped with `--map`) in the upstream block or in http.
    ///
    /// ## Why is this bad?
    /// nginx refuses the configuration: `resolving names at run time requires upstream "php" … to be in
    /// shared memory` without a zone, `no resolver defined to resolve names at run time in upstream "php"`
    /// without a resolver, and `invalid parameter "resolve"` on nginx before 1.27.3 (where it was NGINX Plus
    /// only). The server does not start or reload.
    ///
    /// ## Example
    /// ```nginx
    /// upstream php {
    ///     server legacy:9000 resolve;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Give the group shared memory and a resolver:
    /// ```nginx
    /// resolver 127.0.0.11 valid=10s;
    /// upstream php {
    ///     zone php 64k;
    ///     server legacy:9000 resolve;
    /// }
    /// ```
    /// On nginx older than 1.27.3, remove `resolve` and pass to the host through a variable with a
    /// `resolver` in scope (`set $php legacy:9000; fastcgi_pass $php;`), or upgrade nginx.
    pub static RULE = Rule {
        code: "N003",
        name: "upstream-resolve-incomplete",
        severity: Error,
        summary: "`server … resolve` without `zone`, without `resolver`, or on nginx older than 1.27.3",
        check: Check::Nginx(check),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    let index = cx.index();
    cx.config.walk_tagged(&[Tag::Server], &mut |visit| {
        let d = visit.directive;
        if &*d.name.text != "server"
            || !matches!(visit.context, Context::Upstream | Context::StreamUpstream)
        {
            return;
        }
        let Some(word) = d.args.first() else {
            return;
        };
        let params: Vec<&str> = d.args[1..].iter().map(|w| &*w.text).collect();
        let Ok(server) = args::parse_upstream_server(&word.text, &params) else {
            return;
        };
        let Some(resolve) = server.resolve() else {
            return;
        };
        let Some(resolve_word) = d.args.get(1 + resolve.index) else {
            return;
        };
        let Some(upstream) = visit.parents.last() else {
            return;
        };
        let name = upstream.args.first().map_or("", |w| &*w.text);
        if let Some(v) = cx.settings.nginx.version.filter(|v| *v < RESOLVE_SINCE) {
            out.push(
                RULE.diag(
                    resolve_word.span,
                    format!(
                        "`resolve` needs nginx {RESOLVE_SINCE} or later; nginx {v} rejects it (invalid parameter)"
                    ),
                )
                .with_help(
                    "remove `resolve` and pass to the host through a variable with a `resolver` in scope \
                     (`set $backend host:port;` … `proxy_pass http://$backend;`), or upgrade nginx to 1.27.3+",
                ),
            );
            return;
        }
        if !matches!(server.host, args::Host::Name(_)) {
            return; // an IP or socket needs no run-time resolution; what nginx requires then is unverified
        }
        let zone = index.has_zone(upstream);
        // A snippet's `resolver` may sit in the http block of the file that includes it.
        // So may an `include` wirelint cannot read.
        let resolver = index.resolver_in_scope(visit.parents).is_some()
            || index.unread_include_in_scope(visit.parents)
            || is_snippet(cx.config);
        let module = if is_stream(visit.context) {
            "stream"
        } else {
            "http"
        };
        let (missing, help) = match (zone, resolver) {
            (true, true) => return,
            (false, true) => (
                format!("a `zone` in upstream `{name}`"),
                format!("add `zone {name} 64k;` to the upstream block"),
            ),
            (true, false) => (
                "a `resolver` in scope".to_string(),
                format!(
                    "add `resolver 127.0.0.11 valid=10s;` (Docker's DNS; otherwise your network's) in {module} or \
                     in the upstream block"
                ),
            ),
            (false, false) => (
                format!("a `zone` in upstream `{name}` and a `resolver` in scope"),
                format!(
                    "add `zone {name} 64k;` to the upstream block and `resolver 127.0.0.11 valid=10s;` (Docker's \
                     DNS; otherwise your network's) in {module} or in the upstream block"
                ),
            ),
        };
        out.push(
            RULE.diag(
                resolve_word.span,
                format!("`resolve` needs {missing}; nginx refuses this configuration"),
            )
            .with_help(help)
            .with_related(
                upstream.args.first().map_or(upstream.name.span, |w| w.span),
                format!("upstream `{name}`"),
            ),
        );
    });
}
