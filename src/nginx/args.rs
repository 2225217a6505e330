//! Micro-grammars of directive arguments: `listen` addresses, `*_pass` targets, `upstream` `server` lines and
//! nginx variables inside arguments.
//!
//! Each parser takes an argument's text (after quote processing) and returns byte ranges *within that text*,
//! so a rule can underline exactly `legacy` in `fastcgi_pass legacy:9000;`. The grammars follow nginx's
//! `ngx_parse_url` (src/core/ngx_inet.c) and were checked against `nginx -t` 1.22.1: `listen 8080` is a port,
//! `listen 127.0.0.1` means port 80, `fastcgi_pass 127.0.0.1` is "no port in upstream", `proxy_pass` needs an
//! `http://`/`https://` prefix ("invalid URL prefix").

use nom::bytes::complete::{tag, take_while};
use nom::character::complete::char;
use nom::combinator::recognize;
use nom::sequence::delimited;
use nom::{IResult, Parser};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// A malformed argument: what is wrong and where (byte range within the argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    pub message: String,
    pub range: Range<usize>,
}

fn err<T>(message: impl Into<String>, range: Range<usize>) -> Result<T, ArgError> {
    Err(ArgError {
        message: message.into(),
        range,
    })
}

/// Byte offset of `part` (a subslice) within `whole`.
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

// ---------------------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------------------

/// A reference to a variable inside an argument: `$name`, `${name}` or a regex capture `$1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    /// The whole reference, `$` included.
    pub range: Range<usize>,
}

/// A piece of an argument: literal text or a variable's name (borrowed from the argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Literal(&'a str),
    Var(&'a str),
}

/// The bytes of a variable name: ASCII letters, digits and `_`.
const VAR_CHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    table
};

/// `$name`, `${name}` or `$1` (nginx's script compiler: a digit after `$` is a capture and ends the name).
///
/// Read byte by byte: the nom combinators it was first written with (kept in the tests as the
/// reference) took 300 instructions a call, and every argument holding a `$` is scanned by several
/// rules (4.8 M instructions on the 5 MB benchmark configuration).
pub(crate) fn variable(input: &str) -> IResult<&str, &str> {
    let b = input.as_bytes();
    // The name's characters are ASCII, so every index below is a character boundary. A table lookup a
    // byte (`take_while(is_ascii_alphanumeric …).count()` took 15 instructions a byte).
    let name_len = |from: usize| {
        b[from..]
            .iter()
            .position(|&c| !VAR_CHAR[usize::from(c)])
            .unwrap_or(b.len() - from)
    };
    let (start, len, end) = match (b.first(), b.get(1)) {
        (Some(b'$'), Some(b'{')) => {
            let n = name_len(2);
            if n == 0 || b.get(2 + n) != Some(&b'}') {
                return Err(nom::Err::Error(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::TakeWhile1,
                )));
            }
            (2, n, 3 + n)
        }
        (Some(b'$'), Some(c)) if c.is_ascii_digit() => (1, 1, 2),
        (Some(b'$'), _) => match name_len(1) {
            0 => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::TakeWhile1,
                )))
            }
            n => (1, n, 1 + n),
        },
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Char,
            )))
        }
    };
    Ok((&input[end..], &input[start..start + len]))
}

/// The variables referenced in `s`, in order.
pub fn variables(s: &str) -> Vec<VarRef> {
    var_refs(s)
        .map(|(range, name)| VarRef {
            name: name.to_string(),
            range,
        })
        .collect()
}

/// The variables referenced in `s`, in order, as (range of the whole reference, name) without copying.
pub(crate) fn var_refs(s: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut rest = s;
    std::iter::from_fn(move || {
        // A plain scan: arguments are short, shorter than a memchr call is worth.
        while let Some(i) = rest.bytes().position(|b| b == b'$') {
            let at = &rest[i..];
            match variable(at) {
                Ok((after, name)) => {
                    rest = after;
                    return Some((offset(s, at)..offset(s, after), name));
                }
                Err(_) => rest = &at[1..],
            }
        }
        None
    })
}

/// Whether `s` references a variable (a lone `$` does not). Same answer as `!variables(s).is_empty()`,
/// without collecting them.
pub fn has_variables(s: &str) -> bool {
    // A `$` that starts a variable; written out rather than through `var_refs`, whose iterator took
    // 200 instructions a call.
    s.bytes()
        .enumerate()
        .any(|(i, b)| b == b'$' && variable(&s[i..]).is_ok())
}

/// `s` split into literal text and variables.
pub fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut last = 0;
    for (range, name) in var_refs(s) {
        if range.start > last {
            out.push(Piece::Literal(&s[last..range.start]));
        }
        out.push(Piece::Var(name));
        last = range.end;
    }
    if last < s.len() {
        out.push(Piece::Literal(&s[last..]));
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Hosts and ports
// ---------------------------------------------------------------------------------------------------------

/// Where a target or upstream server points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name (`legacy`, `app.internal`, `localhost`).
    Name(String),
    /// An IP literal (`127.0.0.1`, `[::1]`).
    Ip(IpAddr),
    /// A unix socket path (`unix:/run/php.sock`).
    Unix(String),
    /// The host is built from variables at request time (`$backend`, `${name}.svc`).
    Variable,
    /// A placeholder a template step fills in before nginx reads the file (`<PHP_SOCKET>`,
    /// `${BACKEND}` in an upstream `server`, `@@HOST@@`, `{{host}}`, `%HOST%`, `IP_1`): its value, and
    /// whether it is a name, an address or a socket, are unknown.
    Placeholder(String),
}

impl Host {
    /// `localhost` (any case) or a `localhost.` name: resolved from `/etc/hosts`, never from DNS.
    pub fn is_localhost(&self) -> bool {
        matches!(self, Host::Name(n) if n.eq_ignore_ascii_case("localhost") || n.eq_ignore_ascii_case("localhost."))
    }

    /// 127.0.0.0/8, ::1, ::ffff:127.x.x.x or `localhost`.
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(ip) => is_loopback_ip(ip),
            _ => self.is_localhost(),
        }
    }
}

