//! Stack (cross-file) rules: nginx, php-fpm and compose joined (see [`crate::stack`]).

pub mod s001_upstream_host_unknown;
pub mod s002_upstream_port_mismatch;
pub mod s003_fpm_unreachable;
pub mod s004_app_binds_loopback;
pub mod s005_docroot_mismatch;
pub mod s006_loopback_upstream_in_container;

use crate::nginx::args::Host;
use crate::rules::StackCx;
use crate::stack::resolve::{resolve, Resolution};
use crate::stack::targets::{pass_targets, PassTarget};

/// One upstream of an nginx running in a service, resolved from there.
pub struct Edge {
    /// The placement nginx runs in.
    pub from: usize,
    pub target: PassTarget,
    /// The host name as written (lower case); empty for IPs and sockets.
    pub host: String,
    pub resolution: Resolution,
}

/// Every upstream of every placed nginx configuration.
pub fn edges(cx: &StackCx<'_>) -> Vec<Edge> {
    let mut out = Vec::new();
    for (i, p) in cx.stack.placements.iter().enumerate() {
        let Some(config) = &p.nginx else { continue };
        for t in pass_targets(cx.sources, config) {
            let (host, resolution) = match &t.host {
                Host::Name(h) => (h.to_ascii_lowercase(), resolve(cx.stack, i, h)),
                Host::Ip(ip) if ip.is_loopback() => (ip.to_string(), Resolution::Loopback),
                Host::Ip(ip) => (ip.to_string(), Resolution::Ip),
                _ => continue,
            };
            out.push(Edge {
                from: i,
                target: t,
                host,
                resolution,
            });
        }
    }
    out
}

/// `host:port` as nginx targets it.
pub fn authority(e: &Edge) -> String {
    match e.target.port {
        Some(p) => format!("{}:{p}", e.host),
        None => e.host.clone(),
    }
}
