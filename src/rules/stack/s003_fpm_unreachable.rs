use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::{Host, PassKind};
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, StackCx};
use crate::source::Span;
use crate::stack::mounts::{backing, run_dir, Backing};
use crate::stack::resolve::Resolution;
use crate::stack::targets::pass_targets;

declare_rule! {
    /// ## What it does
    /// Reports a `fastcgi_pass` from nginx in one compose service to a php-fpm in another service whose
    /// *effective* `listen` — the service's own pool files placed over the image's stock pool files, in
    /// php-fpm's load order, for that image's version — is a loopback address or a unix socket, so nothing
    /// listens on the address nginx connects to. Also reports `fastcgi_pass unix:PATH` (directly or through an
    /// `upstream` `server unix:PATH`) where PATH is the effective `listen` of php-fpm in *another* service of
    /// the project and no volume the two services share holds the socket: the same named volume, the same
    /// host directory, or `volumes_from`, mounted so that the socket's path in php-fpm's container is PATH in
    /// nginx's (a tmpfs or anonymous volume is never shared; `/var/run/…` and `/run/…` are one path, as
    /// `/var/run` links to `/run` in Debian and Alpine based images). Only reported when the php-fpm
    /// configuration is known completely (an official `php:*-fpm` image, or a mounted `php-fpm.conf`, and no
    /// `RUN` of the image's Dockerfile that names php-fpm's configuration: `sed -i … www.conf`, `echo … >
    /// php-fpm.d/zz.conf`); a socket path no php-fpm in the project listens on is left alone.
    ///
    /// ## Why is this bad?
    /// A loopback listener accepts connections from its own container only: nginx gets
    /// `connect() failed (111: Connection refused)` and answers `502 Bad Gateway`. In the official
    /// `php:*-fpm` images released since January 2026 a mounted `www.conf` with
    /// `listen = 127.0.0.1:9000` wins over the image's `listen = 9000` (before, `zz-docker.conf` overrode
    /// it), so the same files break when the image tag moves. A unix socket is a file in php-fpm's
    /// container: without a shared volume nginx's container has no such file and nginx logs
    /// `connect() to unix:… failed (2: No such file or directory)`, then answers 502.
    ///
    /// ## Example
    /// ```ini
    /// ; php/www.conf, mounted at /usr/local/etc/php-fpm.d/www.conf in service `legacy` (php:8.3-fpm);
    /// ; nginx in service `nginx` has `fastcgi_pass legacy:9000;`
    /// [www]
    /// listen = 127.0.0.1:9000
    /// ```
    ///
    /// A socket that stays in php-fpm's container:
    /// ```yaml
    /// # nginx in `web` has `fastcgi_pass unix:/run/php/php-fpm.sock;`,
    /// # php/www.conf has `listen = /run/php/php-fpm.sock`
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///   php:
    ///     image: php:8.3-fpm
    ///     volumes:
    ///       - ./php/www.conf:/usr/local/etc/php-fpm.d/www.conf:ro
    /// ```
    ///
    /// ## How to fix
    /// Listen on every address of the php-fpm container (the compose network limits who can connect):
    /// ```ini
    /// [www]
    /// listen = 9000
    /// ```
    /// or remove the `listen` line from the mounted file so the image's value applies.
    ///
    /// For a unix socket, mount one named volume at the socket's directory in both services:
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     volumes:
    ///       - php-socket:/run/php
    ///   php:
    ///     image: php:8.3-fpm
    ///     volumes:
    ///       - ./php/www.conf:/usr/local/etc/php-fpm.d/www.conf:ro
    ///       - php-socket:/run/php
    /// volumes:
    ///   php-socket: {}
    /// ```
    /// or use TCP: `listen = 9000` in the pool and `fastcgi_pass php:9000;` in nginx.
    pub static RULE = Rule {
        code: "S003",
        name: "fpm-unreachable",
        severity: Error,
        summary: "nginx passes to a php-fpm service that listens only on loopback or a socket",
        check: Check::Stack(check),
    }
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    check_unix_sockets(cx, out);
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
                "make the pool listen on every address: `listen = {port}`{}; nginx otherwise gets `connect() failed (111: Connection refused)` and answers 502",
                // Only when the image's own files set it (a mounted pool directory hides them).
                if image_listens_everywhere(cx, directive) {
                    " (or remove the `listen` line so the image's `listen = 9000` applies)"
                } else {
                    ""
                }
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

/// Whether one of the `listen` values a pool's winning one overrode is the image's own, on every address.
fn image_listens_everywhere(cx: &StackCx, directive: &crate::phpfpm::EffectiveDirective) -> bool {
    directive.overridden().iter().any(|a| {
        cx.sources.get(a.value_span.file).name.starts_with('<')
            && a.value
                .as_deref()
                .and_then(|v| ListenAddress::parse(v, None))
                .is_some_and(|l| matches!(l, ListenAddress::AllAddresses { .. }))
    })
}

/// A php-fpm pool of placement `placement` listening on a unix socket.
struct SocketPool<'a> {
    placement: usize,
    directive: &'a crate::phpfpm::EffectiveDirective,
}