pub fn is_loopback_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Classifies a host text without brackets: IPv4 literal, variable, template placeholder or name.
fn classify_host(text: &str) -> Host {
    if has_variables(text) {
        Host::Variable
    } else if let Ok(v4) = text.parse::<Ipv4Addr>() {
        Host::Ip(IpAddr::V4(v4))
    } else if is_placeholder(text) {
        Host::Placeholder(text.to_string())
    } else {
        Host::Name(text.to_string())
    }
}

/// Whether a host text is (or holds) a placeholder that a template step — an entrypoint's `sed`,
/// envsubst, a configuration-management template — replaces before nginx reads the file. None of these
/// forms is a usable DNS name, so the text cannot be what nginx finally resolves:
/// `<NAME>` (`<` and `>` never occur in host names), `{{ … }}` / `{% … %}`, `@NAME@` / `@@NAME@@`,
/// `%NAME%`, `${UPPER_CASE}` (envsubst; nginx's own variables are lower case).
pub fn is_placeholder(text: &str) -> bool {
    // Every form needs one of these bytes; most host names hold none.
    text.bytes()
        .any(|b| matches!(b, b'<' | b'{' | b'$' | b'@' | b'%'))
        && placeholder_form(text)
}

/// [`is_placeholder`] without its quick exit (the tests check the exit against this).
fn placeholder_form(text: &str) -> bool {
    fn ident(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
    // `<…>` with something inside.
    if let Some(open) = text.find('<') {
        if text[open + 1..].find('>').is_some_and(|close| close > 0) {
            return true;
        }
    }
    if text.contains("{{") || text.contains("{%") || super::has_env_placeholder(text) {
        return true;
    }
    // `@NAME@`, `@@NAME@@`, `%NAME%`: an identifier between two markers.
    for marker in ['@', '%'] {
        let parts: Vec<&str> = text.split(marker).collect();
        if parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|w| ident(w)) {
            return true;
        }
    }
    false
}

/// A bare upper-case name with an underscore (`IP_1`, `PHP_HOST`), the form `sed` placeholders take:
/// `_` is not allowed in host names and DNS names are written in lower case. Such a word may also
/// name an `upstream` block, so it counts as a placeholder only where a block cannot be meant: an
/// upstream `server`, or a target with a port.
fn is_bare_placeholder(text: &str) -> bool {
    text.contains('_')
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `Host::Name` turned into a placeholder when it is a bare upper-case one.
fn bare_placeholder(host: Host) -> Host {
    match host {
        Host::Name(n) if is_bare_placeholder(&n) => Host::Placeholder(n),
        h => h,
    }
}

/// `[v6]`: returns the text inside the brackets.
fn bracketed(input: &str) -> IResult<&str, &str> {
    delimited(char('['), take_while(|c| c != ']'), char(']')).parse(input)
}

/// A parsed `host[:port]`, `[v6][:port]` or `unix:/path`, with ranges relative to the start of the
/// authority text handed in.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Authority {
    host: Host,
    host_range: Range<usize>,
    port: Option<u16>,
    port_range: Option<Range<usize>>,
    /// Where the authority ends (start of the URI part, if any).
    end: usize,
}

fn parse_port(text: &str, range: Range<usize>) -> Result<u16, ArgError> {
    // Digits only (so `+80` is refused), any number of leading zeros; folded by hand (`parse::<u32>`
    // and the digit check took 105 instructions a `listen`). Saturating: a long number stays too large.
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let value = text.bytes().fold(0u32, |v, d| {
        v.saturating_mul(10)
            .saturating_add(u32::from(d.wrapping_sub(b'0')))
    });
    if digits && (1..=65535).contains(&value) {
        Ok(value as u16)
    } else {
        err(format!("invalid port `{text}`"), range)
    }
}

/// Built-in variables whose value starts a URI (`/…`, or `?…`/nothing for `$is_args`): in
/// `http://backend$request_uri` they end the host.
const URI_VARIABLES: &[&str] = &["request_uri", "uri", "document_uri", "is_args"];

/// Where a (non-bracketed) host ends: at `:`, `?`, a `/` or a URI variable when a URI may follow.
fn host_end(s: &str, uri_allowed: bool) -> usize {
    // Byte-wise: the bytes looked for are ASCII, which never occur inside a multi-byte character, so
    // every index where one is found is a character boundary.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b':' | b'?' => return i,
            b'/' if uri_allowed => return i,
            b'$' => {
                let rest = &s[i..];
                if let Ok((after, name)) = variable(rest) {
                    if uri_allowed && URI_VARIABLES.contains(&name) {
                        return i;
                    }
                    i = offset(s, after);
                    continue;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    s.len()
}

/// `unix:…` (nginx compares the prefix case-insensitively).
fn is_unix(s: &str) -> bool {
    s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("unix:"))
}

/// Parses an authority at the start of `s`. `uri_allowed`: a `/` ends the authority (proxy_pass URLs).
fn authority(s: &str, uri_allowed: bool) -> Result<Authority, ArgError> {
    if is_unix(s) {
        // ngx_parse_unix_domain_url: the path runs to the next `:` (which starts a URI) or the end.
        let path_start = 5;
        let path_end = s[path_start..]
            .find(':')
            .map_or(s.len(), |i| path_start + i);
        if path_end == path_start {
            return err("no path in unix domain socket", 0..s.len());
        }
        return Ok(Authority {
            host: Host::Unix(s[path_start..path_end].to_string()),
            host_range: 0..path_end,
            port: None,
            port_range: None,
            end: s.len(),
        });
    }
    let bracketed = if s.starts_with('[') {
        bracketed(s).ok()
    } else {
        None
    };
    let (host, host_range, after) = if let Some((after, inner)) = bracketed {
        let start = 1;
        let host = if has_variables(inner) {
            Host::Variable
        } else {
            match inner.parse::<Ipv6Addr>() {
                Ok(v6) => Host::Ip(IpAddr::V6(v6)),
                Err(_) => {
                    return err(
                        format!("invalid IPv6 address `{inner}`"),
                        0..offset(s, after),
                    )
                }
            }
        };
        (host, start..start + inner.len(), after)
    } else {
        let end = host_end(s, uri_allowed);
        let text = &s[..end];
        if text.is_empty() {
            return err("no host", 0..s.len().min(1));
        }
        (classify_host(text), 0..end, &s[end..])
    };
    let mut a = Authority {
        host,
        host_range,
        port: None,
        port_range: None,
        end: offset(s, after),
    };
    if let Some(p) = after.strip_prefix(':') {
        let start = offset(s, p);
        let len = if uri_allowed {
            host_end(p, true)
        } else {
            p.len()
        };
        let text = &p[..len];
        let range = start..start + len;
        // A port written with a variable (`$h:$port`) is known only per request.
        if !has_variables(text) {
            a.port = Some(parse_port(text, range.clone())?);
        }
        a.port_range = Some(range.clone());
        a.end = range.end;
    }
    Ok(a)
}

// ---------------------------------------------------------------------------------------------------------
// *_pass targets
// ---------------------------------------------------------------------------------------------------------

/// Which directive passes requests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    /// http `proxy_pass` (URL with `http://`/`https://`).
    Proxy,
    /// stream `proxy_pass` (`host:port`, no scheme).
    StreamProxy,
    FastCgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
}

