//! Published and exposed ports, normalized the way Docker Compose v2 does (`docker compose config`):
//! the short syntax `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]` (go-connections'
//! `nat.ParsePortSpec`), the long syntax, and `expose`. Container ranges expand to one binding per port; a host
//! range against a single container port stays one binding with a published range.

use crate::compose::yaml::{Node, Resolved, Style, Value};
use crate::source::Span;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{all_consuming, map_res, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::net::IpAddr;

/// An inclusive port range; a single port has `start == end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn single(p: u16) -> PortRange {
        PortRange { start: p, end: p }
    }
    pub fn len(&self) -> u32 {
        u32::from(self.end) - u32::from(self.start) + 1
    }
    pub fn is_empty(&self) -> bool {
        false
    }
    pub fn overlaps(&self, o: &PortRange) -> bool {
        self.start <= o.end && o.start <= self.end
    }
    pub fn contains(&self, p: u16) -> bool {
        self.start <= p && p <= self.end
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortSyntax {
    /// `"8080:80"`, with how the scalar was written.
    Short(Style),
    /// `{target: 80, published: 8080}`.
    Long,
}

/// One published (or container-only) port of a service, after normalization. Every rule uses this type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortBinding {
    /// `None`: every interface (0.0.0.0 and [::]).
    pub host_ip: Option<IpAddr>,
    /// `None`: a random host port is picked (container-only port).
    pub published: Option<PortRange>,
    pub target: u16,
    /// Lower-case: `tcp`, `udp`, `sctp`.
    pub protocol: String,
    pub mode: Option<String>,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    /// The list item as written.
    pub span: Span,
    pub syntax: PortSyntax,
    /// The published port came from a variable with a default (`"${WEB_PORT:-5000}:5000"`): a developer
    /// can move it without editing the file.
    pub published_var: Option<String>,
}

impl PortBinding {
    /// Whether this binding takes host addresses on every interface.
    pub fn all_interfaces(&self) -> bool {
        self.host_ip.map_or(true, |ip| ip.is_unspecified())
    }

    /// Whether two bindings would contend for the same host socket.
    pub fn collides_with(&self, o: &PortBinding) -> bool {
        let (Some(a), Some(b)) = (self.published, o.published) else {
            return false;
        };
        if self.protocol != o.protocol || !a.overlaps(&b) {
            return false;
        }
        match (self.host_ip, o.host_ip) {
            (None, _) | (_, None) => true,
            (Some(x), Some(y)) => {
                x == y
                    || (x.is_unspecified() && x.is_ipv4() == y.is_ipv4())
                    || (y.is_unspecified() && x.is_ipv4() == y.is_ipv4())
            }
        }
    }

    /// `127.0.0.1:8080:80/tcp` style text for messages.
    pub fn describe_host(&self) -> String {
        let ip = match self.host_ip {
            None => "0.0.0.0".to_string(),
            Some(IpAddr::V6(v6)) => format!("[{v6}]"),
            Some(ip) => ip.to_string(),
        };
        match self.published {
            Some(p) => format!("{ip}:{p}/{}", self.protocol),
            None => format!("{ip}:(random)/{}", self.protocol),
        }
    }
}

fn port(i: &str) -> IResult<&str, u16> {
    map_res(take_while1(|c: char| c.is_ascii_digit()), |s: &str| {
        s.parse::<u16>()
    })
    .parse(i)
}

fn range(i: &str) -> IResult<&str, PortRange> {
    (port, opt(preceded(tag("-"), port)))
        .map(|(start, end)| PortRange {
            start,
            end: end.unwrap_or(start),
        })
        .parse(i)
}

fn full_range(s: &str) -> Option<PortRange> {
    let (_, r) = all_consuming(range).parse(s).ok()?;
    (r.start <= r.end).then_some(r)
}

/// Host port 0 (`"0:22"`, `published: 0`) is what an empty host port means: Docker's port allocator
/// (moby `RequestPortsInRange` with start and end 0) picks a free port from the ephemeral range.
fn any_port(r: PortRange) -> Option<PortRange> {
    (r.end != 0).then_some(r)
}

fn protocol(i: &str) -> IResult<&str, &str> {
    alt((tag("tcp"), tag("udp"), tag("sctp"))).parse(i)
}

