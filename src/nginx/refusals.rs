//! What nginx refuses once the syntax is read, while it builds the configuration (N000): an `upstream`
//! block named by a target with a port, two `upstream` blocks of one name, two prefix or two exact
//! `location`s of one path at one level, duplicate `listen`s, and a `proxy_pass` URI where nginx cannot
//! replace the matched part.
//!
//! nginx's conditions (checked against `nginx -t` of nginx 1.22.1):
//! - `ngx_http_upstream_add` (and the stream module's): literal `*_pass` targets and `upstream` blocks
//!   share one list per module, in load order, names compared case-insensitively. A target with a port
//!   whose host names a block defined before it fails (`upstream "x" may not have port N`). A block
//!   defined after its name's *first* literal target fails when that target has a port; a later one
//!   with a port stays an implicit group of its own (resolved by DNS at start-up), so it is not reported.
//!   Two blocks of one name fail (`duplicate upstream "x"`).
//! - `ngx_http_join_exact_locations`: among the locations of one server or location, two exact (`=`) or
//!   two prefix (plain or `^~`) locations of the same path (compared byte for byte on Linux) fail
//!   (`duplicate location "/x"`); regular expression and named locations may repeat.
//! - `ngx_http_add_addresses`: one server listening twice on one address and port
//!   (`a duplicate listen 0.0.0.0:80`); two `listen`s of one address and port, in any servers, both with
//!   socket options (`backlog=`, `reuseport`, `bind`, …: `duplicate listen options for 0.0.0.0:80`) or both
//!   `default_server` (`a duplicate default server for 0.0.0.0:80`).
//! - `ngx_http_proxy_pass`: a `proxy_pass` without variables whose URL has a URI part (even `/`) inside
//!   a regular expression or named location, an `if` or a `limit_except` block.

use super::args::{self, Host, ListenAddr, PassKind};
use super::directives::Context;
use super::fxhash::FxHashMap;
use super::upstreams::{
    is_snippet, is_stream, key as directive_key, lowercase, sub_span, Index, PassCursor,
};
use super::{Config, Directive, Tag};
use crate::diagnostic::Diagnostic;
use crate::rules::nginx::n000_syntax_error::RULE;
use crate::source::{SourceMap, Span};
use std::net::{IpAddr, Ipv4Addr};

/// The first literal target naming a host, in one module.
struct FirstTarget<'a> {
    word: &'a super::Word,
    /// The port and where it is in the word's value, when the target has one.
    port: Option<(u16, std::ops::Range<usize>)>,
    /// The host as written.
    host: &'a str,
}

/// What one address and port has seen so far (`listen` checks).
#[derive(Default)]
struct Address<'a> {
    /// The servers listening on it (by directive address) with the address word of their first `listen`
    /// of it.
    servers: Vec<(usize, &'a super::Word)>,
    /// The first `listen` of it with socket options.
    options: Option<&'a super::Word>,
    /// The first `listen … default_server` of it.
    default: Option<&'a super::Word>,
}

/// `listen` parameters that set socket options (`lsopt->set` in ngx_http_core_listen).
const SOCKET_OPTIONS: &[&str] = &[
    "backlog",
    "rcvbuf",
    "sndbuf",
    "accept_filter",
    "deferred",
    "bind",
    "ipv6only",
    "reuseport",
    "so_keepalive",
    "setfib",
    "fastopen",
];

/// How a `location` matches: its kind and path, from its arguments as nginx reads them.
enum LocationKind<'a> {
    Exact(&'a str),
    Prefix(&'a str),
    Regex,
    Named,
}

fn location_kind(d: &Directive) -> Option<LocationKind<'_>> {
    match d.args.as_slice() {
        [m, path] => match &*m.text {
            "=" => Some(LocationKind::Exact(&path.text)),
            "^~" => Some(LocationKind::Prefix(&path.text)),
            "~" | "~*" => Some(LocationKind::Regex),
            _ => None,
        },
        [path] => {
            let t: &str = &path.text;
            Some(if let Some(rest) = t.strip_prefix('=') {
                LocationKind::Exact(rest)
            } else if let Some(rest) = t.strip_prefix("^~") {
                LocationKind::Prefix(rest)
            } else if t.starts_with('~') {
                LocationKind::Regex
            } else if t.starts_with('@') {
                LocationKind::Named
            } else {
                LocationKind::Prefix(t)
            })
        }
        _ => None,
    }
}