impl PassKind {
    /// The kind for a directive name; `stream` tells stream's `proxy_pass` from http's.
    pub fn from_directive(name: &str, stream: bool) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" if stream => PassKind::StreamProxy,
            "proxy_pass" => PassKind::Proxy,
            "fastcgi_pass" => PassKind::FastCgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "grpc_pass" => PassKind::Grpc,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }

    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy | PassKind::StreamProxy => "proxy_pass",
            PassKind::FastCgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::Memcached => "memcached_pass",
        }
    }
}

/// The URL scheme of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Grpc,
    Grpcs,
    Uwsgi,
    Suwsgi,
    /// `$scheme://…`: known only at request time.
    Variable,
}

impl Scheme {
    /// The port nginx uses when the target names none (only http and https have one).
    pub fn default_port(&self) -> Option<u16> {
        match self {
            Scheme::Http => Some(80),
            Scheme::Https => Some(443),
            _ => None,
        }
    }
}

/// Where a `*_pass` directive sends requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamTarget {
    pub scheme: Option<Scheme>,
    pub host: Host,
    /// The host within the argument (`legacy` in `legacy:9000`, `::1` in `[::1]:9000`, the whole `unix:…`).
    pub host_span: Range<usize>,
    /// The port as written.
    pub port: Option<u16>,
    pub port_span: Option<Range<usize>>,
    /// The URI part of a `proxy_pass` URL (`/api/` in `http://app/api/`).
    pub uri_span: Option<Range<usize>>,
    /// Any variable anywhere in the target: nginx then evaluates the whole target per request.
    pub has_variables: bool,
}

impl UpstreamTarget {
    /// The port nginx connects to: as written, or the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port
            .or_else(|| self.scheme.as_ref().and_then(Scheme::default_port))
    }

    /// `host` and `host:port` as written, without scheme and URI: the name nginx matches against
    /// `upstream` blocks. Only a target without a port can name an `upstream` block.
    pub fn may_name_upstream(&self) -> bool {
        self.port_span.is_none() && matches!(self.host, Host::Name(_) | Host::Variable)
    }
}

/// `$name://`: a scheme given by a variable.
fn variable_scheme(input: &str) -> IResult<&str, &str> {
    recognize((variable, tag("://"))).parse(input)
}

/// `prefix` (ASCII) at the start of `input`, ASCII case-insensitively (as nginx compares URL prefixes).
fn strip_prefix_no_case<'i>(input: &'i str, prefix: &str) -> Option<&'i str> {
    let head = input.as_bytes().get(..prefix.len())?;
    // Byte by byte with a quick exit, rather than `eq_ignore_ascii_case`, which lower-cases both sides
    // of every byte: `scheme` runs for every target (3.2 M instructions for 21,000 targets).
    // A byte equals an ASCII letter of the prefix ignoring case when it is equal with bit 5 set.
    let same = head
        .iter()
        .zip(prefix.as_bytes())
        .all(|(&c, &p)| c == p || (p.is_ascii_alphabetic() && c | 0x20 == p.to_ascii_lowercase()));
    // `head` is all ASCII when it matches, so `prefix.len()` is a character boundary.
    same.then(|| &input[prefix.len()..])
}

/// The scheme a target of `kind` starts with, and the rest: a known scheme (any case), `$var://`, or
/// none.
fn scheme(kind: PassKind, input: &str) -> (&str, Option<Scheme>) {
    let known: &[(&str, Scheme)] = match kind {
        PassKind::Proxy => &[("http://", Scheme::Http), ("https://", Scheme::Https)],
        PassKind::Grpc => &[("grpc://", Scheme::Grpc), ("grpcs://", Scheme::Grpcs)],
        PassKind::Uwsgi => &[("uwsgi://", Scheme::Uwsgi), ("suwsgi://", Scheme::Suwsgi)],
        _ => &[],
    };
    for (prefix, scheme) in known {
        if let Some(rest) = strip_prefix_no_case(input, prefix) {
            return (rest, Some(scheme.clone()));
        }
    }
    if input.starts_with('$') {
        if let Ok((rest, _)) = variable_scheme(input) {
            return (rest, Some(Scheme::Variable));
        }
    }
    (input, None)
}

/// Parses a `*_pass` argument.
pub fn parse_target(kind: PassKind, s: &str) -> Result<UpstreamTarget, ArgError> {
    match plain_target(kind, s) {
        Some(target) => Ok(target),
        None => parse_target_general(kind, s),
    }
}

