use crate::declare_rule;
use crate::diagnostic::Diagnostic;
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
    pub static RULE = Rule {
        code: "P001",
        name: "listen-loopback",
        severity: Warning,
        summary: "a pool's effective listen address is loopback: other containers cannot connect",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    for pool in &cx.set.pools {
        let Some((addr, listen)) = cx.set.listen(pool) else {
            continue;
        };
        if !addr.is_loopback() {
            continue;
        }
        let winner = listen.winner();
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
        out.push(d);
    }
}
