use crate::compose::model::Service;
use crate::compose::ports::PortBinding;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, ComposeCx};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports two services of one compose project (after merging all of its files) that publish the same
    /// host address, port and protocol. Overlapping ranges count; `0.0.0.0` (no address) overlaps every
    /// specific address of its family; `127.0.0.1` and `127.0.0.2` do not overlap. Services that can never
    /// run together (in different profiles) are not compared, nor are ports without a host port or with
    /// host port 0 (`"0:22"`): Docker picks a free port for each.
    ///
    /// ## Why is this bad?
    /// The second container cannot bind the port: `docker compose up` fails with "port is already
    /// allocated" and that service does not start.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     ports: ["8080:80"]
    ///   admin:
    ///     image: adminer
    ///     ports: ["8080:8080"]
    /// ```
    ///
    /// ## How to fix
    /// Give each service its own host port (or its own loopback address):
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     ports: ["8080:80"]
    ///   admin:
    ///     image: adminer
    ///     ports: ["127.0.0.1:8081:8080"]
    /// ```
    pub static RULE = Rule {
        code: "C002",
        name: "duplicate-published-port",
        severity: Error,
        summary: "two services publish the same host address, port and protocol",
        check: Check::Compose(check),
    }
}

/// A concrete replacement for the second binding: the next host port nobody in the project publishes.
fn suggestion(b: &PortBinding, taken: &dyn Fn(u16) -> bool) -> String {
    let start = b.published.map_or(0, |p| p.end);
    let free = (1..100u16)
        .filter_map(|k| start.checked_add(k))
        .find(|p| !taken(*p));
    let ip = match b.host_ip {
        Some(std::net::IpAddr::V6(v6)) => format!("[{v6}]:"),
        Some(ip) => format!("{ip}:"),
        None => String::new(),
    };
    let proto = if b.protocol == "tcp" {
        String::new()
    } else {
        format!("/{}", b.protocol)
    };
    match free {
        Some(p) => format!(
            "give one of them another host port, e.g. \"{ip}{p}:{}{proto}\", or bind each to its own address",
            b.target
        ),
        None => "give one of them another host port, or bind each to its own address".to_string(),
    }
}

/// Whether two services can run at the same time, judging by their profiles.
fn can_run_together(a: &Service, b: &Service) -> bool {
    a.profiles.is_empty()
        || b.profiles.is_empty()
        || a.profiles
            .iter()
            .any(|p| b.profiles.iter().any(|q| q.value == p.value))
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    // Bucket by (protocol, port) so thousands of services stay linear.
    let mut buckets: HashMap<(&str, u16), Vec<(usize, &PortBinding)>> = HashMap::new();
    let services = &cx.project.services;
    for (si, s) in services.iter().enumerate() {
        for b in &s.ports {
            let Some(p) = b.published else { continue };
            // Huge ranges are rare; cap the expansion.
            let end = p.end.min(p.start.saturating_add(1024));
            for port in p.start..=end {
                buckets
                    .entry((b.protocol.as_str(), port))
                    .or_default()
                    .push((si, b));
            }
        }
    }
    let taken_ports: std::collections::HashSet<u16> = buckets.keys().map(|k| k.1).collect();
    let taken = |port: u16| taken_ports.contains(&port);
    let mut reported: std::collections::HashSet<(crate::source::Span, crate::source::Span)> =
        std::collections::HashSet::new();
    let mut keys: Vec<_> = buckets.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let list = &buckets[&key];
        for (i, (sa, a)) in list.iter().enumerate() {
            for (sb, b) in &list[..i] {
                if sa == sb
                    || !can_run_together(&services[*sa], &services[*sb])
                    || !a.collides_with(b)
                {
                    continue;
                }
                let pair = (a.span, b.span);
                if !reported.insert(pair) {
                    continue;
                }
                let (first, second, s1, s2) =
                    if (b.span.file, b.span.start) <= (a.span.file, a.span.start) {
                        (b, a, &services[*sb], &services[*sa])
                    } else {
                        (a, b, &services[*sa], &services[*sb])
                    };
                out.push(
                    RULE.diag(
                        second.span,
                        format!(
                            "services \"{}\" and \"{}\" both publish host port {}",
                            s2.name.value,
                            s1.name.value,
                            second.describe_host()
                        ),
                    )
                    .with_related(
                        first.span,
                        format!(
                            "\"{}\" publishes {} here",
                            s1.name.value,
                            first.describe_host()
                        ),
                    )
                    .with_help(suggestion(second, &taken)),
                );
                break;
            }
        }
    }
}
