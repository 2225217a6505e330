use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, StackCx};
use crate::source::Span;
use crate::stack::resolve::Resolution;

declare_rule! {
    /// ## What it does
    /// Reports a `fastcgi_pass` from nginx in one compose service to a php-fpm in another service whose
    /// *effective* `listen` — the service's own pool files placed over the image's stock pool files, in
    /// php-fpm's load order, for that image's version — is a loopback address or a unix socket, so nothing
    /// listens on the address nginx connects to. Only reported when the php-fpm configuration is known
    /// completely (an official `php:*-fpm` image, or a mounted `php-fpm.conf`).
    ///
    /// ## Why is this bad?
    /// A loopback listener accepts connections from its own container only: nginx gets
    /// `connect() failed (111: Connection refused)` and answers `502 Bad Gateway`. In the official
    /// `php:*-fpm` images released since January 2026 a mounted `www.conf` with
    /// `listen = 127.0.0.1:9000` wins over the image's `listen = 9000` (before, `zz-docker.conf` overrode
    /// it), so the same files break when the image tag moves.
    ///
    /// ## Example
    /// ```ini
    /// ; php/www.conf, mounted at /usr/local/etc/php-fpm.d/www.conf in service `legacy` (php:8.3-fpm);
    /// ; nginx in service `nginx` has `fastcgi_pass legacy:9000;`
    /// [www]
    /// listen = 127.0.0.1:9000
    /// ```
    ///
    /// ## How to fix
    /// Listen on every address of the php-fpm container (the compose network limits who can connect):
    /// ```ini
    /// [www]
    /// listen = 9000
    /// ```
    /// or remove the `listen` line from the mounted file so the image's value applies.
    pub static RULE = Rule {
        code: "S003",
        name: "fpm-unreachable",
        severity: Error,
        summary: "nginx passes to a php-fpm service that listens only on loopback or a socket",
        check: Check::Stack(check),
    }
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    for e in edges(cx) {
        let Resolution::Service { placement: j, .. } = e.resolution else {
            continue;
        };
        if j == e.from || e.target.kind != crate::nginx::args::PassKind::FastCgi {
            continue;
        }
        let to = &cx.stack.placements[j];
        let (Some(set), true) = (&to.fpm, to.fpm_complete) else {
            continue;
        };
        let Some(port) = e.target.port else { continue };
        let mut reachable = false;
        let mut blocking: Option<(String, Span, &crate::phpfpm::EffectiveDirective)> = None;
        let mut unknown = false;
        for pool in &set.pools {
            let Some((addr, d)) = set.listen(pool) else {
                unknown |= pool.get("listen").is_some();
                continue;
            };
            match &addr {
                ListenAddress::AllAddresses { port: p } | ListenAddress::Tcp { port: p, .. }
                    if !addr.is_loopback() =>
                {
                    if p.parse::<u16>().ok() == Some(port) {
                        reachable = true;
                    } else {
                        // listening elsewhere on the network: S002's concern
                        unknown = true;
                    }
                }
                ListenAddress::AllAddresses { .. } => unknown = true,
                ListenAddress::Tcp { port: p, .. } => {
                    if p.parse::<u16>().ok() == Some(port) || blocking.is_none() {
                        blocking = Some((d.winner().shown().to_string(), d.winner().value_span, d));
                    }
                }
                ListenAddress::Unix { .. } => {
                    if blocking.is_none() {
                        blocking = Some((d.winner().shown().to_string(), d.winner().value_span, d));
                    }
                }
            }
        }
        if reachable || unknown {
            continue;
        }
        let Some((value, span, directive)) = blocking else {
            continue;
        };
        let from_svc = cx.stack.service(&cx.stack.placements[e.from]);
        let to_svc = cx.stack.service(to);
        let what =
            if value.starts_with('/') || !value.contains(':') && value.parse::<u16>().is_err() {
                "a unix socket inside that container"
            } else {
                "a loopback address: only processes in that container can connect"
            };
        let mut d = RULE
            .diag(
                e.target.host_span,
                format!(
                    "nginx in service `{}` passes to `{}`, but php-fpm in service `{}` listens on `{value}`, {what}",
                    from_svc.name.value,
                    authority(&e),
                    to_svc.name.value
                ),
            )
            .with_help(format!(
                "make the pool listen on every address: `listen = {port}` (or remove the `listen` line so the image's `listen = 9000` applies); nginx otherwise gets `connect() failed (111: Connection refused)` and answers 502"
            ))
            .with_related(span, "the pool's effective `listen`, set here");
        for a in directive.overridden() {
            d = d.with_related(
                a.value_span,
                format!(
                    "`listen = {}` here is loaded earlier and loses to the value above",
                    a.shown()
                ),
            );
        }
        let file_path = cx.sources.get(span.file).path.clone();
        if let Some(container) = file_path.and_then(|h| cx.stack.container_path_of(to, &h)) {
            if let Some(o) = cx.stack.origin(to, &container) {
                if let Some(s) = o.span {
                    d = d.with_related(
                        s,
                        format!(
                            "placed at `{container}` in service `{}` by {}",
                            to_svc.name.value, o.what
                        ),
                    );
                }
            }
        }
        if let Some(img) = &to.image {
            if let Some(i) = &set.image {
                d = d.with_related(img.span, format!("image `{}`: {}", img.reference, i.reason));
            }
        }
        out.push(d);
    }
}
