//! Name resolution from inside a service, as Docker's embedded DNS (127.0.0.11) and the container's
//! `/etc/hosts` do it: service names, network aliases, `container_name`s and the default container names
//! (`project-service-1`) of services on a network the client shares, `links` aliases, and `extra_hosts`.
//! `hostname:` is not registered (docker/compose#2925). Names with a dot go to the outside DNS.

use super::{Placement, Stack};
use crate::compose::Project;
use crate::source::Span;

/// How a name became a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    ServiceName,
    Alias,
    ContainerName,
    Link,
}

impl Via {
    pub fn describe(self) -> &'static str {
        match self {
            Via::ServiceName => "service name",
            Via::Alias => "network alias",
            Via::ContainerName => "container name",
            Via::Link => "links alias",
        }
    }
}

/// What a host name is from inside a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A service of the stack (its placement index), through Docker's DNS or a link.
    Service {
        placement: usize,
        via: Via,
        /// Where the name is defined (the service key, alias or `container_name`).
        span: Span,
        /// The network the name was found on.
        network: Option<String>,
    },
    /// An `extra_hosts` entry: a fixed address in `/etc/hosts`.
    ExtraHost { span: Span },
    /// The container itself (or the host with `network_mode: host`).
    Loopback,
    /// An IP literal.
    Ip,
    /// Cannot be told from the files (host network, external networks, names with dots …).
    Unknown(String),
    /// No service on a shared network has this name. `elsewhere`: a service that has it but shares no
    /// network with the client.
    NotFound { elsewhere: Option<usize> },
}

fn networks_of(p: &Project, name: &str) -> Vec<String> {
    p.service(name)
        .map(|s| s.networks.iter().map(|n| n.name.value.clone()).collect())
        .unwrap_or_default()
}

/// Whether a project network is `external` (other projects' containers may be on it).
pub fn is_external(p: &Project, network: &str) -> bool {
    let Some(n) = p.root.get("networks").and_then(|n| n.get(network)) else {
        return false;
    };
    match n.get("external") {
        // A mapping (`external: {name: …}`, the old form) is external too.
        Some(e) => e.compose_bool() != Some(false) && !e.is_null(),
        None => false,
    }
}

fn network_mode(stack: &Stack, i: usize) -> Option<String> {
    stack
        .service(&stack.placements[i])
        .network_mode
        .as_ref()
        .map(|m| m.value.clone())
}

/// Resolves `host` as a process in placement `from` would.
pub fn resolve(stack: &Stack, from: usize, host: &str) -> Resolution {
    let mut from = from;
    for _ in 0..8 {
        match network_mode(stack, from).as_deref() {
            None => break,
            Some(m) => {
                if let Some(other) = m.strip_prefix("service:") {
                    match stack.find(stack.placements[from].project, other) {
                        Some(o) if o != from => {
                            if crate::phpfpm::is_loopback_host(host) {
                                return Resolution::Loopback;
                            }
                            from = o;
                            continue;
                        }
                        _ => return Resolution::Unknown(format!("network_mode: {m}")),
                    }
                }
                if crate::phpfpm::is_loopback_host(host) {
                    return Resolution::Loopback;
                }
                return Resolution::Unknown(format!("network_mode: {m}"));
            }
        }
    }
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if crate::phpfpm::is_loopback_host(&h) {
        return Resolution::Loopback;
    }
    if h.parse::<std::net::IpAddr>().is_ok()
        || h.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    {
        return Resolution::Ip;
    }
    let pl: &Placement = &stack.placements[from];
    let project = stack.project(pl);
    let me = stack.service(pl);
    for e in &me.extra_hosts {
        let name = e.value.split(['=', ':']).next().unwrap_or("");
        if name.eq_ignore_ascii_case(&h) {
            return Resolution::ExtraHost { span: e.span };
        }
    }
    for l in &me.links {
        let (target, alias) = l.value.split_once(':').unwrap_or((&l.value, &l.value));
        if alias.eq_ignore_ascii_case(&h) || target.eq_ignore_ascii_case(&h) {
            if let Some(t) = stack.find(pl.project, target) {
                return Resolution::Service {
                    placement: t,
                    via: Via::Link,
                    span: l.span,
                    network: None,
                };
            }
        }
    }
    let my_nets = networks_of(project, &me.name.value);
    let mut elsewhere = None;
    for (i, other) in stack.placements.iter().enumerate() {
        if other.project != pl.project {
            continue;
        }
        let svc = stack.service(other);
        let mut names: Vec<(String, Via, Span, Option<&str>)> = vec![(
            svc.name.value.to_ascii_lowercase(),
            Via::ServiceName,
            svc.name.span,
            None,
        )];
        if let Some(c) = &svc.container_name {
            names.push((
                c.value.to_ascii_lowercase(),
                Via::ContainerName,
                c.span,
                None,
            ));
        } else {
            let n = svc.name.value.to_ascii_lowercase();
            let pname = project.name.to_ascii_lowercase();
            for sep in ['-', '_'] {
                let prefix = format!("{pname}{sep}{n}{sep}");
                if h.strip_prefix(&prefix)
                    .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
                {
                    names.push((h.clone(), Via::ContainerName, svc.name.span, None));
                }
            }
        }
        for n in &svc.networks {
            for a in &n.aliases {
                names.push((
                    a.value.to_ascii_lowercase(),
                    Via::Alias,
                    a.span,
                    Some(&n.name.value),
                ));
            }
        }
        for (name, via, span, only_net) in names {
            if name != h {
                continue;
            }
            let their = networks_of(project, &svc.name.value);
            let shared = their
                .iter()
                .find(|n| my_nets.contains(n) && only_net.map_or(true, |o| o == n.as_str()));
            match shared {
                Some(net) => {
                    return Resolution::Service {
                        placement: i,
                        via,
                        span,
                        network: Some(net.clone()),
                    }
                }
                None => elsewhere = elsewhere.or(Some(i)),
            }
        }
    }
    // Services of a profile that is not active still get their name once started.
    let inactive = project
        .services
        .iter()
        .any(|s| !s.active && s.name.value.eq_ignore_ascii_case(&h));
    if inactive {
        return Resolution::Unknown(format!("`{h}` is a service of an inactive profile"));
    }
    if let Some(net) = my_nets.iter().find(|n| is_external(project, n)) {
        return Resolution::Unknown(format!("external network `{net}` may hold it"));
    }
    if h.contains('.') {
        return Resolution::Unknown("a DNS name outside the compose project".into());
    }
    Resolution::NotFound { elsewhere }
}
