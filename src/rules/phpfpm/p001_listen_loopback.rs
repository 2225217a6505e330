use super::{nginx_beside_passes, shares_network};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports a pool whose *effective* `listen` — the value left after every file php-fpm loads, in its
    /// load order — is a loopback address: `127.0.0.1`, `localhost` or `[::1]`.
    ///
    /// ## Why is this bad?
    /// A loopback listener accepts connections only from the same host or container. nginx in another
    /// container (the usual compose setup) gets `connect() failed (111: Connection refused)` and answers
    /// `502 Bad Gateway`. Which file wins is easy to misread: in the official `php:*-fpm` images released
    /// before 2026, `zz-docker.conf` set `listen = 9000` after `www.conf`; in later releases `docker.conf`
    /// sets it *before* `www.conf`, so a mounted `www.conf` with `listen = 127.0.0.1:9000` now wins.
    ///
    /// ## Example
    /// ```ini
    /// ; www.conf, mounted into php:8.3-fpm
    /// [www]
    /// listen = 127.0.0.1:9000
    /// ```
    ///
    /// ## How to fix
    /// Listen on every address (and restrict access with the network, or `listen.allowed_clients`):
    /// ```ini
    /// [www]
    /// listen = 9000
    /// ```
    /// Keep a loopback listener only when the web server runs in the same container or host network.
    ///
    /// A pool file that no compose service runs as php-fpm stays quiet when an nginx configuration checked
    /// in the same run (and the same git repository) passes to that loopback address and port
    /// (`fastcgi_pass 127.0.0.1:9000;`, directly or through an `upstream` block's `server`) or to a
    /// template placeholder that may stand for it (`server <PHP_SOCKET>;`), and that nginx is run by no
    /// service or by the service the pool file is copied or mounted into too: nginx and php-fpm then run
    /// in one container (an image that starts both, under supervisord or s6), as designed. A pool in a
    /// service that shares its network namespace with another (`network_mode: service:…`) stays quiet too.
    pub static RULE = Rule {
        code: "P001",
        name: "listen-loopback",
        severity: Warning,
        summary: "a pool's effective listen address is loopback: other containers cannot connect",
        check: Check::PhpFpm(check),
    }
}

/// Stack mode: `None` to stay quiet (nginx in the same container; or S003 reports the unreachable
/// pool), `Some(true)` when another service depends on the php-fpm service.
fn in_stack(cx: &PhpFpmCx<'_>) -> Option<bool> {
    let Some(view) = cx.stack else {
        return Some(false);
    };
    let p = &view.stack.placements[view.placement];
    // A `RUN` of the image edits the pool files: their listen is not known.
    if crate::stack::runs_nginx(p) || shares_network(cx) || p.fpm_edited {
        return None;
    }
    let me = view.stack.name(view.placement);
    let project = view.stack.project(p);
    let depended = project
        .active_services()
        .any(|s| s.name.value != me && s.depends_on.iter().any(|d| d.service.value == me));
    let targeted = view.stack.placements.iter().enumerate().any(|(i, o)| {
        i != view.placement
            && o.nginx.as_ref().is_some_and(|c| {
                crate::stack::targets::pass_targets(cx.sources, c).iter().any(|t| {
                    matches!(&t.host, crate::nginx::args::Host::Name(h)
                        if matches!(crate::stack::resolve::resolve(view.stack, i, h),
                            crate::stack::resolve::Resolution::Service { placement, .. } if placement == view.placement))
                })
            })
    });
    if targeted && p.fpm_complete {
        return None; // S003 reports a pass that cannot connect, with this listen as related
    }
    Some(depended)
}

/// The git repository a file belongs to (the nearest directory holding `.git`), if any.
fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    let Some(upgrade) = in_stack(cx) else {
        return;
    };
    for pool in &cx.set.pools {
        let Some((addr, listen)) = cx.set.listen(pool) else {
            continue;
        };
        if !addr.is_loopback() {
            continue;
        }
        let winner = listen.winner();
        if cx.stack.is_none() {
            let port = match &addr {
                ListenAddress::Tcp { port, .. } => port.parse::<u16>().ok(),
                _ => None,
            };
            if port.is_some_and(|port| nginx_beside_passes(cx, winner.value_span.file, port)) {
                continue;
            }
        }
        let mut d = RULE
            .diag(
                winner.value_span,
                format!(
                    "pool `{}` listens on `{}`, a loopback address: only the same container or host can connect",
                    pool.name,
                    winner.shown()
                ),
            )
            .with_help(
                "listen on every address (`listen = 9000`) unless the web server runs in the same container",
            );
        for a in listen.overridden() {
            d = d.with_related(
                a.value_span,
                format!(
                    "`listen = {}` here is overridden by the later value",
                    a.shown()
                ),
            );
        }
        if upgrade {
            d.severity = crate::diagnostic::Severity::Error;
            d.message
                .push_str(", and other services of the stack depend on it");
        }
        out.push(d);
    }
}
