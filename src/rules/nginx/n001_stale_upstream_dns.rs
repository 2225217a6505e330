use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::{self, Host, PassKind, UpstreamTarget};
use crate::nginx::directives::Context;
use crate::nginx::upstreams::{is_snippet, is_stream, sub_span};
use crate::nginx::Tag;
use crate::rules::nginx::concat;
use crate::rules::{Check, NginxCx};
use crate::settings::Version;
use smallvec::SmallVec;
use std::borrow::Cow;

declare_rule! {
    /// ## What it does
    /// Reports a `proxy_pass`, `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass` or `memcached_pass`
    /// target, or a `server` of an `upstream` block, that names its host by DNS name while nothing makes
    /// nginx look the name up again: the target has no variable and the upstream server has no `resolve`.
    /// IP literals, `unix:` sockets, `localhost` and names of `upstream` blocks are fine. In a snippet checked
    /// on its own (no `nginx.conf` that includes it), a target without a port may name an `upstream` block
    /// of the including file and is not reported.
    ///
    /// Checked together with a compose file (stack mode), a host that is a compose service (by its name,
    /// network alias, container name or `links` alias) is reported as an error, not a warning: the
    /// service's container gets a new IP each time it is recreated, so the stale address is a matter of
    /// time. A name the stack does not define is left to S001.
    ///
    /// ## Why is this bad?
    /// nginx resolves such a name once, when it loads the configuration, and keeps that address until the
    /// next reload. When the host gets a new address — a container recreated by `docker compose up`, a
    /// rescheduled pod, a cloud load balancer — nginx keeps connecting to the old one and answers
    /// `502 Bad Gateway` (`connect() failed (111: Connection refused)`, with the stale IP in the log) until
    /// someone reloads it. And where the name does not resolve at all (CI, outside the compose network),
    /// `nginx -t` fails with `host not found in upstream`.
    ///
    /// A `resolver` directive alone does not change this: nginx uses it only for targets with variables and
    /// for upstream servers marked `resolve`.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     listen 8080;
    ///     location ~ \.php$ {
    ///         fastcgi_pass legacy:9000;
    ///     }
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Either resolve per request through a variable, with a `resolver` (Docker's embedded DNS is
    /// `127.0.0.11`; `valid=` bounds how long an answer is cached):
    /// ```nginx
    /// resolver 127.0.0.11 valid=10s;
    /// location ~ \.php$ {
    ///     set $php legacy:9000;
    ///     fastcgi_pass $php;
    /// }
    /// ```
    /// With a variable, `proxy_pass http://$u/path` sends `/path` as the whole URI instead of replacing the
    /// matched location prefix; pass the URI you want explicitly (for example `$request_uri`).
    ///
    /// Or, on nginx 1.27.3 and later (open source), keep the name in an `upstream` group that re-resolves it:
    /// ```nginx
    /// resolver 127.0.0.11 valid=10s;
    /// upstream php {
    ///     zone php 64k;
    ///     server legacy:9000 resolve;
    /// }
    /// # … fastcgi_pass php;
    /// ```
    /// When `--nginx-version` says an older nginx, only the first fix is suggested.
    pub static RULE = Rule {
        code: "N001",
        name: "stale-upstream-dns",
        severity: Warning,
        summary: "an upstream host name is resolved only once, at start-up",
        check: Check::Nginx(check),
    }
}

/// The first nginx release whose open-source `upstream` `server` accepts `resolve`.
pub const RESOLVE_SINCE: Version = Version(1, 27, 3);

/// Whether the nginx in use may offer `server … resolve` (unknown version: assume it may).
pub fn resolve_available(cx: &NginxCx<'_>) -> bool {
    cx.settings
        .nginx
        .version
        .map_or(true, |v| v >= RESOLVE_SINCE)
}

/// The host as a variable name's tail (`legacy-1` → `legacy_1`): ASCII letters and digits in lower
/// case, any other character `_`. The variable is `upstream_` and this. Written to `buf` when the host
/// is ASCII (as nearly every one is: pushing `char`s one at a time, then a `String` of its own, cost
/// 400 instructions a finding).
fn var_tail<'b>(host: &'b str, buf: &'b mut SmallVec<[u8; 64]>) -> Cow<'b, str> {
    if host
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        // Nothing to change (`app`, `php1`).
        return Cow::Borrowed(host);
    }
    if host.is_ascii() {
        buf.extend(host.bytes().map(|b| {
            if b.is_ascii_alphanumeric() {
                b.to_ascii_lowercase()
            } else {
                b'_'
            }
        }));
        return Cow::Borrowed(std::str::from_utf8(buf).expect("ASCII"));
    }
    Cow::Owned(
        host.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect(),
    )
}

