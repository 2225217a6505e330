use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::{self, Host, PassKind};
use crate::nginx::directives::Context;
use crate::nginx::upstreams::{is_snippet, sub_span, Definition};
use crate::rules::nginx::concat;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports a `proxy_pass`, `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass` or `memcached_pass`
    /// whose target contains a variable and whose host must be looked up in DNS at request time, while no
    /// `resolver` is in scope (one in the location, its server or http counts; in stream: the server or
    /// stream block).
    ///
    /// Any variable anywhere in the target — also only in the URI, as in `proxy_pass http://app$request_uri`
    /// — makes nginx evaluate the whole target per request. The host is then first matched against the
    /// `upstream` groups (a name without a port, case-insensitive); otherwise it goes to the `resolver`.
    /// IP literals and `unix:` sockets need no lookup. When the host comes from a variable, the rule follows
    /// `set` and `map` to its values and reports only when every value is known and one needs DNS. As the
    /// rewrite module runs them (the server's `set`s, then the location's, in order, all before the request
    /// is passed), an unconditional `set` in the directive's own location replaces the values set before it;
    /// only `set`s in `if` blocks after it may still change the value.
    ///
    /// A snippet checked on its own (no `nginx.conf` that includes it) is checked only when it belongs in
    /// http (like `conf.d/*.conf`) or stream: a server- or location-level snippet may get its `resolver`
    /// from the including file. In a snippet, a host without a port may name an `upstream` of the including
    /// file and is not reported. An `include` wirelint cannot read in any of those blocks (an absolute path
    /// outside the repository and not mapped with `--map`, such as linuxserver/SWAG's
    /// `include /config/nginx/resolver.conf;`, generated when the container starts) may hold the `resolver`:
    /// nothing is reported then.
    ///
    /// ## Why is this bad?
    /// `nginx -t` passes and nginx starts, but every request through this target fails with
    /// `502 Bad Gateway` and `no resolver defined to resolve legacy` in the error log. nginx's resolver does
    /// not read `/etc/hosts`, so even `localhost` fails this way.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     location ~ \.php$ {
    ///         set $php legacy:9000;
    ///         fastcgi_pass $php;
    ///     }
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Add a `resolver` in http, server or the location. In Docker (any compose network) that is the
    /// embedded DNS at `127.0.0.11`; `valid=` bounds how long nginx caches an answer:
    /// ```nginx
    /// server {
    ///     resolver 127.0.0.11 valid=10s;
    ///     location ~ \.php$ {
    ///         set $php legacy:9000;
    ///         fastcgi_pass $php;
    ///     }
    /// }
    /// ```
    /// Or, when the address never changes, pass to a literal target or an `upstream` group instead.
    pub static RULE = Rule {
        code: "N002",
        name: "variable-pass-without-resolver",
        severity: Error,
        summary: "a target with variables needs DNS at request time but no `resolver` is in scope",
        check: Check::Nginx(check),
    }
}

fn help(stream: bool) -> &'static str {
    macro_rules! help {
        ($place:literal) => {
            concat!(
                "add `resolver 127.0.0.11 valid=10s;` (Docker's embedded DNS; elsewhere your network's DNS \
                 server) ",
                $place,
                " — nginx's resolver does not read /etc/hosts; or pass to a literal address or an `upstream` \
                 group if the address never changes"
            )
        };
    }
    if stream {
        help!("in stream or this server")
    } else {
        help!("in http, server or this location")
    }
}

/// What a per-request evaluation of a target needs.
enum Needs<'a> {
    /// No DNS: an IP, a socket or an upstream group (or we cannot tell).
    Nothing,
    /// DNS for this host; the definition that supplied it, if a variable did.
    Dns(String, Option<Definition<'a>>),
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    // A snippet meant for server or location level (not `conf.d/*.conf`, which goes in http) gets its
    // `resolver` from the file that includes it: nothing to say then.
    if !matches!(
        cx.config.context,
        Context::Main | Context::Http | Context::Stream
    ) {
        return;
    }
    let snippet = is_snippet(cx.config);
    let index = cx.index();
    // The index holds the `*_pass` directives with variables and their enclosing blocks, in walk
    // order: a walk over all 16,000 of a large configuration cost 2 M instructions more.
    for (pass, parents) in index.passes().filter(|(p, _)| p.variables) {
        let (d, stream) = (pass.directive(), pass.stream());
        let Some(kind) = PassKind::from_directive(&d.name.text, stream) else {
            continue;
        };
        let Some(word) = d.args.first() else {
            continue;
        };
        // An `include` wirelint cannot read (e.g. generated at container start) may hold the resolver.
        if index.resolver_in_scope(parents).is_some() || index.unread_include_in_scope(parents) {
            continue;
        }
        let Ok(target) = args::parse_target(kind, &word.text) else {
            continue;
        };
        let needs = match &target.host {
            // A template placeholder's value is unknown until rendered.
            Host::Ip(_) | Host::Unix(_) | Host::Placeholder(_) => Needs::Nothing,
            Host::Name(_) if index.runtime_match(&target, stream) => Needs::Nothing,
            // In a snippet, a name without port may be an upstream of the including file.
            Host::Name(_) if snippet && target.port_span.is_none() => Needs::Nothing,
            Host::Name(host) => Needs::Dns(host.clone(), None),
            Host::Variable => {
                let expansion = index.expand(&word.text, parents);
                let mut first_dns = None;
                let mut all_dns = true;
                let mut unknown = expansion.truncated || expansion.candidates.is_empty();
                for (candidate, def) in &expansion.candidates {
                    match args::parse_target(kind, candidate) {
                        Ok(t) => match t.host {
                            Host::Name(_) if snippet && t.port_span.is_none() => unknown = true,
                            Host::Name(_) if !index.runtime_match(&t, stream) => {
                                if first_dns.is_none() {
                                    // The parsed target is dropped here: its host is moved, not copied.
                                    if let Host::Name(h) = t.host {
                                        first_dns = Some((h, *def));
                                    }
                                }
                            }
                            Host::Variable => unknown = true,
                            _ => all_dns = false,
                        },
                        Err(_) => unknown = true,
                    }
                }
                match first_dns {
                    // A `set` off this directive's path may not apply here: report only when every value
                    // needs DNS.
                    Some((h, def)) if !unknown && (all_dns || !expansion.global) => {
                        Needs::Dns(h, def)
                    }
                    _ => Needs::Nothing,
                }
            }
        };
        let Needs::Dns(host, def) = needs else {
            continue;
        };
        let span = sub_span(cx.sources, word, target.host_span.clone());
        let written = &word.text[target.host_span.clone()];
        let message = if written == host {
            concat(&[
                "`",
                host.as_str(),
                "` is resolved per request (the target has variables), but no `resolver` is in scope: \
                 every request fails",
            ])
        } else {
            concat(&[
                "`",
                written,
                "` makes nginx resolve `",
                host.as_str(),
                "` per request, but no `resolver` is in scope: every request fails",
            ])
        };
        let mut diag = RULE.diag(span, message).with_help(help(stream));
        if let Some(def) = def {
            diag = diag.with_related(
                def.directive.span,
                concat(&["the value `", &def.value.text, "` comes from here"]),
            );
        }
        out.push(diag);
    }
}
