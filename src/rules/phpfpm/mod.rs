//! php-fpm rules (P). Each runs on one [`crate::phpfpm::PoolSet`]: the files one php-fpm process loads.

pub mod p000_syntax_error;
pub mod p001_listen_loopback;
pub mod p002_overridden_setting;
pub mod p003_allowed_clients_excludes_peers;
pub mod p004_duplicate_listen;
pub mod p005_include_not_found;
pub mod p006_unknown_directive;
pub mod p007_undefined_env_var;

use crate::nginx::args::{self, Host, PassKind};
use crate::nginx::upstreams::Index;
use crate::phpfpm::Assignment;
use crate::rules::PhpFpmCx;
use crate::source::{FileId, SourceMap};
use crate::stack::targets::pass_targets;
use std::path::{Path, PathBuf};

/// `file:line` of an assignment, for messages.
pub(crate) fn place(sources: &SourceMap, a: &Assignment) -> String {
    let loc = sources.location(a.line);
    format!("{}:{}", loc.file, loc.line)
}

/// In stack mode, whether the pool set's service shares its network namespace with another service
/// (`network_mode: service:…` either way): loopback then reaches the other's processes too.
pub(crate) fn shares_network(cx: &PhpFpmCx<'_>) -> bool {
    let Some(view) = cx.stack else {
        return false;
    };
    let p = &view.stack.placements[view.placement];
    let svc = view.stack.service(p);
    crate::stack::joined_by_others(view.stack, p)
        || svc
            .network_mode
            .as_ref()
            .is_some_and(|m| m.value.starts_with("service:") || m.value.starts_with("container:"))
}

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
/// Whether an nginx beside the pool set (a configuration of the same repository that no service runs, or
/// one run by a service the pool files are placed in too) passes FastCGI to loopback port `port`: both
/// run in one container or host, where loopback reaches the pool.
pub(crate) fn nginx_beside_passes(cx: &PhpFpmCx<'_>, file: FileId, port: u16) -> bool {
    let repo = repository(cx.sources, file);
    let configs: Vec<&crate::nginx::Config> = cx
        .nginx
        .iter()
        .copied()
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