/// Where a `resolver` may go for a directive of this module.
fn resolver_place(stream: bool) -> &'static str {
    if stream {
        "in stream or this server"
    } else {
        "in http, server or this location"
    }
}

/// What [`pass_help`] writes between the pass line and the upstream group's name: the same for every
/// finding with the same module, resolver state and URI presence, so it is written once per check
/// (with the version text, which is the same for the whole run).
fn pass_help_middle(cx: &NginxCx<'_>, stream: bool, has_resolver: bool, uri: bool) -> String {
    use std::fmt::Write;
    let mut help = String::new();
    help.push_str(";`, and ");
    if has_resolver {
        help.push_str("the `resolver` already in scope will then be used");
    } else {
        help.push_str(
            "add `resolver 127.0.0.11 valid=10s;` (Docker's DNS; otherwise your network's) ",
        );
        help.push_str(resolver_place(stream));
    }
    if uri {
        help.push_str(
            " — with a variable, the URI is sent as written instead of replacing the matched \
             location prefix, so pass the full URI you want (e.g. `$request_uri`)",
        );
    }
    if resolve_available(cx) {
        help.push_str(". Or (nginx ≥ 1.27.3) use an upstream group that re-resolves: `upstream ");
    } else if let Some(v) = cx.settings.nginx.version {
        let _ = write!(
            help,
            " (nginx {v} cannot re-resolve upstream groups: `server … resolve` needs 1.27.3)"
        );
    }
    help
}

/// The parts of [`pass_help`] that do not depend on the target, made on first use: writing the help
/// piece by piece took 1,900 instructions a finding (6,000 findings in the benchmark configuration).
#[derive(Default)]
struct PassHelpParts {
    /// By module, resolver state and URI presence.
    middle: [Option<String>; 8],
}

impl PassHelpParts {
    fn middle(&mut self, cx: &NginxCx<'_>, stream: bool, has_resolver: bool, uri: bool) -> &str {
        let i = usize::from(stream) | usize::from(has_resolver) << 1 | usize::from(uri) << 2;
        self.middle[i].get_or_insert_with(|| pass_help_middle(cx, stream, has_resolver, uri))
    }
}

/// The pass line's start up to the target: `` ;` then `proxy_pass `` (the directive as written).
fn then_directive(kind: PassKind) -> &'static str {
    match kind {
        PassKind::Proxy | PassKind::StreamProxy => ";` then `proxy_pass ",
        PassKind::FastCgi => ";` then `fastcgi_pass ",
        PassKind::Uwsgi => ";` then `uwsgi_pass ",
        PassKind::Scgi => ";` then `scgi_pass ",
        PassKind::Grpc => ";` then `grpc_pass ",
        PassKind::Memcached => ";` then `memcached_pass ",
    }
}

