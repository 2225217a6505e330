use crate::compose::ports::PortRange;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports a published port without a host address: Docker binds it on every interface (`0.0.0.0` and
    /// `[::]`). A warning for datastore and broker ports (PostgreSQL 5432, MySQL 3306, Redis 6379, MongoDB
    /// 27017, Elasticsearch 9200, Memcached 11211, RabbitMQ 5672/15672 …, over TCP), info for other ports;
    /// a port range is one finding. Host ports 80 and 443 are not reported: they are the public entry
    /// point a proxy is meant to offer. Nor are the ports of a service whose networks all set a loopback
    /// default address (`driver_opts: com.docker.network.bridge.host_binding_ipv4: "127.0.0.1"`): Docker
    /// binds them there.
    ///
    /// ## Why is this bad?
    /// Docker writes its own iptables rules for published ports, which bypass host firewalls such as ufw:
    /// a database published this way is reachable from the internet on a public server.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:16
    ///     ports:
    ///       - "5432:5432"
    /// ```
    ///
    /// ## How to fix
    /// If only other containers use it, drop `ports` (they reach `db:5432` over the compose network).
    /// If you need it from the host, bind loopback:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:16
    ///     ports:
    ///       - "127.0.0.1:5432:5432"
    /// ```
    /// A port published on `[::]` (every IPv6 interface) binds IPv6 loopback instead: `"[::1]:5432:5432"`.
    /// For a datastore or broker port written as a literal short mapping, `wirelint check --fix
    /// --unsafe-fixes` writes the `127.0.0.1:` for you (unsafe: anything that reached the port from other
    /// machines stops reaching it).
    pub static RULE = Rule {
        code: "C003",
        name: "published-on-all-interfaces",
        severity: Warning,
        summary: "a published port without a host address binds every interface",
        check: Check::Compose(check),
    }
}

