use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports two pools of one php-fpm whose effective `listen` addresses collide: the same `listen` value
    /// (or the same unix socket path), or two different addresses on one port where one of them covers the
    /// other. `9000` binds `[::]:9000`, every IPv6 and IPv4 address; `0.0.0.0:9000` every IPv4 address.
    ///
    /// A pool's `pm.status_listen` counts as one more listener: it must not collide with any pool's
    /// `listen` (its own included) or another `pm.status_listen`.
    ///
    /// Two different values for the same address (`9000` and `[::]:9000`, `localhost:9000` and
    /// `127.0.0.1:9000`) are not reported: php-fpm opens one socket and shares it between the pools, and
    /// starts.
    ///
    /// ## Why is this bad?
    /// php-fpm refuses to start: `-t` rejects identical values ("unable to set listen address as it's
    /// already used in another pool"), and overlapping addresses pass `-t` but fail to bind at start
    /// ("Address already in use").
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// listen = 9000
    /// [api]
    /// listen = 127.0.0.1:9000
    /// ```
    ///
    /// ## How to fix
    /// Give each pool its own port or socket:
    /// ```ini
    /// [www]
    /// listen = 9000
    /// [api]
    /// listen = 127.0.0.1:9001
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
    // `pm.status_listen` opens a pool of its own (`NAME_status`) after every configured pool
    // (`fpm_conf_process_all_pools`): it collides like a `listen`.
    let pools: Vec<_> = ["listen", "pm.status_listen"]
        .into_iter()
        .flat_map(|key| {
            cx.set
                .pools
                .iter()
                .filter_map(move |p| cx.set.address(p, key).map(|(a, d)| (p, a, d)))
        })
        .collect();
    let what = |d: &crate::phpfpm::EffectiveDirective| {
        if d.key == "listen" {
            String::new()
        } else {
            format!("'s `{}`", d.key)
        }
    };
    // Only addresses on the same port (or the same socket path) can collide: bucket by that.
    let mut buckets: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, (pool, addr, listen)) in pools.iter().enumerate() {
        let bucket = buckets.entry(port_or_path(addr)).or_default();
        let first = bucket
            .iter()
            .map(|&j| &pools[j])
            .find(|(_, a, l)| collide((a, l.winner().shown()), (addr, listen.winner().shown())));
        bucket.push(i);
        if let Some((first, _, first_listen)) = first {
            out.push(
                RULE.diag(
                    listen.winner().value_span,
                    format!(
                        "pool `{}`{} listens on `{}`, which collides with pool `{}`{} on `{}`",
                        pool.name,
                        what(listen),
                        listen.winner().shown(),
                        first.name,
                        what(first_listen),
                        first_listen.winner().shown()
                    ),
                )
                .with_help(
                    "give each pool (and each pool's status page) its own port or unix socket",
                )
                .with_related(
                    first_listen.winner().value_span,
                    format!("pool `{}`{} listens here", first.name, what(first_listen)),
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

/// What php-fpm binds for a `listen` value: sockets are opened per address (`fpm_sockets_get_listening_socket`
/// reuses one already open for the same address), so this is what two pools are compared by.
#[derive(Debug, PartialEq)]
enum Bind {
    Ip(std::net::IpAddr, u16),
    /// A host name (resolved when php-fpm starts) and port.
    Name(String, String),
    Path(String),
}

fn bind(addr: &ListenAddress, value: &str) -> Bind {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let value = value.trim();
    let (host, port) = match addr {
        ListenAddress::Unix { path } => return Bind::Path(path.clone()),
        // A port alone: php-fpm binds `::` (IPv6 and IPv4-mapped), falling back to 0.0.0.0.
        _ if value.bytes().all(|b| b.is_ascii_digit()) => ("::", value),
        _ => match value.rsplit_once(':') {
            Some((h, p)) => (
                h.strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(h),
                p,
            ),
            None => return Bind::Name(value.to_string(), String::new()),
        },
    };
    let Ok(port_number) = port.parse::<u16>() else {
        return Bind::Name(host.to_ascii_lowercase(), port.to_string());
    };
    let ip = if host.eq_ignore_ascii_case("localhost") {
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
    } else {
        host.parse::<IpAddr>().ok()
    };
    match ip {
        Some(IpAddr::V6(v6)) if v6 == Ipv6Addr::UNSPECIFIED => {
            Bind::Ip(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port_number)
        }
        Some(ip) => Bind::Ip(ip, port_number),
        None => Bind::Name(host.to_ascii_lowercase(), port.to_string()),
    }
}

/// Whether two pools' `(address, listen value)` keep php-fpm from starting.
fn collide(a: (&ListenAddress, &str), b: (&ListenAddress, &str)) -> bool {
    use std::net::IpAddr;
    // `-t` compares the values as written (unix paths made absolute first).
    if a.1.trim() == b.1.trim() {
        return true;
    }
    // Whether a socket bound to `wide` takes the port from `other` (IPv6 sockets are dual-stack in
    // containers: `net.ipv6.bindv6only` is 0).
    let covers = |wide: &IpAddr, other: &IpAddr| match wide {
        IpAddr::V6(w) => w.is_unspecified(),
        IpAddr::V4(w) => w.is_unspecified() && other.is_ipv4(),
    };
    match (bind(a.0, a.1), bind(b.0, b.1)) {
        (Bind::Path(x), Bind::Path(y)) => x == y,
        // The same address written two ways: one socket, shared.
        (Bind::Ip(x, p), Bind::Ip(y, q)) => p == q && x != y && (covers(&x, &y) || covers(&y, &x)),
        // A name resolves to one of the container's addresses, which a wildcard takes.
        (Bind::Ip(x, p), Bind::Name(_, q)) | (Bind::Name(_, q), Bind::Ip(x, p)) => {
            x.is_unspecified() && q.parse::<u16>() == Ok(p)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against php-fpm 8.2 started with two pools (`ss -ltn`, and its log).
    #[test]
    fn collisions_as_php_fpm_binds() {
        let c = |a: &str, b: &str| {
            let pa = ListenAddress::parse(a, Some("/usr/local")).unwrap();
            let pb = ListenAddress::parse(b, Some("/usr/local")).unwrap();
            collide((&pa, a), (&pb, b))
        };
        // "already used in another pool" (-t)
        assert!(c("9000", "9000"));
        assert!(c("/run/php/a.sock", "/run/php/a.sock"));
        assert!(c("run/a.sock", "/usr/local/run/a.sock"));
        // "Address already in use" at start
        assert!(c("9000", "0.0.0.0:9000"));
        assert!(c("9000", "127.0.0.1:9000"));
        assert!(c("0.0.0.0:9000", "[::]:9000"));
        assert!(c("[::]:9000", "[::1]:9000"));
        assert!(c("0.0.0.0:9000", "10.0.0.2:9000"));
        assert!(c("9000", "php:9000"));
        // one socket, shared: php-fpm starts
        assert!(!c("9000", "[::]:9000"));
        assert!(!c("localhost:9000", "127.0.0.1:9000"));
        // apart
        assert!(!c("127.0.0.1:9000", "127.0.0.2:9000"));
        assert!(!c("0.0.0.0:9000", "[::1]:9000"));
        assert!(!c("9000", "9001"));
        assert!(!c("/run/php/a.sock", "/run/php/b.sock"));
    }
}