/// `fastcgi_pass unix:PATH` where PATH is the effective `listen` of php-fpm in another service of the
/// project, and no volume the two share holds that socket.
fn check_unix_sockets(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
    for (a, from) in stack.placements.iter().enumerate() {
        let Some(config) = &from.nginx else { continue };
        for t in pass_targets(cx.sources, config) {
            let Host::Unix(path) = &t.host else { continue };
            if t.kind != PassKind::FastCgi || !path.starts_with('/') {
                continue;
            }
            // Every php-fpm in the project that listens on exactly this path.
            let mut pools: Vec<SocketPool<'_>> = Vec::new();
            let mut reachable = false;
            for (b, to) in stack.placements.iter().enumerate() {
                let Some(set) = &to.fpm else { continue };
                if to.project != from.project {
                    continue;
                }
                for pool in &set.pools {
                    let Some((ListenAddress::Unix { path: l }, d)) = set.listen(pool) else {
                        continue;
                    };
                    // `/var/run/x.sock` and `/run/x.sock` are one file (`/var/run` → `/run`).
                    if run_dir(&l) != run_dir(path) {
                        continue;
                    }
                    if b == a || shares(cx, a, path, b, &l) {
                        reachable = true;
                    } else if to.fpm_complete {
                        pools.push(SocketPool {
                            placement: b,
                            directive: d,
                        });
                    } else {
                        // a later stock file may move the socket: unknown
                        reachable = true;
                    }
                }
            }
            if reachable {
                continue;
            }
            let Some(pool) = pools.first() else { continue };
            out.push(socket_finding(cx, a, &t, path, pool));
        }
    }
}

/// Whether the socket at `listen` in placement `b` is the file at `path` in placement `a` (or wirelint
/// cannot tell, which counts as shared).
fn shares(cx: &StackCx<'_>, a: usize, path: &str, b: usize, listen: &str) -> bool {
    let (in_a, _) = backing(cx.stack, a, path);
    let (in_b, _) = backing(cx.stack, b, listen);
    match (&in_a, &in_b) {
        (Backing::Unknown, _) | (_, Backing::Unknown) => true,
        (Backing::Private, _) | (_, Backing::Private) => false,
        _ => in_a == in_b,
    }
}

fn socket_finding(
    cx: &StackCx<'_>,
    a: usize,
    t: &crate::stack::targets::PassTarget,
    path: &str,
    pool: &SocketPool<'_>,
) -> Diagnostic {
    let stack = cx.stack;
    let from_svc = stack.service(&stack.placements[a]);
    let to = &stack.placements[pool.placement];
    let to_svc = stack.service(to);
    let (from_name, to_name) = (&from_svc.name.value, &to_svc.name.value);
    let dir = path
        .rsplit_once('/')
        .map(|(d, _)| if d.is_empty() { "/" } else { d })
        .unwrap_or("/");
    let mut d = RULE
        .diag(
            t.host_span,
            format!(
                "nginx in service `{from_name}` passes to `unix:{path}`, but that socket is created by php-fpm in service `{to_name}` and no volume shared by the two containers holds it"
            ),
        )
        .with_help(format!(
            "share the socket's directory through one named volume mounted at `{dir}` in both services (`volumes: [\"php-socket:{dir}\"]` under `{from_name}` and `{to_name}`, and top-level `volumes: {{php-socket: {{}}}}`), or use TCP: `listen = 9000` in the pool and `fastcgi_pass {to_name}:9000;`; otherwise nginx gets `connect() to unix:{path} failed (2: No such file or directory)` and answers 502"
        ))
        .with_related(
            pool.directive.winner().value_span,
            format!("php-fpm in service `{to_name}` listens on `{path}` here"),
        );
    let (_, mount) = backing(stack, pool.placement, path);
    d = match mount {
        Some(s) => d.with_related(
            s,
            format!("`{dir}` in service `{to_name}` comes from this mount, which `{from_name}` does not share at `{dir}`"),
        ),
        None => d.with_related(
            to_svc.name.span,
            format!("service `{to_name}` keeps `{dir}` inside its own container (no volume there)"),
        ),
    };
    d
}