fn pass_help(
    cx: &NginxCx<'_>,
    parts: &mut PassHelpParts,
    kind: PassKind,
    word: &str,
    target: &UpstreamTarget,
    host: &str,
    has_resolver: bool,
) -> String {
    let stream = kind == PassKind::StreamProxy;
    let mut buf = SmallVec::new();
    let tail = var_tail(host, &mut buf);
    // `host:port`, written twice below: the target's own text when its port is written as printed
    // (no leading zero), as it nearly always is.
    let mut built = String::new();
    let authority: &str = match (target.port, &target.port_span) {
        (None, _) => host,
        (Some(_), Some(span))
            if !word[span.clone()].starts_with('0')
                && &word[target.host_span.clone()] == host
                && target.host_span.end + 1 == span.start =>
        {
            &word[target.host_span.start..span.end]
        }
        (Some(p), _) => {
            built.push_str(host);
            built.push(':');
            crate::report::push_decimal(&mut built, usize::from(p));
            &built
        }
    };
    // The pass line: the same directive, the scheme as written, the variable, and for http `proxy_pass`
    // the URI as written.
    let uri = match (kind, &target.uri_span) {
        (PassKind::Proxy, Some(uri)) => Some(&word[uri.clone()]),
        _ => None,
    };
    let middle = parts.middle(cx, stream, has_resolver, uri.is_some());
    // `trim_start_matches`, without the searcher it builds for a `&str` pattern (375 instructions).
    let mut group: &str = &tail;
    while let Some(rest) = group.strip_prefix("upstream_") {
        group = rest;
    }
    let mut help = String::with_capacity(480 + middle.len() + 4 * tail.len());
    for part in [
        "`resolver` alone does not re-resolve a literal name. Resolve per request through a variable: \
         `set $upstream_",
        &tail,
        " ",
        authority,
        then_directive(kind),
        &word[..target.host_span.start],
        "$upstream_",
        &tail,
        uri.unwrap_or(""),
        middle,
    ] {
        help.push_str(part);
    }
    if resolve_available(cx) {
        for part in [
            group,
            "_backend { zone ",
            group,
            "_backend 64k; server ",
            authority,
            if stream {
                " resolve; }` with a `resolver` in stream, and pass to `"
            } else {
                " resolve; }` with a `resolver` in http, and pass to `"
            },
            group,
            "_backend`",
        ] {
            help.push_str(part);
        }
    }
    help
}

fn server_help(
    cx: &NginxCx<'_>,
    upstream: &str,
    stream: bool,
    has_zone: bool,
    has_resolver: bool,
) -> String {
    let module = if stream { "stream" } else { "http" };
    if resolve_available(cx) {
        let mut steps = vec!["add `resolve` to this server".to_string()];
        if !has_zone {
            steps.push(format!("`zone {upstream} 64k;` in the upstream block"));
        }
        if !has_resolver {
            steps.push(format!(
                "`resolver 127.0.0.11 valid=10s;` (Docker's DNS; otherwise your network's) in {module} or in the \
                 upstream block"
            ));
        }
        format!(
            "{} (nginx ≥ 1.27.3); a `resolver` alone does not re-resolve it. On older nginx, pass to the host \
             through a variable with a `resolver` instead of this group",
            steps.join(", ")
        )
    } else {
        let v = cx
            .settings
            .nginx
            .version
            .map(|v| v.to_string())
            .unwrap_or_default();
        format!(
            "nginx {v} cannot re-resolve servers of an upstream group (`resolve` needs 1.27.3) and a `resolver` \
             alone does not help: pass to the host through a variable with a `resolver` in scope \
             (`set $backend host:port;` … `proxy_pass http://$backend;`), or reload nginx whenever the host's \
             address changes"
        )
    }
}

