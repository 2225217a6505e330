use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::{self, Host, PassKind};
use crate::nginx::upstreams::Index;
use crate::phpfpm::ListenAddress;
use crate::rules::{Check, PhpFpmCx};
use crate::source::{FileId, SourceMap};
use crate::stack::targets::pass_targets;
use std::path::{Path, PathBuf};

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
    /// A pool file that no compose service mounts stays quiet when an nginx configuration checked in the
    /// same run (and the same git repository), and run by no service, passes to that loopback address
    /// and port (`fastcgi_pass 127.0.0.1:9000;`, directly or through an `upstream` block's `server`) or
    /// to a template placeholder that may stand for it (`server <PHP_SOCKET>;`): nginx and php-fpm then
    /// run in one container (an image that starts both, under supervisord or s6), as designed.
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
    if crate::stack::runs_nginx(p) {
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
fn repository(sources: &SourceMap, file: FileId) -> Option<PathBuf> {
    let path = crate::source::normalize(sources.get(file).path.as_deref()?);
    path.ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Whether nginx reaching `host`/`port` with FastCGI may reach a pool listening on loopback `port`: a
/// loopback address with that port, or a template placeholder (its value unknown; the placeholder may
/// hold the port).
fn may_reach(host: &Host, target_port: Option<u16>, port: u16) -> bool {
    match host {
        Host::Placeholder(_) => target_port.map_or(true, |p| p == port),
        h => h.is_loopback() && target_port == Some(port),
    }
}

/// Standalone: whether an nginx configuration of the run, in the pool file's repository and run by no
/// service, passes to loopback `port` (or a placeholder): nginx then runs beside php-fpm.
fn passed_to_by_nginx_beside(cx: &PhpFpmCx<'_>, file: FileId, port: u16) -> bool {
    let repo = repository(cx.sources, file);
    let configs: Vec<&crate::nginx::Config> = cx
        .nginx
        .iter()
        .filter(|c| repository(cx.sources, c.main) == repo)
        .collect();
    // A `fastcgi_pass php;` in a snippet may name an upstream block of another file of the run (its
    // includes point into the image, so each file is a configuration of its own).
    let mut names = Vec::new();
    for config in &configs {
        for t in pass_targets(cx.sources, config) {
            if t.kind != PassKind::FastCgi {
                continue;
            }
            if may_reach(&t.host, t.port, port) {
                return true;
            }
            if let (Host::Name(name), None) = (&t.host, t.port) {
                names.push(name.to_ascii_lowercase());
            }
        }
    }
    names.sort();
    names.dedup();
    if names.is_empty() {
        return false;
    }
    configs.iter().any(|config| {
        // One index per configuration, asked for every name.
        let index = Index::build(config);
        names.iter().any(|name| {
            let Some(upstream) = index.upstream(name, false) else {
                return false;
            };
            let servers = upstream.directive.block.iter().flat_map(|b| &b.directives);
            servers
                .filter(|s| &*s.name.text == "server")
                .filter_map(|s| {
                    let addr = s.args.first()?;
                    let params: Vec<&str> = s.args[1..].iter().map(|w| &*w.text).collect();
                    args::parse_upstream_server(&addr.text, &params).ok()
                })
                .any(|server| may_reach(&server.host, server.port, port))
        })
    })
}

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
            if port.is_some_and(|port| passed_to_by_nginx_beside(cx, winner.value_span.file, port))
            {
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
