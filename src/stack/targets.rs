//! The upstreams an nginx configuration passes requests to, with the facts the stack rules need: host,
//! port, the `root` and `SCRIPT_FILENAME` in effect, the `listen`s of the configuration.

use crate::nginx::args::{self, Host, PassKind};
use crate::nginx::directives::Context;
use crate::nginx::upstreams::{is_stream, sub_span, Index};
use crate::nginx::{Config, Directive, Tag};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;

/// One place nginx connects to.
#[derive(Clone, Debug)]
pub struct PassTarget {
    pub kind: PassKind,
    pub host: Host,
    /// The port nginx connects to (as written or the scheme's default).
    pub port: Option<u16>,
    /// The host in the source (the pass argument, or the `server` line of an upstream block).
    pub host_span: Span,
    /// The `*_pass` directive.
    pub directive: Span,
    /// Through a variable whose value wirelint knows (`set $php legacy:9000`).
    pub via_variable: bool,
    /// `root` in effect at the directive (literal only).
    pub root: Option<String>,
    /// The path prefix `SCRIPT_FILENAME` gives php-fpm: the `root`, or a literal prefix.
    pub script_dir: Option<String>,
}

/// A `listen` of the configuration.
#[derive(Clone, Debug)]
pub struct ListenSite {
    pub port: Option<u16>,
    pub loopback: bool,
    pub span: Span,
}

type Key = usize;
fn key(d: &Directive) -> Key {
    d as *const Directive as usize
}

fn scope_value<'a>(map: &'a HashMap<Key, String>, parents: &[&Directive]) -> Option<&'a String> {
    parents
        .iter()
        .rev()
        .map(|p| key(p))
        .chain(std::iter::once(0))
        .find_map(|k| map.get(&k))
}

pub fn pass_targets(sources: &SourceMap, config: &Config) -> Vec<PassTarget> {
    pass_targets_known(sources, config).0
}

/// [`pass_targets`], and whether they are all of them: `false` when a pass directive's target could not be
/// told (a variable wirelint cannot expand, a directive in a file read out of context, a target that does
/// not parse).
pub fn pass_targets_known(sources: &SourceMap, config: &Config) -> (Vec<PassTarget>, bool) {
    let mut complete = true;
    let index = Index::build(config);
    // `root` and SCRIPT_FILENAME per block (nginx inherits them inwards; order inside a block is free).
    let mut roots: HashMap<Key, String> = HashMap::new();
    let mut scripts: HashMap<Key, String> = HashMap::new();
    config.walk_tagged(&[Tag::Root, Tag::FastcgiParam], &mut |v| {
        let d = v.directive;
        let k = v.parents.last().map_or(0, |p| key(p));
        match &*d.name.text {
            "root" if d.args.len() == 1 => {
                roots.insert(k, d.args[0].text.to_string());
            }
            "fastcgi_param"
                if d.args.len() >= 2 && d.args[0].text.as_ref() == "SCRIPT_FILENAME" =>
            {
                scripts.insert(k, d.args[1].text.to_string());
            }
            _ => {}
        }
    });
    let mut out = Vec::new();
    config.walk_tagged(&[Tag::Pass], &mut |v| {
        let d = v.directive;
        let stream = is_stream(v.context);
        let Some(kind) = PassKind::from_directive(&d.name.text, stream) else {
            return;
        };
        if !v.context_known && v.context == Context::Main {
            complete = false;
            return;
        }
        let Some(word) = d.args.first() else { return };
        let root = scope_value(&roots, v.parents)
            .filter(|r| !args::has_variables(r))
            .cloned();
        let script_dir = scope_value(&scripts, v.parents).and_then(|s| {
            if let Some(rest) = s.strip_prefix("$document_root") {
                let _ = rest;
                root.clone()
            } else if s.starts_with('/') {
                let lit: String = s.chars().take_while(|c| *c != '$').collect();
                Some(lit.trim_end_matches('/').to_string()).filter(|l| !l.is_empty())
            } else {
                None
            }
        });
        let base =
            |host: Host, port: Option<u16>, host_span: Span, via_variable: bool| PassTarget {
                kind,
                host,
                port,
                host_span,
                directive: d.span,
                via_variable,
                root: root.clone(),
                script_dir: script_dir.clone(),
            };
        let texts: Vec<(String, bool)> = if word.has_variables() {
            let exp = index.expand(&word.text, v.parents);
            if exp.truncated {
                complete = false;
                return;
            }
            if exp.candidates.iter().any(|(t, _)| args::has_variables(t)) {
                complete = false;
            }
            exp.candidates
                .into_iter()
                .filter(|(t, _)| !args::has_variables(t))
                .map(|(t, _)| (t, true))
                .collect()
        } else {
            vec![(word.text.to_string(), false)]
        };
        for (text, via_var) in texts {
            let Ok(t) = args::parse_target(kind, &text) else {
                complete = false;
                continue;
            };
            if let Host::Name(name) = &t.host {
                if t.port_span.is_none() {
                    if let Some(up) = index.upstream(name, stream) {
                        for s in up.directive.block.iter().flat_map(|b| &b.directives) {
                            if &*s.name.text != "server" {
                                continue;
                            }
                            let Some(w) = s.args.first() else { continue };
                            let params: Vec<&str> = s.args[1..].iter().map(|w| &*w.text).collect();
                            let Ok(server) = args::parse_upstream_server(&w.text, &params) else {
                                complete = false;
                                continue;
                            };
                            let span = sub_span(sources, w, server.host_span.clone());
                            // A placeholder may stand for `host:port` or a socket: no default port.
                            let default =
                                (!matches!(server.host, Host::Placeholder(_))).then_some(80);
                            out.push(base(
                                server.host.clone(),
                                server.port.or(default),
                                span,
                                via_var,
                            ));
                        }
                        continue;
                    }
                }
            }
            let span = if via_var {
                word.span
            } else {
                sub_span(sources, word, t.host_span.clone())
            };
            out.push(base(t.host.clone(), t.effective_port(), span, via_var));
        }
    });
    (out, complete)
}

/// Every `listen` of an http/stream server, with nginx's default (`80`) for a server without one.
pub fn listens(sources: &SourceMap, config: &Config) -> Vec<ListenSite> {
    let _ = sources;
    let mut out = Vec::new();
    let mut servers_with_listen = std::collections::HashSet::new();
    let mut servers = Vec::new();
    config.walk_tagged(&[Tag::Server, Tag::Listen], &mut |v| {
        let d = v.directive;
        if &*d.name.text == "server" && d.block.is_some() && matches!(v.context, Context::Http) {
            servers.push((key(d), d.span));
        }
        if &*d.name.text != "listen"
            || !matches!(v.context, Context::Server | Context::StreamServer)
        {
            return;
        }
        if let Some(p) = v.parents.last() {
            servers_with_listen.insert(key(p));
        }
        let Some(word) = d.args.first() else { return };
        let params: Vec<&str> = d.args[1..].iter().map(|w| &*w.text).collect();
        if word.has_variables() {
            return;
        }
        if let Ok(l) = args::parse_listen(&word.text, &params) {
            out.push(ListenSite {
                port: l.port,
                loopback: l.is_loopback(),
                span: d.span,
            });
        }
    });
    for (k, span) in servers {
        if !servers_with_listen.contains(&k) {
            out.push(ListenSite {
                port: Some(80),
                loopback: false,
                span,
            });
        }
    }
    out
}
