//! `wirelint explain SERVICE`: a service's wiring — the configs it runs and where they come from, its
//! effective listen addresses, each upstream and how its name resolves, its published ports.

use super::images::Family;
use super::resolve::{resolve, Resolution};
use super::targets::{listens, pass_targets};
use super::{Placement, Stack};
use crate::diagnostic::Diagnostic;
use crate::nginx::args::Host;
use crate::phpfpm::ListenAddress;
use crate::source::{SourceMap, Span};
use serde_json::{json, Value};

fn at(sources: &SourceMap, span: Span) -> String {
    let l = sources.location(span);
    format!("{}:{}", l.file, l.line)
}

/// What an upstream name is, in words.
pub fn describe_resolution(stack: &Stack, r: &Resolution) -> String {
    match r {
        Resolution::Service {
            placement,
            via,
            network,
            ..
        } => {
            let net = network
                .as_ref()
                .map(|n| format!(" on network `{n}`"))
                .unwrap_or_default();
            format!(
                "service `{}` ({} via Docker DNS 127.0.0.11{net})",
                stack.name(*placement),
                via.describe()
            )
        }
        Resolution::ExtraHost { .. } => "an `extra_hosts` entry (fixed, in /etc/hosts)".into(),
        Resolution::Loopback => "this container itself (loopback)".into(),
        Resolution::Ip => "an IP address".into(),
        Resolution::Unknown(why) => format!("unknown from the files ({why})"),
        Resolution::NotFound { .. } => {
            "does not resolve: no service on a shared network has this name".into()
        }
    }
}

fn fpm_listens(p: &Placement) -> Vec<(String, String, Span)> {
    let mut out = Vec::new();
    if let Some(set) = &p.fpm {
        for pool in &set.pools {
            if let Some((addr, d)) = set.listen(pool) {
                let what = match &addr {
                    ListenAddress::AllAddresses { port } => format!("every address, port {port}"),
                    ListenAddress::Tcp { host, port } if addr.is_loopback() => {
                        format!("loopback {host}:{port} (this container only)")
                    }
                    ListenAddress::Tcp { host, port } => format!("{host}:{port}"),
                    ListenAddress::Unix { path } => format!("unix socket {path}"),
                };
                out.push((pool.name.clone(), what, d.winner().value_span));
            }
        }
    }
    out
}

