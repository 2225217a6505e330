use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports two pools of one php-fpm whose effective `listen` addresses collide: the same unix socket,
    /// the same address and port, or the same port where one of them listens on every address (`9000`,
    /// `0.0.0.0:9000` and `[::]:9000` all overlap each other and any `host:9000`).
    ///
    /// ## Why is this bad?
    /// php-fpm refuses to start: `-t` rejects identical addresses ("unable to set listen address as it's
    /// already used in another pool"), and overlapping ones pass `-t` but fail to bind at start
    /// ("Address already in use").
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// listen = 9000
    /// [api]
    /// listen = [::]:9000
    /// ```
    ///
    /// ## How to fix
    /// Give each pool its own port or socket:
    /// ```ini
    /// [www]
    /// listen = 9000
    /// [api]
    /// listen = 9001
    /// ```
    pub static RULE = Rule {
        code: "P004",
        name: "duplicate-listen",
        severity: Error,
        summary: "two pools listen on the same address: php-fpm refuses to start",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    let pools: Vec<_> = cx
        .set
        .pools
        .iter()
        .filter_map(|p| cx.set.listen(p).map(|(a, d)| (p, a, d)))
        .collect();
    // Only addresses on the same port (or the same socket path) can collide: bucket by that.
    let mut buckets: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, (pool, addr, listen)) in pools.iter().enumerate() {
        let bucket = buckets.entry(port_or_path(addr)).or_default();
        let first = bucket
            .iter()
            .map(|&j| &pools[j])
            .find(|(_, a, _)| a.overlaps(addr));
        bucket.push(i);
        if let Some((first, _, first_listen)) = first {
            out.push(
                RULE.diag(
                    listen.winner().value_span,
                    format!(
                        "pool `{}` listens on `{}`, which collides with pool `{}` on `{}`",
                        pool.name,
                        listen.winner().shown(),
                        first.name,
                        first_listen.winner().shown()
                    ),
                )
                .with_help("give each pool its own port or unix socket")
                .with_related(
                    first_listen.winner().value_span,
                    format!("pool `{}` listens here", first.name),
                ),
            );
        }
    }
}

fn port_or_path(addr: &ListenAddress) -> &str {
    match addr {
        ListenAddress::AllAddresses { port } | ListenAddress::Tcp { port, .. } => port,
        ListenAddress::Unix { path } => path,
    }
}