/// [`parse_target`] of the shape most targets have, `[scheme://]name[:port][/uri]` with a host name of
/// ASCII letters, digits, `.`, `-` and `_` that starts with a lower-case letter (so it is no IP address,
/// socket or placeholder), read in one pass; `None` for anything else, which [`parse_target_general`] reads.
/// (The general path took 1,100 instructions a target; a large configuration has tens of thousands.)
fn plain_target(kind: PassKind, s: &str) -> Option<UpstreamTarget> {
    let (rest, scheme) = scheme(kind, s);
    // A `$` (the general parser's case) can only be in a variable scheme, at the host's or port's end
    // (where the checks below stop), or in the URI: the URI is searched for one below, not the whole
    // target up front (which cost a `memchr` call a target).
    if matches!(scheme, Some(Scheme::Variable)) || (scheme.is_none() && kind == PassKind::Proxy) {
        return None;
    }
    let base = offset(s, rest);
    let b = rest.as_bytes();
    if !b.first()?.is_ascii_lowercase() {
        return None;
    }
    let host_len = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')))
        .unwrap_or(b.len());
    if rest[..host_len].eq_ignore_ascii_case("unix") {
        return None;
    }
    let uri_allowed = kind == PassKind::Proxy;
    let mut end = host_len;
    let mut port = None;
    if b.get(end) == Some(&b':') {
        let digits = b[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 5 {
            return None;
        }
        // At most five digits: no overflow.
        let value = b[end + 1..end + 1 + digits]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        if !(1..=65535).contains(&value) {
            return None;
        }
        port = Some((value as u16, base + end + 1..base + end + 1 + digits));
        end += 1 + digits;
    }
    let uri_span = match b.get(end) {
        None => None,
        Some(b'/') if uri_allowed && !b[end..].contains(&b'$') => Some(base + end..s.len()),
        Some(_) => return None,
    };
    Some(UpstreamTarget {
        scheme,
        host: Host::Name(rest[..host_len].to_string()),
        host_span: base..base + host_len,
        port: port.as_ref().map(|(p, _)| *p),
        port_span: port.map(|(_, span)| span),
        uri_span,
        has_variables: false,
    })
}

/// [`parse_target`] of any argument.
fn parse_target_general(kind: PassKind, s: &str) -> Result<UpstreamTarget, ArgError> {
    let has_vars = has_variables(s);
    let (rest, scheme) = scheme(kind, s);
    let base = offset(s, rest);
    if scheme.is_none() && kind == PassKind::Proxy {
        if has_vars && s.starts_with('$') {
            // `proxy_pass $url;`: scheme, host and URI all come from the variable.
            return Ok(UpstreamTarget {
                scheme: None,
                host: Host::Variable,
                host_span: 0..s.len(),
                port: None,
                port_span: None,
                uri_span: None,
                has_variables: true,
            });
        }
        return err(
            "invalid URL prefix: `proxy_pass` needs `http://` or `https://`",
            0..s.len(),
        );
    }
    let uri_allowed = kind == PassKind::Proxy;
    let a = authority(rest, uri_allowed).map_err(|e| ArgError {
        message: e.message,
        range: base + e.range.start..base + e.range.end,
    })?;
    let uri_span = (uri_allowed && a.end < rest.len()).then(|| base + a.end..s.len());
    Ok(UpstreamTarget {
        scheme,
        host: if a.port.is_some() {
            bare_placeholder(a.host)
        } else {
            a.host
        },
        host_span: base + a.host_range.start..base + a.host_range.end,
        port: a.port,
        port_span: a.port_range.map(|r| base + r.start..base + r.end),
        uri_span,
        has_variables: has_vars,
    })
}

// ---------------------------------------------------------------------------------------------------------
// `key=value` parameters (listen, upstream server)
// ---------------------------------------------------------------------------------------------------------

/// One parameter word after the address: `ssl`, `backlog=511`, `weight=5`, `resolve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
    /// Index among the parameter words handed in (to find the word's span).
    pub index: usize,
}

fn parse_params(params: &[&str]) -> Vec<Param> {
    params
        .iter()
        .enumerate()
        .map(|(index, p)| match p.split_once('=') {
            Some((name, value)) => Param {
                name: name.to_string(),
                value: Some(value.to_string()),
                index,
            },
            None => Param {
                name: p.to_string(),
                value: None,
                index,
            },
        })
        .collect()
}

fn find_param<'p>(params: &'p [Param], name: &str) -> Option<&'p Param> {
    params.iter().find(|p| p.name == name)
}

// ---------------------------------------------------------------------------------------------------------
// listen
// ---------------------------------------------------------------------------------------------------------

/// The address part of a `listen`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// `listen 8080;`: every address.
    Port,
    /// `listen *:80;`
    Any,
    Ip(IpAddr),
    /// `listen localhost:80;` (nginx resolves it at start and binds every address it resolves to).
    Host(String),
    Unix(String),
}

/// A parsed `listen` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    pub addr: ListenAddr,
    /// The address (or port, for [`ListenAddr::Port`]) within the first argument.
    pub addr_span: Range<usize>,
    /// The port: as written, or 80 when only an address is given; `None` for unix sockets.
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

impl Listen {
    pub fn is_loopback(&self) -> bool {
        match &self.addr {
            ListenAddr::Ip(ip) => is_loopback_ip(ip),
            ListenAddr::Host(h) => Host::Name(h.clone()).is_localhost(),
            _ => false,
        }
    }

    pub fn has(&self, param: &str) -> bool {
        find_param(&self.params, param).is_some()
    }

    pub fn default_server(&self) -> bool {
        self.has("default_server") || self.has("default")
    }
}

/// Parses `listen address[:port] [params…]` / `listen port [params…]` / `listen unix:path [params…]`.
pub fn parse_listen(addr: &str, params: &[&str]) -> Result<Listen, ArgError> {
    let params = parse_params(params);
    if is_unix(addr) {
        if addr.len() == 5 {
            return err("no path in unix domain socket", 0..addr.len());
        }
        return Ok(Listen {
            addr: ListenAddr::Unix(addr[5..].to_string()),
            addr_span: 0..addr.len(),
            port: None,
            params,
        });
    }
    if !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_digit()) {
        let port = parse_port(addr, 0..addr.len())?;
        return Ok(Listen {
            addr: ListenAddr::Port,
            addr_span: 0..addr.len(),
            port: Some(port),
            params,
        });
    }
    let a = authority(addr, false)?;
    if a.end != addr.len() {
        return err(format!("invalid address `{addr}`"), 0..addr.len());
    }
    let text = &addr[a.host_range.clone()];
    let listen_addr = match a.host {
        Host::Ip(ip) => ListenAddr::Ip(ip),
        Host::Name(_) if text == "*" => ListenAddr::Any,
        Host::Name(n) | Host::Placeholder(n) => ListenAddr::Host(n),
        Host::Variable => return err("variables are not allowed in `listen`", 0..addr.len()),
        Host::Unix(p) => ListenAddr::Unix(p),
    };
    Ok(Listen {
        addr: listen_addr,
        addr_span: a.host_range,
        port: Some(a.port.unwrap_or(80)),
        params,
    })
}