/// The refusals of one configuration, as N000 findings.
pub fn check(config: &Config, sources: &SourceMap, index: &Index, out: &mut Vec<Diagnostic>) {
    // The whole `upstream` list is known only when nothing unseen comes before (an including file, an
    // include wirelint cannot read).
    let whole = !is_snippet(config) && config.unread_includes.is_empty();
    // Per module ([http, stream]), by lowercase name.
    let mut blocks: [FxHashMap<String, &Directive>; 2] = Default::default();
    let mut first_targets: [FxHashMap<String, FirstTarget>; 2] = Default::default();
    // (enclosing block, path) → first exact and first prefix location.
    let mut locations: FxHashMap<(usize, &str), [Option<Span>; 2]> = FxHashMap::default();
    // Sized up front: growing it rehashed every path twice on average (5 M instructions for 24,000
    // `location`s).
    locations.reserve(config.tagged_count(Tag::Location));
    let mut addresses: FxHashMap<AddrKey, Address> = FxHashMap::default();
    let mut passes = PassCursor::default();
    let tags = [Tag::Upstream, Tag::Pass, Tag::Listen, Tag::Location];
    config.walk_tagged(&tags, &mut |v| {
        if !v.context_known {
            return;
        }
        let d = v.directive;
        let stream = is_stream(v.context);
        let m = usize::from(stream);
        match &*d.name.text {
            "upstream" if matches!(v.context, Context::Http | Context::Stream) => {
                let (Some(name), Some(_), 1) = (d.args.first(), &d.block, d.args.len()) else {
                    return;
                };
                let key = name.text.to_ascii_lowercase();
                if let Some(first) = blocks[m].get(&key) {
                    out.push(
                        RULE.diag(name.span, format!("duplicate upstream \"{}\"", name.text))
                            .with_help("rename one of the `upstream` blocks, or merge their servers into one")
                            .with_related(first.args[0].span, "first defined here"),
                    );
                    return;
                }
                blocks[m].insert(key.clone(), d);
                if let Some(FirstTarget {
                    word,
                    port: Some((port, range)),
                    host,
                }) = first_targets[m].get(&key).filter(|_| whole)
                {
                    out.push(
                        RULE.diag(sub_span(sources, word, range.clone()), format!("upstream \"{host}\" may not have port {port}"))
                            .with_help(format!(
                                "`{host}` names an `upstream` block: drop the port here and give it on the block's `server` lines"
                            ))
                            .with_related(name.span, "the `upstream` block of this name"),
                    );
                }
            }
            "location" if matches!(v.context, Context::Server | Context::Location) => {
                let (exact, path) = match location_kind(d) {
                    Some(LocationKind::Exact(p)) => (true, p),
                    Some(LocationKind::Prefix(p)) => (false, p),
                    _ => return,
                };
                let Some(parent) = v.parents.last() else {
                    return;
                };
                let Some(word) = d.args.last() else { return };
                let seen = locations.entry((directive_key(parent), path)).or_default();
                let slot = &mut seen[usize::from(!exact)];
                match slot {
                    Some(first) => out.push(
                        RULE.diag(word.span, format!("duplicate location \"{path}\""))
                            .with_help(if exact {
                                "merge the two `location =` blocks of this path into one"
                            } else {
                                "merge the two prefix locations of this path into one (`^~` and a plain prefix count as the same)"
                            })
                            .with_related(*first, "first defined here"),
                    ),
                    None => *slot = Some(word.span),
                }
            }
            "listen" if v.context == Context::Server => {
                listen(v.parents, d, sources, &mut addresses, out);
            }
            name => {
                let Some(kind) = PassKind::from_directive(name, stream) else {
                    return;
                };
                let Some(word) = d.args.first() else {
                    return;
                };
                // As the index read it (it parsed the targets without variables that name a host).
                let pass = index.pass(&mut passes, d, stream);
                if pass.map_or_else(|| word.has_variables(), |p| p.variables) {
                    return;
                }
                let uri_checked = kind == PassKind::Proxy && uri_refused_in(v.parents).is_some();
                let parsed;
                let t = match pass.map(|p| &p.target) {
                    Some(Some(t)) => t,
                    // Not a host name: only the URI can be refused.
                    Some(None) if !uri_checked => return,
                    _ => {
                        let Ok(t) = args::parse_target(kind, &word.text) else {
                            return;
                        };
                        parsed = t;
                        &parsed
                    }
                };
                if uri_checked {
                    proxy_uri(v.parents, word, t, sources, out);
                }
                let Host::Name(_) = &t.host else { return };
                let host = &word.text[t.host_span.clone()];
                // A target whose host names no `upstream` block (in a known context, of either module) can
                // neither name a block nor be the first target of one. The index knows for the targets it
                // parsed.
                let names_block = match pass.filter(|p| p.target.is_some()) {
                    Some(p) => p.upstream_name,
                    None => index.upstream_name(host),
                };
                if !names_block {
                    return;
                }
                let key = lowercase(host);
                let port = t.port.zip(t.port_span.clone());
                if let (Some(block), Some((port, range))) = (blocks[m].get(&*key), &port) {
                    out.push(
                        RULE.diag(sub_span(sources, word, range.clone()), format!("upstream \"{host}\" may not have port {port}"))
                            .with_help(format!(
                                "`{host}` names an `upstream` block: drop the port here and give it on the block's `server` lines"
                            ))
                            .with_related(block.args[0].span, "the `upstream` block of this name"),
                    );
                }
                if whole && !first_targets[m].contains_key(&*key) {
                    first_targets[m].insert(key.into_owned(), FirstTarget { word, port, host });
                }
            }
        }
    });
}