/// The human text for placement `i`.
pub fn human(sources: &SourceMap, stack: &Stack, i: usize, findings: &[Diagnostic]) -> String {
    let p = &stack.placements[i];
    let svc = stack.service(p);
    let project = stack.project(p);
    let mut o = String::new();
    o.push_str(&format!(
        "service `{}` of project `{}` ({})\n",
        svc.name.value,
        project.name,
        at(sources, svc.name.span)
    ));
    match &p.image {
        Some(img) => o.push_str(&format!(
            "  image: {}{}{}\n",
            img.reference,
            match img.family {
                Family::Nginx => " (runs nginx)",
                Family::PhpFpm => " (runs php-fpm)",
                Family::Other => "",
            },
            if img.via_build {
                ", the base of its Dockerfile"
            } else {
                ""
            }
        )),
        None => o.push_str("  image: unknown (built from a Dockerfile wirelint cannot read)\n"),
    }
    match &svc.network_mode {
        Some(m) => o.push_str(&format!("  network_mode: {}\n", m.value)),
        None => {
            let nets: Vec<String> = svc
                .networks
                .iter()
                .map(|n| {
                    if n.aliases.is_empty() {
                        n.name.value.clone()
                    } else {
                        let a: Vec<&str> = n.aliases.iter().map(|a| a.value.as_str()).collect();
                        format!("{} (aliases {})", n.name.value, a.join(", "))
                    }
                })
                .collect();
            o.push_str(&format!("  networks: {}\n", nets.join(", ")));
        }
    }
    if svc.ports.is_empty() {
        o.push_str("  published ports: none\n");
    } else {
        o.push_str("  published ports:\n");
        for b in &svc.ports {
            o.push_str(&format!(
                "    {}  ({})\n",
                sources.text(b.span).trim_matches('"'),
                at(sources, b.span)
            ));
        }
    }
    let placed: Vec<_> = p
        .origins
        .iter()
        .filter(|o| o.span.is_some() || o.what.starts_with("rendered"))
        .collect();
    if !placed.is_empty() {
        o.push_str("  files from the repository:\n");
        for org in placed {
            let host = org
                .host
                .as_ref()
                .map(|h| crate::source::display_name(h))
                .unwrap_or_default();
            let place = org
                .span
                .map(|s| format!(", {}", at(sources, s)))
                .unwrap_or_default();
            o.push_str(&format!(
                "    {} ← {host}  ({}{place})\n",
                org.container, org.what
            ));
        }
    }
    if let Some(config) = &p.nginx {
        o.push_str("  nginx configuration, in load order:\n");
        for (n, f) in config.files().enumerate() {
            let name = &sources.get(f).name;
            let container = sources
                .get(f)
                .path
                .as_ref()
                .and_then(|h| stack.container_path_of(p, h))
                .map(|c| format!("  → {c}"))
                .unwrap_or_default();
            o.push_str(&format!("    {}. {name}{container}\n", n + 1));
        }
        o.push_str("  nginx listens on:\n");
        for l in listens(sources, config) {
            let port = l.port.map_or("unix socket".to_string(), |p| p.to_string());
            let scope = if l.loopback { " (loopback only)" } else { "" };
            o.push_str(&format!("    {port}{scope}  ({})\n", at(sources, l.span)));
        }
        let targets = pass_targets(sources, config);
        if !targets.is_empty() {
            o.push_str("  upstreams:\n");
        }
        for t in targets {
            let (shown, r) = match &t.host {
                Host::Name(h) => (h.clone(), resolve(stack, i, h)),
                Host::Ip(ip) if ip.is_loopback() => (ip.to_string(), Resolution::Loopback),
                Host::Ip(ip) => (ip.to_string(), Resolution::Ip),
                Host::Unix(path) => {
                    o.push_str(&format!(
                        "    {} unix:{path}  ({})\n",
                        t.kind.directive(),
                        at(sources, t.directive)
                    ));
                    continue;
                }
                Host::Variable | Host::Placeholder(_) => continue,
            };
            let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
            o.push_str(&format!(
                "    {} {shown}{port}  ({}) → {}\n",
                t.kind.directive(),
                at(sources, t.directive),
                describe_resolution(stack, &r)
            ));
        }
    }
    let fl = fpm_listens(p);
    if let Some(set) = &p.fpm {
        o.push_str(&format!(
            "  php-fpm configuration ({}), in load order:\n",
            set.image
                .as_ref()
                .map(|i| format!("{}: {}", i.image, i.reason))
                .unwrap_or_else(|| "the image's stock files unknown".into())
        ));
        for (n, f) in set.files.iter().enumerate() {
            let file = sources.get(*f);
            // Where the file sits in the container and what put it there.
            let placed = match &file.path {
                Some(h) if super::is_repo_path(h) => stack.container_path_of(p, h).map(|c| {
                    let by = stack
                        .origin(p, &c)
                        .map(|o| {
                            let place = o
                                .span
                                .map(|s| format!(", {}", at(sources, s)))
                                .unwrap_or_default();
                            format!(" ({}{place})", o.what)
                        })
                        .unwrap_or_default();
                    format!("  → {c}{by}")
                }),
                _ if file.name.starts_with('<') => Some("  (the image's stock file)".into()),
                _ => None,
            };
            o.push_str(&format!(
                "    {}. {}{}\n",
                n + 1,
                file.name,
                placed.unwrap_or_default()
            ));
        }
        o.push_str("  php-fpm listens on:\n");
        for (pool, what, span) in &fl {
            // The values the winning `listen` overrode, latest first.
            let overrides: String = set
                .pools
                .iter()
                .find(|x| x.name == *pool)
                .and_then(|x| x.get("listen"))
                .map(|d| {
                    d.overridden()
                        .iter()
                        .rev()
                        .map(|a| {
                            format!("; overrides {} {:?}", at(sources, a.value_span), a.shown())
                        })
                        .collect()
                })
                .unwrap_or_default();
            o.push_str(&format!(
                "    [{pool}] {what}  ({}{overrides})\n",
                at(sources, *span)
            ));
        }
    } else if p.image.as_ref().is_some_and(|i| i.family == Family::PhpFpm) {
        o.push_str("  php-fpm: the image's stock pools (listen = 9000, every address)\n");
    }
    let mine: Vec<&Diagnostic> = findings.iter().filter(|d| touches(stack, p, d)).collect();
    if !mine.is_empty() {
        o.push_str("  findings:\n");
        for d in mine {
            o.push_str(&format!(
                "    {} {} {}  ({})\n",
                d.severity.as_str(),
                d.code,
                d.message,
                at(sources, d.span)
            ));
        }
    }
    o
}

