use super::{nginx_beside_passes, shares_network};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::{is_loopback_host, ListenAddress};
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports a pool whose effective `listen.allowed_clients` admits only loopback addresses while the
    /// pool listens on a network address (not loopback, not a unix socket). As for P001, a pool that an
    /// nginx beside it reaches over loopback (one container or one network namespace) is not reported.
    ///
    /// ## Why is this bad?
    /// The socket is reachable from other containers, but php-fpm closes every connection that does not
    /// come from an allowed address. nginx in another container connects and is dropped at once
    /// (`recv() failed (104: Connection reset by peer)`), and answers `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// listen = 9000
    /// listen.allowed_clients = 127.0.0.1
    /// ```
    ///
    /// ## How to fix
    /// Add the web server's address (a container IP or subnet member), or remove the line to accept any
    /// client and restrict access with the network instead:
    /// ```ini
    /// [www]
    /// listen = 9000
    /// ; listen.allowed_clients removed: only containers on this network can reach port 9000
    /// ```
    pub static RULE = Rule {
        code: "P003",
        name: "allowed-clients-excludes-peers",
        severity: Warning,
        summary: "listen.allowed_clients admits only loopback while the pool listens on a network address",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    // nginx in the same network namespace connects from loopback.
    if shares_network(cx) {
        return;
    }
    for pool in &cx.set.pools {
        let Some((addr, listen)) = cx.set.listen(pool) else {
            continue;
        };
        if addr.is_loopback() || matches!(addr, ListenAddress::Unix { .. }) {
            continue;
        }
        let Some(clients) = pool.get("listen.allowed_clients") else {
            continue;
        };
        let winner = clients.winner();
        let Some(value) = winner.value.as_deref() else {
            continue;
        };
        let list: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() || !list.iter().all(|h| is_loopback_host(h)) {
            continue;
        }
        let port = match &addr {
            ListenAddress::AllAddresses { port } | ListenAddress::Tcp { port, .. } => {
                port.parse::<u16>().ok()
            }
            ListenAddress::Unix { .. } => None,
        };
        if cx.stack.is_none()
            && port
                .is_some_and(|port| nginx_beside_passes(cx, listen.winner().value_span.file, port))
        {
            continue;
        }
        out.push(
            RULE.diag(
                winner.value_span,
                format!(
                    "pool `{}` listens on `{}` but accepts connections only from `{}`",
                    pool.name,
                    listen.winner().shown(),
                    value
                ),
            )
            .with_help(
                "add the web server's address to `listen.allowed_clients`, or remove the line and restrict \
                 access with the network",
            )
            .with_related(listen.winner().value_span, "the pool listens here"),
        );
    }
}