/// Stack mode: a host that is a compose service makes the finding an error naming the service and Docker's
/// DNS; a host no service answers to is left to S001; other hosts keep the single-file finding.
fn in_stack(cx: &NginxCx<'_>, host: &str, mut d: Diagnostic) -> Option<Diagnostic> {
    use crate::stack::resolve::{resolve, Resolution};
    let Some(view) = cx.stack else {
        return Some(d);
    };
    match resolve(view.stack, view.placement, host) {
        Resolution::Service {
            placement,
            via,
            span,
            ..
        } => {
            let stack = view.stack;
            let me = stack.name(view.placement).to_string();
            let target = stack.name(placement).to_string();
            let how = if via == crate::stack::resolve::Via::ServiceName {
                format!("compose service `{target}`")
            } else {
                format!("compose service `{target}` (its {})", via.describe())
            };
            d.severity = crate::diagnostic::Severity::Error;
            d.message = format!(
                "`{host}` is {how}: nginx in service `{me}` resolves it once at start-up, and when `{target}` is recreated it gets a new IP while nginx keeps the old one (502 until reload)"
            );
            d.help = d.help.map(|h| {
                if h.contains("127.0.0.11") {
                    h
                } else {
                    format!("{h}. Docker's embedded DNS is `resolver 127.0.0.11 valid=10s;` on every compose network")
                }
            });
            Some(d.with_related(span, format!("`{host}` is defined here")))
        }
        Resolution::NotFound { .. } => None,
        _ => Some(d),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    let index = cx.index();
    let snippet = is_snippet(cx.config);
    cx.config.walk_tagged(&[Tag::Server], &mut |visit| {
        let d = visit.directive;
        let stream = is_stream(visit.context);
        let Some(word) = d.args.first() else {
            return;
        };
        if matches!(visit.context, Context::Upstream | Context::StreamUpstream) {
            let params: Vec<&str> = d.args[1..].iter().map(|w| &*w.text).collect();
            let Ok(server) = args::parse_upstream_server(&word.text, &params) else {
                return;
            };
            let Host::Name(host) = &server.host else {
                return;
            };
            if server.host.is_localhost() || server.resolve().is_some() {
                return;
            }
            let upstream = visit.parents.last();
            let upstream_name = upstream
                .and_then(|u| u.args.first())
                .map_or("backend", |w| &*w.text);
            let has_zone = upstream.is_some_and(|u| index.has_zone(u));
            let has_resolver = index.resolver_in_scope(visit.parents).is_some();
            let d = RULE.diag(
                    sub_span(cx.sources, word, server.host_span.clone()),
                    format!(
                        "`{host}` in upstream `{upstream_name}` is resolved once at start-up; nginx keeps that \
                         address until reload"
                    ),
                )
                .with_help(server_help(
                    cx,
                    upstream_name,
                    stream,
                    has_zone,
                    has_resolver,
                ));
            out.extend(in_stack(cx, host, d));
        }
    });
    // The targets from the index, which parsed them (and keeps them in walk order with their enclosing
    // blocks): only those without variables (evaluated per request, N002's concern) that name a host.
    // Their findings come after those of the `server`s above; the report sorts them by place.
    let mut help_parts = PassHelpParts::default();
    for (pass, parents) in index.passes() {
        let Some(target) = &pass.target else {
            continue;
        };
        let (d, stream) = (pass.directive(), pass.stream());
        let Some(word) = d.args.first() else {
            continue;
        };
        let Some(kind) = PassKind::from_directive(&d.name.text, stream) else {
            continue;
        };
        let Host::Name(host) = &target.host else {
            continue;
        };
        // With a port, a name of an upstream block is an error of its own (`upstream "php" may not have
        // port 9000`), not a DNS lookup.
        if target.host.is_localhost() || pass.upstream_block {
            continue;
        }
        if snippet && target.port_span.is_none() {
            continue; // may name an upstream block of the file that includes this snippet
        }
        if target.effective_port().is_none() {
            // `fastcgi_pass php;` names an upstream group defined elsewhere, or nginx refuses it
            // ("no port in upstream"): not a DNS matter either way.
            continue;
        }
        let resolver = index.resolver_in_scope(parents);
        let mut diag = RULE
            .diag(
                sub_span(cx.sources, word, target.host_span.clone()),
                concat(&[
                    "`",
                    host.as_str(),
                    "` is resolved once at start-up; nginx keeps that address until reload",
                ]),
            )
            .with_help(pass_help(
                cx,
                &mut help_parts,
                kind,
                &word.text,
                target,
                host,
                resolver.is_some(),
            ));
        if let Some(r) = resolver {
            diag = diag.with_related(
                r.span,
                "this `resolver` is used only for targets with variables",
            );
        }
        out.extend(in_stack(cx, host, diag));
    }
}