/// An address and port as `ngx_http_add_addresses` compares them, and whether it is a QUIC (UDP) one.
#[derive(Clone, PartialEq, Eq, Hash)]
enum AddrKey {
    Ip(IpAddr, u16, bool),
    Unix(String, bool),
}

impl std::fmt::Display for AddrKey {
    /// As nginx prints it: `0.0.0.0:80`, `[::1]:80`, `unix:/path`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrKey::Ip(IpAddr::V4(ip), port, _) => write!(f, "{ip}:{port}"),
            AddrKey::Ip(IpAddr::V6(ip), port, _) => write!(f, "[{ip}]:{port}"),
            AddrKey::Unix(path, _) => write!(f, "unix:{path}"),
        }
    }
}

/// The `listen` checks of `ngx_http_add_addresses`.
fn listen<'a>(
    parents: &[&Directive],
    d: &'a Directive,
    sources: &SourceMap,
    addresses: &mut FxHashMap<AddrKey, Address<'a>>,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(server), Some(word)) = (parents.last(), d.args.first()) else {
        return;
    };
    if d.args.iter().any(|a| a.has_variables()) {
        return;
    }
    let params: Vec<&str> = d.args[1..].iter().map(|a| &*a.text).collect();
    let Ok(l) = args::parse_listen(&word.text, &params) else {
        return;
    };
    // A QUIC listener (nginx 1.25: `quic`, earlier patches: `http3`) is a UDP socket, apart from TCP ones.
    let udp = l.has("quic") || l.has("http3");
    // A host name may stand for several addresses and is left alone.
    let key = match (&l.addr, l.port) {
        (ListenAddr::Port | ListenAddr::Any, Some(port)) => {
            AddrKey::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port, udp)
        }
        (ListenAddr::Ip(ip), Some(port)) => AddrKey::Ip(*ip, port, udp),
        (ListenAddr::Unix(path), _) => AddrKey::Unix(path.clone(), udp),
        _ => return,
    };
    // Spans and the address text are made only for a finding.
    let span = |w: &super::Word| sub_span(sources, w, 0..w.text.len());
    let report = |message: &str, help: &str, first: &super::Word, note: &str, key: &AddrKey| {
        RULE.diag(span(word), format!("{message} {key}"))
            .with_help(help)
            .with_related(span(first), note)
    };
    let a = addresses.entry(key.clone()).or_default();
    if let Some((_, first)) = a.servers.iter().find(|(s, _)| *s == directive_key(server)) {
        out.push(report(
            "a duplicate listen",
            "remove one of the two `listen`s of this address in the server",
            first,
            "first listen of this address in this server",
            &key,
        ));
        return;
    }
    a.servers.push((directive_key(server), word));
    if l.params
        .iter()
        .any(|p| SOCKET_OPTIONS.contains(&p.name.as_str()))
    {
        match a.options {
            Some(first) => {
                out.push(report(
                    "duplicate listen options for",
                    "socket options (`backlog=`, `reuseport`, `bind`, …) may be given on only one `listen` of an address and port: remove them here",
                    first,
                    "options first given here",
                    &key,
                ));
                return;
            }
            None => a.options = Some(word),
        }
    }
    if l.default_server() {
        match a.default {
            Some(first) => out.push(report(
                "a duplicate default server for",
                "only one server may be `default_server` for an address and port: remove it here or there",
                first,
                "first default server of this address",
                &key,
            )),
            None => a.default = Some(word),
        }
    }
}