// ---------------------------------------------------------------------------------------------------------
// upstream { server … }
// ---------------------------------------------------------------------------------------------------------

/// A `server` line of an `upstream` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamServer {
    pub host: Host,
    /// The host within the address argument.
    pub host_span: Range<usize>,
    /// The port as written (nginx uses 80 in http when absent).
    pub port: Option<u16>,
    pub port_span: Option<Range<usize>>,
    pub params: Vec<Param>,
}

impl UpstreamServer {
    pub fn param(&self, name: &str) -> Option<&Param> {
        find_param(&self.params, name)
    }

    /// `resolve`: nginx re-resolves the name at run time (open source ≥ 1.27.3).
    pub fn resolve(&self) -> Option<&Param> {
        self.param("resolve")
    }
}

/// Parses `server address [weight=n] [max_fails=n] … [backup] [down] [resolve] [service=name]`.
pub fn parse_upstream_server(addr: &str, params: &[&str]) -> Result<UpstreamServer, ArgError> {
    let a = authority(addr, false)?;
    if a.end != addr.len() {
        return err(format!("invalid address `{addr}`"), 0..addr.len());
    }
    if matches!(a.host, Host::Variable) {
        // nginx takes `$` literally here; such a name cannot resolve. `${UPPER_CASE}` is envsubst's.
        let text = &addr[a.host_range.clone()];
        return Ok(UpstreamServer {
            host: if is_placeholder(text) {
                Host::Placeholder(text.to_string())
            } else {
                Host::Name(text.to_string())
            },
            host_span: a.host_range,
            port: a.port,
            port_span: a.port_range,
            params: parse_params(params),
        });
    }
    Ok(UpstreamServer {
        host: bare_placeholder(a.host),
        host_span: a.host_range,
        port: a.port,
        port_span: a.port_range,
        params: parse_params(params),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grammar pieces as first written (nom, char by char, collecting), kept as the reference the
    /// faster versions above must agree with.
    mod reference {
        use super::super::*;
        use nom::branch::alt;
        use nom::bytes::complete::{tag_no_case, take_while1};
        use nom::combinator::opt;
        use nom::sequence::preceded;

        fn is_var_char(c: char) -> bool {
            c.is_ascii_alphanumeric() || c == '_'
        }

        pub fn scheme(kind: PassKind, input: &str) -> IResult<&str, Option<Scheme>> {
            let known = |i| -> IResult<&str, Scheme> {
                match kind {
                    PassKind::Proxy => alt((
                        tag_no_case("http://").map(|_| Scheme::Http),
                        tag_no_case("https://").map(|_| Scheme::Https),
                    ))
                    .parse(i),
                    PassKind::Grpc => alt((
                        tag_no_case("grpc://").map(|_| Scheme::Grpc),
                        tag_no_case("grpcs://").map(|_| Scheme::Grpcs),
                    ))
                    .parse(i),
                    PassKind::Uwsgi => alt((
                        tag_no_case("uwsgi://").map(|_| Scheme::Uwsgi),
                        tag_no_case("suwsgi://").map(|_| Scheme::Suwsgi),
                    ))
                    .parse(i),
                    _ => Err(nom::Err::Error(nom::error::Error::new(
                        i,
                        nom::error::ErrorKind::Tag,
                    ))),
                }
            };
            opt(alt((known, variable_scheme.map(|_| Scheme::Variable)))).parse(input)
        }

        pub fn host_end(s: &str, uri_allowed: bool) -> usize {
            let mut i = 0;
            while i < s.len() {
                let rest = &s[i..];
                let c = rest.chars().next().unwrap_or(' ');
                if c == ':' || c == '?' || (uri_allowed && c == '/') {
                    return i;
                }
                if c == '$' {
                    if let Ok((after, name)) = variable(rest) {
                        if uri_allowed && URI_VARIABLES.contains(&name) {
                            return i;
                        }
                        i = offset(s, after);
                        continue;
                    }
                }
                i += c.len_utf8();
            }
            s.len()
        }

        pub fn has_variables(s: &str) -> bool {
            s.contains('$') && !variables(s).is_empty()
        }

        pub fn variable(input: &str) -> IResult<&str, &str> {
            preceded(
                char('$'),
                alt((
                    delimited(char('{'), take_while1(is_var_char), char('}')),
                    recognize(nom::character::complete::satisfy(|c| c.is_ascii_digit())),
                    take_while1(is_var_char),
                )),
            )
            .parse(input)
        }
    }

    /// Inputs in the shapes targets take, with the characters the grammars treat specially.
    const SHAPES: &str = "((http|HTTP|HtTpS|https|grpc|GRPCS|uwsgi|sUwsgi|unix|UNIX|\\$scheme|\\$1|\\$\\{s\\})(://|:)?)?\
        ([a-zA-Z0-9_.\\-\\[\\]:/?$@%<>{}é\u{212A}\u{130}]|\\$(uri|request_uri|is_args|args|host|1|\\{x\\})){0,16}";

    const KINDS: [PassKind; 7] = [
        PassKind::Proxy,
        PassKind::StreamProxy,
        PassKind::FastCgi,
        PassKind::Uwsgi,
        PassKind::Scgi,
        PassKind::Grpc,
        PassKind::Memcached,
    ];

    proptest::proptest! {
        #[test]
        fn plain_targets_read_as_the_general_parser_reads_them(
            s in SHAPES,
            plain in "((http|HTTPS|grpc|uwsgi)://)?[a-zA-Z0-9._\\-]{0,12}(:[0-9]{0,7})?(/[a-z/?]{0,5})?(:|\\?|/)?",
        ) {
            for input in [s.as_str(), plain.as_str()] {
                for kind in KINDS {
                    if let Some(t) = plain_target(kind, input) {
                        proptest::prop_assert_eq!(Ok(t), parse_target_general(kind, input), "{}", input);
                    }
                }
            }
        }
    }

    #[test]
    fn plain_targets_take_the_plain_path() {
        for (kind, input) in [
            (PassKind::Proxy, "http://svc0.internal.example:8080/api/"),
            (PassKind::Proxy, "HTTPS://app"),
            (PassKind::FastCgi, "php-fpm:9000"),
            (PassKind::StreamProxy, "dns_1:53"),
            (PassKind::Grpc, "grpc://api:50051"),
        ] {
            let t = plain_target(kind, input).expect(input);
            assert_eq!(Ok(t), parse_target_general(kind, input), "{input}");
        }
        // Left to the general parser: IP addresses, sockets, placeholders, variables, odd ports, a
        // `proxy_pass` without scheme, a URI where the module takes none.
        for (kind, input) in [
            (PassKind::Proxy, "http://10.0.0.1:80"),
            (PassKind::FastCgi, "unix:/run/php.sock"),
            (PassKind::FastCgi, "UPSTREAM_HOST:9000"),
            (PassKind::Proxy, "http://$backend"),
            (PassKind::Proxy, "http://app:0"),
            (PassKind::Proxy, "http://app:99999"),
            (PassKind::Proxy, "app:80"),
            (PassKind::FastCgi, "php:9000/x"),
            (PassKind::Proxy, "http://[::1]:80"),
            (PassKind::Proxy, "http://app?x"),
        ] {
            assert_eq!(plain_target(kind, input), None, "{input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_agree_with_reference(s in SHAPES, any in "\\PC{0,20}") {
            for input in [s.as_str(), any.as_str()] {
                for kind in [PassKind::Proxy, PassKind::StreamProxy, PassKind::FastCgi, PassKind::Uwsgi,
                             PassKind::Scgi, PassKind::Grpc, PassKind::Memcached] {
                    let (rest, scheme) = reference::scheme(kind, input).unwrap();
                    assert_eq!(super::scheme(kind, input), (rest, scheme), "{input}");
                }
                for uri in [false, true] {
                    assert_eq!(host_end(input, uri), reference::host_end(input, uri), "{input}");
                }
                assert_eq!(has_variables(input), reference::has_variables(input), "{input}");
                assert_eq!(is_placeholder(input), placeholder_form(input), "{input}");
                for (i, _) in input.char_indices() {
                    assert_eq!(variable(&input[i..]).ok(), reference::variable(&input[i..]).ok(), "{input}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ports_read_as_parse_reads_them(text in "[+0-9a ]{0,14}") {
            let reference = match text.parse::<u32>() {
                Ok(p) if (1..=65535).contains(&p) && text.bytes().all(|b| b.is_ascii_digit()) => Some(p as u16),
                _ => None,
            };
            proptest::prop_assert_eq!(parse_port(&text, 0..0).ok(), reference, "{}", text);
        }
    }

    #[test]
    fn fast_paths_agree_on_known_shapes() {
        for input in [
            "http://up_1",
            "HTTP://App:80/x",
            "https://a",
            "Https://[::1]:8443/",
            "http://$backend_1",
            "http://${host}.svc:8080/x",
            "$scheme://app",
            "$1://x",
            "${s}://x",
            "$target",
            "grpc://api:1",
            "GRPCS://api",
            "uwsgi://app:3031",
            "SUWSGI://10.0.0.2:1",
            "unix:/run/php.sock",
            "UNIX:/a:/b",
            "php1:9000",
            "[::ffff:127.0.0.1]:80",
            "<PHP_SOCKET>",
            "@@HOST@@:9000",
            "%H%",
            "{{h}}",
            "${BACKEND}",
            "\u{212A}",
            "http\u{212A}//x",
            "h\u{130}",
            "http:/",
            "",
            "$",
            "http://a$uri",
            "http://a?$args",
            "é:1",
            "a:é",
        ] {
            for kind in [
                PassKind::Proxy,
                PassKind::FastCgi,
                PassKind::Uwsgi,
                PassKind::Grpc,
            ] {
                let (rest, scheme) = reference::scheme(kind, input).unwrap();
                assert_eq!(super::scheme(kind, input), (rest, scheme), "{input}");
            }
            for uri in [false, true] {
                assert_eq!(
                    host_end(input, uri),
                    reference::host_end(input, uri),
                    "{input}"
                );
            }
            assert_eq!(
                has_variables(input),
                reference::has_variables(input),
                "{input}"
            );
            assert_eq!(is_placeholder(input), placeholder_form(input), "{input}");
        }
    }

    fn t(kind: PassKind, s: &str) -> UpstreamTarget {
        parse_target(kind, s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn host_text<'s>(s: &'s str, t: &UpstreamTarget) -> &'s str {
        &s[t.host_span.clone()]
    }

    #[test]
    fn variables_and_pieces() {
        let v = variables("http://${host}x:$port/$1/$uri$");
        let names: Vec<_> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["host", "port", "1", "uri"]);
        assert_eq!(
            &"http://${host}x:$port/$1/$uri$"[v[0].range.clone()],
            "${host}"
        );
        assert!(!has_variables("price: 5$"));
        assert!(has_variables("$a"));
        assert_eq!(
            pieces("$upstream:9000"),
            [Piece::Var("upstream"), Piece::Literal(":9000")]
        );
        // A capture ends at one digit: `$12` is `$1` then "2".
        assert_eq!(pieces("$12"), [Piece::Var("1"), Piece::Literal("2")]);
    }

    #[test]
    fn proxy_pass_urls() {
        let s = "http://legacy:9000/api/";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.scheme, Some(Scheme::Http));
        assert_eq!(p.host, Host::Name("legacy".into()));
        assert_eq!(host_text(s, &p), "legacy");
        assert_eq!(p.port, Some(9000));
        assert_eq!(&s[p.port_span.clone().unwrap()], "9000");
        assert_eq!(&s[p.uri_span.clone().unwrap()], "/api/");
        assert!(!p.has_variables);

        let p = t(PassKind::Proxy, "HTTPS://app");
        assert_eq!(p.scheme, Some(Scheme::Https));
        assert_eq!(p.effective_port(), Some(443));
        assert!(p.may_name_upstream());
        assert_eq!(t(PassKind::Proxy, "http://app").effective_port(), Some(80));
        assert_eq!(t(PassKind::Proxy, "http://app?x").uri_span, Some(10..12));

        let s = "http://[::1]:8080";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(host_text(s, &p), "::1");
        assert_eq!(p.port, Some(8080));

        let s = "http://unix:/tmp/app.sock:/uri/";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Unix("/tmp/app.sock".into()));
        assert_eq!(host_text(s, &p), "unix:/tmp/app.sock");

        assert!(parse_target(PassKind::Proxy, "app:80").is_err());
        assert!(parse_target(PassKind::Proxy, "http://app:0").is_err());
        assert!(parse_target(PassKind::Proxy, "http://app:99999").is_err());
        assert!(parse_target(PassKind::Proxy, "http://[zz]:1").is_err());
        assert!(parse_target(PassKind::Proxy, "http://").is_err());
    }

    #[test]
    fn proxy_pass_with_variables() {
        let s = "http://$backend";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Variable);
        assert_eq!(host_text(s, &p), "$backend");
        assert!(p.has_variables);

        let s = "http://${host}.svc:8080/x";
        let p = t(PassKind::Proxy, s);
        assert_eq!(host_text(s, &p), "${host}.svc");
        assert_eq!(p.port, Some(8080));

        // A literal host with a variable URI: still evaluated per request.
        let s = "http://backend$request_uri";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Name("backend".into()));
        assert_eq!(&s[p.uri_span.clone().unwrap()], "$request_uri");
        assert!(p.has_variables);
        let s = "http://backend/$uri";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Name("backend".into()));
        assert!(p.has_variables);

        let s = "$scheme://app";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.scheme, Some(Scheme::Variable));
        assert_eq!(host_text(s, &p), "app");

        let p = t(PassKind::Proxy, "$target");
        assert_eq!(p.host, Host::Variable);
        assert_eq!(p.scheme, None);

        let s = "http://bbb-web:8090$uri$is_args$args";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Name("bbb-web".into()));
        assert_eq!(p.port, Some(8090));
        assert_eq!(&s[p.uri_span.clone().unwrap()], "$uri$is_args$args");

        let s = "http://app:$port";
        let p = t(PassKind::Proxy, s);
        assert_eq!(p.host, Host::Name("app".into()));
        assert_eq!(p.port, None);
        assert!(!p.may_name_upstream());
    }

    #[test]
    fn fastcgi_and_friends() {
        let s = "legacy:9000";
        let p = t(PassKind::FastCgi, s);
        assert_eq!(p.scheme, None);
        assert_eq!(host_text(s, &p), "legacy");
        assert_eq!(p.port, Some(9000));
        assert_eq!(p.effective_port(), Some(9000));
        assert!(!p.may_name_upstream());

        let p = t(PassKind::FastCgi, "php");
        assert_eq!(p.effective_port(), None);
        assert!(p.may_name_upstream());

        let s = "unix:/run/php/php8.2-fpm.sock";
        let p = t(PassKind::FastCgi, s);
        assert_eq!(p.host, Host::Unix("/run/php/php8.2-fpm.sock".into()));
        assert_eq!(host_text(s, &p), s);

        let s = "[::1]:9000";
        let p = t(PassKind::FastCgi, s);
        assert_eq!(p.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(host_text(s, &p), "::1");

        let s = "$upstream:9000";
        let p = t(PassKind::FastCgi, s);
        assert_eq!(p.host, Host::Variable);
        assert_eq!(host_text(s, &p), "$upstream");
        assert_eq!(p.port, Some(9000));

        let s = "uwsgi://app:3031";
        let p = t(PassKind::Uwsgi, s);
        assert_eq!(p.scheme, Some(Scheme::Uwsgi));
        assert_eq!(host_text(s, &p), "app");
        let p = t(PassKind::Uwsgi, "suwsgi://10.0.0.2:3031");
        assert_eq!(p.scheme, Some(Scheme::Suwsgi));
        assert_eq!(p.host, Host::Ip("10.0.0.2".parse().unwrap()));

        let p = t(PassKind::Grpc, "grpcs://api:50051");
        assert_eq!(p.scheme, Some(Scheme::Grpcs));
        assert_eq!(p.effective_port(), Some(50051));
        let p = t(PassKind::Grpc, "api:50051");
        assert_eq!(p.scheme, None);
        assert_eq!(p.host, Host::Name("api".into()));

        let p = t(PassKind::Memcached, "127.0.0.1:11211");
        assert_eq!(p.host, Host::Ip("127.0.0.1".parse().unwrap()));
        let p = t(PassKind::Scgi, "localhost:4000");
        assert!(p.host.is_localhost());
        let p = t(PassKind::StreamProxy, "db:5432");
        assert_eq!(p.host, Host::Name("db".into()));

        assert!(parse_target(PassKind::FastCgi, "php:abc").is_err());
    }

    #[test]
    fn ipv4_literals_are_strict() {
        assert_eq!(
            classify_host("10.0.0.1"),
            Host::Ip("10.0.0.1".parse().unwrap())
        );
        assert_eq!(classify_host("10.0.0.256"), Host::Name("10.0.0.256".into()));
        assert_eq!(classify_host("10.0.1"), Host::Name("10.0.1".into()));
    }

    #[test]
    fn listen_forms() {
        let l = parse_listen("80", &[]).unwrap();
        assert_eq!((l.addr.clone(), l.port), (ListenAddr::Port, Some(80)));
        assert!(!l.is_loopback());

        let l = parse_listen("127.0.0.1:8080", &[]).unwrap();
        assert_eq!(l.addr, ListenAddr::Ip("127.0.0.1".parse().unwrap()));
        assert_eq!(l.port, Some(8080));
        assert_eq!(l.addr_span, 0..9);
        assert!(l.is_loopback());

        let l = parse_listen("127.0.0.1", &[]).unwrap();
        assert_eq!(l.port, Some(80));

        let l = parse_listen("[::1]:443", &["ssl"]).unwrap();
        assert_eq!(l.addr, ListenAddr::Ip("::1".parse().unwrap()));
        assert_eq!(&"[::1]:443"[l.addr_span.clone()], "::1");
        assert!(l.is_loopback() && l.has("ssl"));

        let l = parse_listen("[::]:80", &["ipv6only=on"]).unwrap();
        assert!(!l.is_loopback());
        assert_eq!(l.params[0].value.as_deref(), Some("on"));

        let l = parse_listen("localhost:80", &[]).unwrap();
        assert_eq!(l.addr, ListenAddr::Host("localhost".into()));
        assert!(l.is_loopback());

        let l = parse_listen("*:80", &[]).unwrap();
        assert_eq!(l.addr, ListenAddr::Any);
        let l = parse_listen("unix:/run/nginx.sock", &[]).unwrap();
        assert_eq!(l.addr, ListenAddr::Unix("/run/nginx.sock".into()));
        assert_eq!(l.port, None);

        let l = parse_listen(
            "8080",
            &["default_server", "ssl", "http2", "reuseport", "backlog=511"],
        )
        .unwrap();
        assert!(l.default_server() && l.has("reuseport"));
        assert_eq!(l.params[4].name, "backlog");
        assert_eq!(l.params[4].index, 4);

        assert!(parse_listen("127.0.0.2:8080", &[]).unwrap().is_loopback());
        assert!(parse_listen("[::ffff:127.0.0.1]:80", &[])
            .unwrap()
            .is_loopback());
        assert!(!parse_listen("0.0.0.0:80", &[]).unwrap().is_loopback());
        assert!(parse_listen("99999", &[]).is_err());
        assert!(parse_listen("$port", &[]).is_err());
        assert!(parse_listen("unix:", &[]).is_err());
    }

    proptest::proptest! {
        /// Arbitrary text (multi-byte characters included) never panics, and every range returned lies on
        /// character boundaries inside the input.
        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}", t in "(http://|unix:|\\[|\\$|[a-zé:\\[\\]$/{}0-9.])*") {
            for input in [s.as_str(), t.as_str()] {
                for kind in [PassKind::Proxy, PassKind::FastCgi, PassKind::Uwsgi, PassKind::Grpc, PassKind::StreamProxy] {
                    if let Ok(p) = parse_target(kind, input) {
                        assert!(input.get(p.host_span.clone()).is_some());
                        if let Some(r) = p.uri_span { assert!(input.get(r).is_some()); }
                        if let Some(r) = p.port_span { assert!(input.get(r).is_some()); }
                    }
                }
                if let Ok(l) = parse_listen(input, &[input]) {
                    assert!(input.get(l.addr_span).is_some());
                }
                if let Ok(u) = parse_upstream_server(input, &[input]) {
                    assert!(input.get(u.host_span).is_some());
                }
                for v in variables(input) {
                    assert!(input.get(v.range).is_some());
                }
                let _ = pieces(input);
            }
        }
    }

    #[test]
    fn upstream_servers() {
        let s = "legacy:9000";
        let u = parse_upstream_server(s, &["weight=5", "max_fails=3", "resolve"]).unwrap();
        assert_eq!(u.host, Host::Name("legacy".into()));
        assert_eq!(&s[u.host_span.clone()], "legacy");
        assert_eq!(u.port, Some(9000));
        assert_eq!(u.resolve().map(|p| p.index), Some(2));
        assert_eq!(
            u.param("weight").and_then(|p| p.value.as_deref()),
            Some("5")
        );

        let u = parse_upstream_server("backend1.example.com", &["backup"]).unwrap();
        assert_eq!(u.port, None);
        assert!(u.resolve().is_none() && u.param("backup").is_some());

        let u = parse_upstream_server("unix:/tmp/backend3", &[]).unwrap();
        assert_eq!(u.host, Host::Unix("/tmp/backend3".into()));
        let u = parse_upstream_server("[2001:db8::1]:80", &["down"]).unwrap();
        assert!(matches!(u.host, Host::Ip(IpAddr::V6(_))));
        let u =
            parse_upstream_server("backend4.example.com", &["service=http", "resolve"]).unwrap();
        assert_eq!(
            u.param("service").and_then(|p| p.value.as_deref()),
            Some("http")
        );
        assert!(parse_upstream_server("app:x", &[]).is_err());
        assert!(
            parse_upstream_server("app/x", &[]).is_ok_and(|u| u.host == Host::Name("app/x".into()))
        );
    }

    #[test]
    fn template_placeholders_are_not_names() {
        for p in [
            "<PHP_SOCKET>",
            "<app-host>.internal",
            "{{backend}}",
            "@@PHP_HOST@@",
            "@PHP_HOST@",
            "%PHP_HOST%",
            "${BACKEND}",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        // A bare `UPPER_CASE` word: a placeholder in an upstream `server` or with a port; without a port
        // a target may name an `upstream PHP_BACKEND` block.
        let u = parse_upstream_server("IP_1:6443", &[]).unwrap();
        assert_eq!(u.host, Host::Placeholder("IP_1".into()));
        assert_eq!(
            t(PassKind::FastCgi, "PHP_HOST:9000").host,
            Host::Placeholder("PHP_HOST".into())
        );
        assert_eq!(
            t(PassKind::FastCgi, "PHP_BACKEND").host,
            Host::Name("PHP_BACKEND".into())
        );
        assert_eq!(
            t(PassKind::Proxy, "http://APP_SERVERS/api").host,
            Host::Name("APP_SERVERS".into())
        );
        for n in [
            "legacy",
            "php_fpm",
            "PHP",
            "app.internal",
            "my-app",
            "<>",
            "a@b",
            "100%",
            "${host}",
            "IP_1",
        ] {
            assert!(!is_placeholder(n), "{n}");
        }
        // The whole `host:port` may be the placeholder: no port is assumed.
        let u = parse_upstream_server("<PHP_SOCKET>", &[]).unwrap();
        assert_eq!(u.host, Host::Placeholder("<PHP_SOCKET>".into()));
        assert_eq!(u.port, None);
        let u = parse_upstream_server("${BACKEND}", &["fail_timeout=0"]).unwrap();
        assert_eq!(u.host, Host::Placeholder("${BACKEND}".into()));
        // nginx takes `$` literally in an upstream server: a lower-case `$name` stays a (bad) name.
        let u = parse_upstream_server("$backend:80", &[]).unwrap();
        assert_eq!(u.host, Host::Name("$backend".into()));
        let s = "@@PHP_HOST@@:9000";
        let t = t(PassKind::FastCgi, s);
        assert_eq!(t.host, Host::Placeholder("@@PHP_HOST@@".into()));
        assert_eq!(t.port, Some(9000));
        assert!(!Host::Placeholder("<X>".into()).is_loopback());
    }
}