/// Parses a short-syntax port string (already interpolated). Returns the bindings it stands for.
pub fn parse_short(s: &str) -> Result<Vec<ShortPort>, String> {
    let (rest, proto) = match s.rsplit_once('/') {
        Some((r, p)) => {
            let p = p.to_ascii_lowercase();
            if all_consuming(protocol).parse(p.as_str()).is_err() {
                return Err(format!("invalid protocol \"{p}\""));
            }
            (r, p)
        }
        None => (s, "tcp".to_string()),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => ("", ""),
        2 => ("", parts[0]),
        3 => (parts[0], parts[1]),
        _ => {
            // `::1:80:80`: everything before the last two parts is the address.
            let ip_end = rest.len() - container.len() - 1 - parts[n - 2].len() - 1;
            (&rest[..ip_end], parts[n - 2])
        }
    };
    let host_ip = if ip.is_empty() {
        None
    } else {
        let raw = ip
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(ip);
        Some(
            raw.parse::<IpAddr>()
                .map_err(|_| format!("invalid IP address \"{ip}\""))?,
        )
    };
    let target =
        full_range(container).ok_or_else(|| format!("invalid container port \"{container}\""))?;
    let published = if host.is_empty() {
        None
    } else {
        Some(full_range(host).ok_or_else(|| format!("invalid host port \"{host}\""))?)
    };
    let mut out = Vec::new();
    match published {
        Some(p) if target.len() > 1 => {
            if p.len() != target.len() {
                return Err(format!(
                    "host range {p} and container range {target} differ in length"
                ));
            }
            for k in 0..target.len() {
                let k = k as u16;
                out.push(ShortPort {
                    host_ip,
                    published: any_port(PortRange::single(p.start + k)),
                    target: target.start + k,
                    protocol: proto.clone(),
                });
            }
        }
        _ => {
            for t in target.start..=target.end {
                out.push(ShortPort {
                    host_ip,
                    published: published.and_then(any_port),
                    target: t,
                    protocol: proto.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortPort {
    pub host_ip: Option<IpAddr>,
    pub published: Option<PortRange>,
    pub target: u16,
    pub protocol: String,
}

/// Reads one item of a service's `ports` list (short or long syntax).
pub fn binding_from_node(n: &Node) -> Result<Vec<PortBinding>, (Span, String)> {
    match &n.value {
        Value::Scalar(s) => {
            let text = match n.resolved() {
                Resolved::Int(i) => i.to_string(),
                _ => s.text.clone(),
            };
            let ports = parse_short(text.trim()).map_err(|e| (n.span, e))?;
            let published_var = s.original.as_deref().and_then(|o| {
                let o = o.rsplit_once('/').map_or(o, |(r, _)| r);
                let parts = split_outside_braces(o);
                (parts.len() >= 2)
                    .then(|| parts[parts.len() - 2])
                    .and_then(first_variable)
            });
            Ok(ports
                .into_iter()
                .map(|p| PortBinding {
                    host_ip: p.host_ip,
                    published: p.published,
                    target: p.target,
                    protocol: p.protocol,
                    mode: None,
                    name: None,
                    app_protocol: None,
                    span: n.span,
                    syntax: PortSyntax::Short(s.style),
                    published_var: published_var.clone(),
                })
                .collect())
        }
        Value::Map(_) => {
            let text = |k: &str| n.get(k).and_then(|v| v.as_str()).map(str::trim);
            let target_node = n
                .get("target")
                .ok_or_else(|| (n.head_span(), "a long-syntax port needs `target`".into()))?;
            let target = text("target")
                .and_then(|t| t.parse::<u16>().ok())
                .ok_or_else(|| (target_node.span, "invalid target port".into()))?;
            let published = match text("published") {
                None | Some("") => None,
                Some(p) => any_port(full_range(p).ok_or_else(|| {
                    (
                        n.get("published").map(|x| x.span).unwrap_or(n.span),
                        format!("invalid published port \"{p}\""),
                    )
                })?),
            };
            let host_ip = match text("host_ip") {
                None | Some("") => None,
                Some(ip) => Some(ip.parse::<IpAddr>().map_err(|_| {
                    (
                        n.get("host_ip").map(|x| x.span).unwrap_or(n.span),
                        format!("invalid IP address \"{ip}\""),
                    )
                })?),
            };
            let protocol = text("protocol")
                .filter(|p| !p.is_empty())
                .unwrap_or("tcp")
                .to_ascii_lowercase();
            Ok(vec![PortBinding {
                host_ip,
                published,
                target,
                protocol,
                mode: text("mode").map(str::to_string),
                name: text("name").map(str::to_string),
                app_protocol: text("app_protocol").map(str::to_string),
                span: n.span,
                syntax: PortSyntax::Long,
                published_var: n
                    .get("published")
                    .and_then(|p| p.as_scalar())
                    .and_then(|s| s.original.as_deref())
                    .and_then(first_variable),
            }])
        }
        Value::Seq(_) => Err((n.head_span(), "a port must be a string or a mapping".into())),
    }
}

/// Splits `a:${X:-1}:b` on colons that are not inside `${…}`.
fn split_outside_braces(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    for i in 0..b.len() {
        match b[i] {
            b'{' if i > 0 && b[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The name of the first `$VAR`/`${VAR…}` in `s`.
fn first_variable(s: &str) -> Option<String> {
    let i = s.find('$')?;
    let rest = s[i + 1..].strip_prefix('{').unwrap_or(&s[i + 1..]);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Drops bindings that repeat an earlier one on (host ip, published, target, protocol); the later one wins,
/// as when compose merges files.
pub fn dedup(ports: Vec<PortBinding>) -> Vec<PortBinding> {
    let mut out: Vec<PortBinding> = Vec::with_capacity(ports.len());
    for p in ports {
        if let Some(i) = out.iter().position(|q| {
            q.host_ip == p.host_ip
                && q.published == p.published
                && q.target == p.target
                && q.protocol == p.protocol
        }) {
            out[i] = p;
        } else {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> ShortPort {
        let v = parse_short(s).unwrap();
        assert_eq!(v.len(), 1, "{s}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn short_forms() {
        let p = one("5000:5000");
        assert_eq!(
            (p.published, p.target),
            (Some(PortRange::single(5000)), 5000)
        );
        let p = one("[::1]:80:80/UDP");
        assert_eq!(p.host_ip, Some("::1".parse().unwrap()));
        assert_eq!(p.protocol, "udp");
        assert_eq!(one("::1:80:80").host_ip, Some("::1".parse().unwrap()));
        let p = one("127.0.0.1::80");
        assert_eq!(p.published, None);
        // Host port 0 lets Docker pick a free port, as an empty one does.
        assert_eq!(one("0:22").published, None);
        assert_eq!(one("0.0.0.0:0:22").published, None);
        assert_eq!(one("0-0:22").published, None);
        assert!(parse_short("0:80-81").is_err());
        let v = parse_short("0-1:80-81").unwrap();
        assert_eq!(v[0].published, None);
        assert_eq!(v[1].published, Some(PortRange::single(1)));
        let p = one("8000-8010:80");
        assert_eq!(
            p.published,
            Some(PortRange {
                start: 8000,
                end: 8010
            })
        );
        assert_eq!(parse_short("8000-8001:80-81").unwrap().len(), 2);
        assert_eq!(parse_short("80-82").unwrap().len(), 3);
        assert!(parse_short("8000-8002:80-81").is_err());
        assert!(parse_short("70000:80").is_err());
        assert!(parse_short("localhost:80:80").is_err());
        assert!(parse_short("x:80").is_err());
        assert!(parse_short("80/icmp").is_err());
    }

    #[test]
    fn collisions() {
        let b = |s: &str| {
            let p = one(s);
            PortBinding {
                host_ip: p.host_ip,
                published: p.published,
                target: p.target,
                protocol: p.protocol,
                mode: None,
                name: None,
                app_protocol: None,
                span: Span::point(crate::source::FileId(0), 0),
                syntax: PortSyntax::Long,
                published_var: None,
            }
        };
        assert!(b("5000:1").collides_with(&b("127.0.0.1:5000:2")));
        assert!(!b("127.0.0.1:5000:1").collides_with(&b("127.0.0.2:5000:2")));
        assert!(b("0.0.0.0:5000:1").collides_with(&b("127.0.0.2:5000:2")));
        assert!(b("4990-5010:1").collides_with(&b("5000:2")));
        assert!(!b("5000:1/udp").collides_with(&b("5000:2")));
        assert!(!b("5000").collides_with(&b("5000")));
    }
}