/// Whether a finding is about this service: in a file it runs or its compose definition.
pub fn touches(stack: &Stack, p: &Placement, d: &Diagnostic) -> bool {
    let mine = |f: crate::source::FileId| {
        p.nginx.as_ref().is_some_and(|c| c.files().any(|x| x == f))
            || p.fpm.as_ref().is_some_and(|s| s.files.contains(&f))
    };
    // A cross-file finding is about the other service too when it points at that service's files.
    let in_files = mine(d.span.file) || d.related.iter().any(|r| mine(r.span.file));
    let svc = stack.service(p);
    let in_compose = d.span.file == svc.name.span.file && {
        // between this service's key and the next service's key
        let start = svc.name.span.start;
        let next = stack
            .project(p)
            .services
            .iter()
            .map(|s| s.name.span)
            .filter(|s| s.file == svc.name.span.file && s.start > start)
            .map(|s| s.start)
            .min()
            .unwrap_or(u32::MAX);
        d.span.start >= start && d.span.start < next
    };
    in_files || in_compose
}

pub fn json(sources: &SourceMap, stack: &Stack, i: usize) -> String {
    let p = &stack.placements[i];
    let svc = stack.service(p);
    let mut upstreams: Vec<Value> = Vec::new();
    if let Some(config) = &p.nginx {
        for t in pass_targets(sources, config) {
            let Host::Name(h) = &t.host else { continue };
            let r = resolve(stack, i, h);
            upstreams.push(json!({
                "directive": t.kind.directive(),
                "host": h,
                "port": t.port,
                "at": at(sources, t.directive),
                "resolves_to": describe_resolution(stack, &r),
            }));
        }
    }
    let v = json!({
        "service": svc.name.value,
        "project": stack.project(p).name,
        "image": p.image.as_ref().map(|i| i.reference.clone()),
        "published": svc.ports.iter().map(|b| sources.text(b.span).trim_matches('"').to_string()).collect::<Vec<_>>(),
        "nginx_files": p.nginx.as_ref().map(|c| c.files().map(|f| sources.get(f).name.clone()).collect::<Vec<_>>()),
        "nginx_listens": p.nginx.as_ref().map(|c| listens(sources, c).iter().map(|l| json!({"port": l.port, "loopback": l.loopback, "at": at(sources, l.span)})).collect::<Vec<_>>()),
        "php_fpm_files": p.fpm.as_ref().map(|s| s.files.iter().map(|f| sources.get(*f).name.clone()).collect::<Vec<_>>()),
        "php_fpm_listens": fpm_listens(p).iter().map(|(pool, what, span)| json!({"pool": pool, "listen": what, "at": at(sources, *span)})).collect::<Vec<_>>(),
        "upstreams": upstreams,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