/// Where a `proxy_pass` with these enclosing blocks may have no URI part, as nginx words it.
fn uri_refused_in(parents: &[&Directive]) -> Option<&'static str> {
    let parent = parents.last()?;
    match &*parent.name.text {
        "if" => Some("inside \"if\" statement"),
        "limit_except" => Some("inside \"limit_except\" block"),
        "location" => match location_kind(parent) {
            Some(LocationKind::Regex) => Some("in location given by regular expression"),
            Some(LocationKind::Named) => Some("inside named location"),
            _ => None,
        },
        _ => None,
    }
}

/// `ngx_http_proxy_pass`'s refusal of a URI part where nginx cannot replace the matched part.
fn proxy_uri(
    parents: &[&Directive],
    word: &super::Word,
    t: &args::UpstreamTarget,
    sources: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let Some(range) = t.uri_span.clone().filter(|r| !r.is_empty()) else {
        return;
    };
    let Some(place) = uri_refused_in(parents) else {
        return;
    };
    let uri = &word.text[range.clone()];
    out.push(
        RULE.diag(
            sub_span(sources, word, range),
            format!("\"proxy_pass\" cannot have URI part {place}"),
        )
        .with_help(format!(
            "remove `{uri}`: here nginx passes the request URI as it is; to change it, `rewrite … break;` before `proxy_pass`, or give the whole URI with variables (`$request_uri`)"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_kinds() {
        let parsed = crate::nginx::parse(
            crate::source::FileId(0),
            "location = /a {} location =/a {} location ^~/a {} location ~* x {} location @n {} location /a {}",
        );
        let kinds: Vec<String> = parsed
            .directives
            .iter()
            .map(|d| match location_kind(d) {
                Some(LocationKind::Exact(p)) => format!("={p}"),
                Some(LocationKind::Prefix(p)) => format!("^{p}"),
                Some(LocationKind::Regex) => "~".into(),
                Some(LocationKind::Named) => "@".into(),
                None => "?".into(),
            })
            .collect();
        assert_eq!(kinds, ["=/a", "=/a", "^/a", "~", "@", "^/a"]);
    }
}