/// Datastore and broker ports, with what usually listens there.
pub const SENSITIVE_PORTS: &[(u16, &str)] = &[
    (1433, "SQL Server"),
    (2379, "etcd"),
    (3306, "MySQL/MariaDB"),
    (5432, "PostgreSQL"),
    (5672, "RabbitMQ"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (7687, "Neo4j"),
    (8086, "InfluxDB"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch"),
    (11211, "Memcached"),
    (15672, "RabbitMQ management"),
    (27017, "MongoDB"),
];

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for s in &cx.project.services {
        if s.network_mode.is_some() {
            continue; // C006: the ports are not published at all
        }
        if networks_bind_loopback(cx, s) {
            continue;
        }
        // A range mapping (`"10000-20000:10000-20000/udp"`) is one binding per port, all with the span
        // of its list item: one finding for the mapping.
        for group in s.ports.chunk_by(|a, b| a.span == b.span) {
            let (b, last) = (&group[0], &group[group.len() - 1]);
            if !b.all_interfaces() {
                continue;
            }
            let public_web = group.len() == 1
                && b.published
                    .is_some_and(|r| r.start == r.end && (r.start == 80 || r.start == 443));
            // Datastores and brokers listen on TCP: a UDP port with the same number is something else.
            let sensitive = group.iter().filter(|b| b.protocol == "tcp").find_map(|b| {
                SENSITIVE_PORTS
                    .iter()
                    .find(|(p, _)| {
                        *p == b.target
                            || b.published
                                .is_some_and(|r| r.start == r.end && r.start == *p)
                    })
                    .map(|(_, what)| (b, *what))
            });
            let published = match (b.published, last.published) {
                (Some(first), Some(end)) if group.len() > 1 => Some(PortRange {
                    start: first.start,
                    end: end.end,
                }),
                (p, _) => p,
            };
            let host = match published {
                Some(p) if p.start != p.end => format!("host ports {p}"),
                Some(p) => format!("host port {p}"),
                None if group.len() > 1 => "random host ports".to_string(),
                None => "a random host port".to_string(),
            };
            let (ports, are) = if group.len() > 1 {
                ("ports", "are")
            } else {
                ("port", "is")
            };
            let target = PortRange {
                start: b.target,
                end: last.target,
            };
            let proto = if b.protocol == "tcp" {
                String::new()
            } else {
                format!("/{}", b.protocol)
            };
            // `[::]` binds IPv6 only: its loopback is `[::1]` (compose accepts `[::1]:8081:80`).
            let loopback = match b.host_ip {
                Some(ip) if ip.is_ipv6() => "[::1]",
                _ => "127.0.0.1",
            };
            let ip_prefix = match published {
                Some(p) => format!("\"{loopback}:{p}:{target}{proto}\""),
                None => format!("\"{loopback}::{target}{proto}\""),
            };
            if sensitive.is_none() && public_web {
                continue;
            }
            let d = match sensitive {
                Some((sb, what)) => RULE
                    .diag(
                        b.span,
                        format!(
                            "{what} port {} of service \"{}\" is published on all interfaces ({host})",
                            sb.target, s.name.value
                        ),
                    )
                    .with_help(format!(
                        "Docker's rules bypass host firewalls; drop `ports` if only containers connect (they use `{}:{}`), or bind loopback: {ip_prefix}",
                        s.name.value, sb.target
                    )),
                None => RULE
                    .diag(
                        b.span,
                        format!(
                            "{ports} {target} of service \"{}\" {are} published on all interfaces ({host})",
                            s.name.value
                        ),
                    )
                    .with_severity(Severity::Info)
                    .with_help(format!(
                        "if it should be reachable only from this machine, bind loopback: {ip_prefix}"
                    )),
            };
            let d = match (sensitive, loopback_fix(cx, b)) {
                (Some(_), Some(fix)) => d.with_fix(fix),
                _ => d,
            };
            out.push(d);
        }
    }
}

/// Whether every network of the service makes Docker bind ports without a host address to loopback:
/// a bridge network defined here with `driver_opts: com.docker.network.bridge.host_binding_ipv4` set to
/// a loopback address (Docker then binds `127.0.0.1` only, not `[::]` either). Which network decides for
/// a service on several is Docker's choice, so all of them must.
fn networks_bind_loopback(cx: &ComposeCx<'_>, s: &crate::compose::model::Service) -> bool {
    let defined = cx.project.root.get("networks");
    !s.networks.is_empty()
        && s.networks.iter().all(|n| {
            let Some(def) = defined.and_then(|d| d.get(&n.name.value)) else {
                return false;
            };
            let external = def
                .get("external")
                .is_some_and(|e| e.compose_bool() != Some(false) && !e.is_null());
            let bridge = def
                .get("driver")
                .and_then(|d| d.as_str())
                .map_or(true, |d| d == "bridge");
            !external
                && bridge
                && def
                    .get("driver_opts")
                    .and_then(|o| o.get("com.docker.network.bridge.host_binding_ipv4"))
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
                    .is_some_and(|ip| ip.is_loopback())
        })
}

/// Binds a short-syntax mapping to loopback by writing `127.0.0.1:` in front (`127.0.0.1::` for a
/// container-only port). Unsafe: whatever reached the port from other machines stops reaching it.
fn loopback_fix(cx: &ComposeCx<'_>, b: &crate::compose::ports::PortBinding) -> Option<Fix> {
    if b.host_ip.is_some() || !matches!(b.syntax, crate::compose::ports::PortSyntax::Short(_)) {
        return None;
    }
    let text = cx.sources.text(b.span);
    let quote = usize::from(text.starts_with(['"', '\'']));
    // Only literal mappings: a variable could hold a host address already.
    if !text[quote..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let at = b.span.start as usize + quote;
    Some(Fix {
        title: "publish on loopback only".into(),
        edits: vec![Edit {
            span: crate::source::Span::point(b.span.file, at),
            // `"0:5432"` has a host port (0: Docker picks one) though `published` is none.
            replacement: if text[quote..].contains(':') {
                "127.0.0.1:".into()
            } else {
                "127.0.0.1::".into()
            },
        }],
        safe: false,
    })
}
