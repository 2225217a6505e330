//! Which names nginx resolves, and when: `upstream` block names, `resolver`s in scope and the values
//! variables can take (`set`, `map`), collected once per configuration.
//!
//! nginx's rules (ngx_http_upstream.c, checked at run time against nginx 1.22.1):
//! - a target without variables is resolved once at start-up, unless it names an `upstream` block
//!   (names match case-insensitively, only when the target has no port);
//! - a target with any variable is evaluated per request; its host is first matched against every upstream
//!   group (explicit blocks without a port, and the implicit groups literal targets create, on host *and*
//!   port); otherwise it is resolved with the `resolver` of the location (inherited http → server →
//!   location), and with none every request fails: `no resolver defined to resolve …`.

use super::args::{self, Host, PassKind, UpstreamTarget};
use super::directives::Context;
use super::fxhash::{FxHashMap, FxHashSet};
use super::{Config, Directive, Word};
use crate::source::{SourceMap, Span};
use smallvec::{smallvec, SmallVec};
use std::borrow::Cow;

/// The definitions of a variable that apply somewhere: nearly always one or two, kept inline.
type Definitions<'a> = SmallVec<[Definition<'a>; 4]>;

/// `name` in lower case, borrowed when it has no upper-case letter (as nearly every name is).
pub(crate) fn lowercase(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Whether a directive in this context belongs to the stream module (its own upstreams and resolvers).
pub fn is_stream(context: Context) -> bool {
    matches!(
        context,
        Context::Stream | Context::StreamServer | Context::StreamUpstream
    )
}

/// Whether the configuration is a snippet nothing includes (`conf.d/default.conf` on its own): the file
/// that includes it at run time may define more `upstream` blocks and a `resolver`, so names that could
/// be upstream names, and a missing resolver outside http, are not reported.
pub fn is_snippet(config: &Config) -> bool {
    config.context != Context::Main
}

/// A block a directive sits in, identified by the address of its directive; 0 is a file's top level.
type ScopeKey = usize;

/// A directive's identity (its address), for keying blocks in maps.
pub(crate) fn key(d: &Directive) -> ScopeKey {
    d as *const Directive as usize
}

/// The blocks whose directives a directive with these parents inherits (`resolver` and the like):
/// innermost first, then the configuration's top level (key 0).
fn inherited_scopes<'p>(parents: &'p [&Directive]) -> impl Iterator<Item = ScopeKey> + 'p {
    parents
        .iter()
        .rev()
        .map(|p| key(p))
        .chain(std::iter::once(0))
}

fn scope_of(parents: &[&Directive]) -> ScopeKey {
    parents.last().map_or(0, |p| key(p))
}

/// An `upstream` block.
#[derive(Clone, Copy)]
pub struct Upstream<'a> {
    pub directive: &'a Directive,
    pub stream: bool,
    /// Whether its context is known ([`super::Visit::context_known`]).
    pub known: bool,
}

/// The `upstream` blocks of one (lowercase) name.
#[derive(Default)]
struct UpstreamName {
    /// The first in each module (`[http, stream]`), as nginx matches names.
    first: [Option<u32>; 2],
    /// Whether one is in a known context.
    known: bool,
}

impl<'a> Upstream<'a> {
    pub fn name(&self) -> &'a str {
        self.directive.args.first().map_or("", |w| &w.text)
    }
}

/// Where a variable gets a value.
#[derive(Clone, Copy)]
pub struct Definition<'a> {
    /// The `set` directive, or the `map` entry.
    pub directive: &'a Directive,
    pub value: &'a Word,
    /// The block a `set` runs in (`if` blocks count as their enclosing block); `None` for `map`, which
    /// applies everywhere.
    scope: Option<ScopeKey>,
    /// A `set` inside an `if`: it runs only when the condition holds.
    conditional: bool,
}

/// The possible values of a target, after substituting variables whose values are known.
pub struct Expansion<'a> {
    /// Each candidate text, with the definition that supplied its first substituted value.
    pub candidates: Vec<(String, Option<Definition<'a>>)>,
    /// More combinations existed than were kept.
    pub truncated: bool,
    /// A value came from a `set` that is not on the directive's path (none was).
    pub global: bool,
}

/// Upstream names, resolvers and variable definitions of one configuration.
pub struct Index<'a> {
    upstreams: Vec<Upstream<'a>>,
    /// The upstreams of each lowercase name.
    by_name: FxHashMap<String, UpstreamName>,
    /// Lowercase host → ports of the groups literal targets create implicitly; `[http, stream]`.
    implicit: [FxHashMap<String, SmallVec<[u16; 4]>>; 2],
    resolvers: FxHashMap<ScopeKey, &'a Directive>,
    /// Blocks holding an `include` whose content is unknown (it may hold a `resolver`).
    unread_includes: FxHashSet<ScopeKey>,
    /// Blocks holding a `zone` directive (also through an include).
    zones: FxHashSet<ScopeKey>,
    definitions: FxHashMap<String, Definitions<'a>>,
    /// Variables set by something whose values are not known statically (`geo`, `js_set`, a `map` that
    /// includes a file …).
    opaque: FxHashSet<String>,
    /// Every `*_pass` directive in walk order, with its target parsed when it has no variables and
    /// names a host: the rules read it here (see [`Index::pass`]) instead of parsing each one
    /// again.
    passes: Vec<PassTarget<'a>>,
    /// The enclosing blocks of the `*_pass` directives, one after the other (see [`Index::passes`]).
    pass_parents: Vec<&'a Directive>,
}

impl<'a> PassTarget<'a> {
    pub fn directive(&self) -> &'a Directive {
        self.directive
    }

    /// Whether it is read in the stream module.
    pub fn stream(&self) -> bool {
        self.stream
    }
}

/// A `*_pass` directive seen while building the index.
pub struct PassTarget<'a> {
    directive: &'a Directive,
    /// Read in the stream module (a file included both in http and in stream is read as each).
    stream: bool,
    /// Whether its first argument has variables ([`Word::has_variables`]).
    pub variables: bool,
    /// Its first argument parsed, when it has no variables and names a host.
    pub target: Option<UpstreamTarget>,
    /// Its enclosing blocks, in [`Index::pass_parents`].
    parents: std::ops::Range<u32>,
    /// With a target: whether its host names an `upstream` block of its module ([`Index::upstream`]).
    pub upstream_block: bool,
    /// With a target: whether its host is the name of an `upstream` block in a known context, of either
    /// module ([`Index::upstream_name`]).
    pub upstream_name: bool,
}

/// Where a walk over the `*_pass` directives is in [`Index`]'s list of them: a walk visits them in the
/// same order, so each lookup is the next entry. (Looking them up by address in a hash table, and
/// filling it, cost 300 instructions a directive.)
#[derive(Default)]
pub struct PassCursor(usize);

/// Directives that define a variable named by their argument at `index`, with values not known here.
pub(crate) const OPAQUE_DEFINERS: &[(&str, usize)] = &[
    ("split_clients", 1),
    ("perl_set", 0),
    ("js_set", 0),
    ("auth_request_set", 0),
    ("set_by_lua", 0),
    ("set_by_lua_block", 0),
    ("set_by_lua_file", 0),
];

/// The variable a word is made of entirely (`$name`, `${name}`), if it is one.
fn var_name(word: &Word) -> Option<String> {
    var_name_str(word).map(str::to_string)
}

/// [`var_name`], borrowed.
fn var_name_str(word: &Word) -> Option<&str> {
    // One variable spanning the whole word is one that starts it and leaves nothing after it.
    match args::variable(&word.text) {
        Ok(("", name)) => Some(name),
        _ => None,
    }
}

impl<'a> Index<'a> {
    pub fn build(config: &'a Config) -> Index<'a> {
        let mut index = Index {
            upstreams: Vec::new(),
            by_name: Default::default(),
            implicit: Default::default(),
            resolvers: Default::default(),
            unread_includes: Default::default(),
            zones: Default::default(),
            definitions: Default::default(),
            opaque: Default::default(),
            passes: Vec::new(),
            pass_parents: Vec::new(),
        };
        use super::Tag;
        let passes = config.tagged_count(Tag::Pass);
        index.passes.reserve_exact(passes);
        // Enclosing blocks: usually http, server and a location (growing it copied 0.5 M instructions'
        // worth on the benchmark configuration).
        index.pass_parents.reserve(passes * 3);
        let tags = [
            Tag::Upstream,
            Tag::Zone,
            Tag::Resolver,
            Tag::Set,
            Tag::Map,
            Tag::Geo,
            Tag::Pass,
            Tag::OpaqueDefiner,
            Tag::Include,
        ];
        // `include`s matter only when one could not be read (nearly never): 2,000 visits fewer.
        let tags = if config.unread_includes.is_empty() {
            &tags[..tags.len() - 1]
        } else {
            &tags[..]
        };
        config.walk_tagged(tags, &mut |visit| {
            let d: &'a Directive = visit.directive;
            let name: &str = &d.name.text;
            let stream = is_stream(visit.context);
            match name {
                "upstream" if d.block.is_some() && !d.args.is_empty() => {
                    index.upstreams.push(Upstream {
                        directive: d,
                        stream,
                        known: visit.context_known,
                    });
                }
                "zone" => {
                    index.zones.insert(scope_of(visit.parents));
                }
                "resolver" => {
                    index.resolvers.entry(scope_of(visit.parents)).or_insert(d);
                }
                "include" => {
                    if config.unread_includes.contains(&d.span) {
                        index.unread_includes.insert(scope_of(visit.parents));
                    }
                }
                "set" if d.args.len() >= 2 => {
                    if let Some(var) = var_name_str(&d.args[0]) {
                        // `set` inside `if` runs as part of the enclosing location or server.
                        let scope = visit
                            .parents
                            .iter()
                            .rev()
                            .find(|p| &*p.name.text != "if")
                            .map_or(0, |p| key(p));
                        let conditional =
                            visit.parents.last().is_some_and(|p| &*p.name.text == "if");
                        let def = Definition {
                            directive: d,
                            value: &d.args[1],
                            scope: Some(scope),
                            conditional,
                        };
                        // A variable is usually set in several places: the name is copied once.
                        match index.definitions.get_mut(var) {
                            Some(defs) => defs.push(def),
                            None => {
                                index.definitions.insert(var.to_string(), smallvec![def]);
                            }
                        }
                    }
                }
                "map" if d.args.len() >= 2 => {
                    if let (Some(var), Some(block)) = (var_name(&d.args[1]), &d.block) {
                        for entry in &block.directives {
                            match (&*entry.name.text, entry.args.first()) {
                                ("hostnames" | "volatile", None) => {}
                                ("include", _) => {
                                    index.opaque.insert(var.clone());
                                }
                                (_, Some(value)) => {
                                    index.definitions.entry(var.clone()).or_default().push(
                                        Definition {
                                            directive: entry,
                                            value,
                                            scope: None,
                                            conditional: false,
                                        },
                                    );
                                }
                                _ => {}
                            }
                        }
                    }
                }
                "geo" => {
                    if let Some(var) = d.args.last().and_then(var_name) {
                        index.opaque.insert(var);
                    }
                }
                _ => {
                    if let Some(kind) = PassKind::from_directive(name, stream) {
                        let mut target = None;
                        let variables = d.args.first().is_some_and(|w| w.has_variables());
                        if let Some(word) = d.args.first() {
                            if !variables {
                                if let Ok(t) = args::parse_target(kind, &word.text) {
                                    if let (Host::Name(host), Some(port)) =
                                        (&t.host, t.effective_port())
                                    {
                                        let implicit = &mut index.implicit[usize::from(stream)];
                                        let host = lowercase(host);
                                        // Most targets repeat a host already seen: look it up
                                        // before copying the name.
                                        if let Some(ports) = implicit.get_mut(&*host) {
                                            if !ports.contains(&port) {
                                                ports.push(port);
                                            }
                                        } else {
                                            implicit.insert(host.into_owned(), smallvec![port]);
                                        }
                                    }
                                    if matches!(t.host, Host::Name(_)) {
                                        target = Some(t);
                                    }
                                }
                            }
                        }
                        let start = index.pass_parents.len() as u32;
                        index.pass_parents.extend_from_slice(visit.parents);
                        let parents = start..index.pass_parents.len() as u32;
                        index.passes.push(PassTarget {
                            directive: d,
                            stream,
                            variables,
                            target,
                            parents,
                            // Set once every `upstream` block is known.
                            upstream_block: false,
                            upstream_name: false,
                        });
                    } else if let Some(&(_, at)) = OPAQUE_DEFINERS.iter().find(|(n, _)| *n == name)
                    {
                        if let Some(var) = d.args.get(at).and_then(var_name) {
                            index.opaque.insert(var);
                        }
                    }
                }
            }
        });
        for (i, u) in index.upstreams.iter().enumerate() {
            let name = index
                .by_name
                .entry(u.name().to_ascii_lowercase())
                .or_default();
            name.first[usize::from(u.stream)].get_or_insert(i as u32);
            name.known |= u.known;
        }
        // Whether each target names an `upstream` block, asked once here: N001 and N000 both need it.
        for pass in &mut index.passes {
            let Some(Host::Name(host)) = pass.target.as_ref().map(|t| &t.host) else {
                continue;
            };
            if let Some(name) = index.by_name.get(&*lowercase(host)) {
                pass.upstream_block = name.first[usize::from(pass.stream)].is_some();
                pass.upstream_name = name.known;
            }
        }
        index
    }

    /// The `*_pass` directives in walk order, each with its enclosing blocks (as [`Config::walk`] gives
    /// them): what the rules about targets look at, without a walk of their own over every directive
    /// (which cost 150 instructions a directive).
    pub fn passes(&self) -> impl Iterator<Item = (&PassTarget<'a>, &[&'a Directive])> + '_ {
        self.passes.iter().map(|p| {
            let parents = &self.pass_parents[p.parents.start as usize..p.parents.end as usize];
            (p, parents)
        })
    }

    /// The `*_pass` directive `d` in the http or (`stream`) the stream module as the index read it: its
    /// target parsed once while building (when it has no variables and names a host). `cursor` follows
    /// a walk over the `*_pass` directives (one cursor a walk, asked about them in walk order); a
    /// directive it skipped is found further on, one out of order in the whole list.
    pub fn pass(
        &self,
        cursor: &mut PassCursor,
        d: &Directive,
        stream: bool,
    ) -> Option<&PassTarget<'a>> {
        let is = |p: &PassTarget| std::ptr::eq(p.directive, d) && p.stream == stream;
        let ahead = self.passes.get(cursor.0..).unwrap_or_default();
        let at = match ahead.iter().position(is) {
            Some(i) => cursor.0 + i,
            None => self.passes.iter().position(is)?,
        };
        cursor.0 = at + 1;
        Some(&self.passes[at])
    }

    /// The `upstream` block called `name` (case-insensitive, as nginx matches).
    pub fn upstream(&self, name: &str, stream: bool) -> Option<Upstream<'a>> {
        let first = self.by_name.get(&*lowercase(name))?.first[usize::from(stream)];
        first.map(|i| self.upstreams[i as usize])
    }

    /// Whether `name` is that of an `upstream` block in a known context, of either module
    /// (case-insensitive).
    pub fn upstream_name(&self, name: &str) -> bool {
        self.by_name.get(&*lowercase(name)).is_some_and(|n| n.known)
    }

    /// The `resolver` that applies to a directive with these parents: the innermost enclosing block's,
    /// inherited outwards (location → server → http; for upstreams: upstream → http).
    pub fn resolver_in_scope(&self, parents: &[&Directive]) -> Option<&'a Directive> {
        inherited_scopes(parents).find_map(|k| self.resolvers.get(&k).copied())
    }

    /// Whether an `include` whose content is unknown (an absolute path wirelint cannot map, such as one
    /// generated when the container starts) sits where a `resolver` would apply to a directive with these
    /// parents: then whether a `resolver` is in scope is unknown.
    pub fn unread_include_in_scope(&self, parents: &[&Directive]) -> bool {
        !self.unread_includes.is_empty()
            && inherited_scopes(parents).any(|k| self.unread_includes.contains(&k))
    }

    /// Whether a target evaluated at request time to this host and port is served by an upstream group
    /// (an explicit block when no port is given, or an implicit group of a literal target).
    pub fn runtime_match(&self, target: &UpstreamTarget, stream: bool) -> bool {
        let Host::Name(name) = &target.host else {
            return false;
        };
        if target.port_span.is_none() && self.upstream(name, stream).is_some() {
            return true;
        }
        target.effective_port().is_some_and(|port| {
            self.implicit[usize::from(stream)]
                .get(&*lowercase(name))
                .is_some_and(|ports| ports.contains(&port))
        })
    }

    /// Whether an `upstream` block holds a `zone` (needed for `server … resolve`).
    pub fn has_zone(&self, upstream: &Directive) -> bool {
        self.zones.contains(&key(upstream))
    }

    /// Whether any `upstream` block exists in this module.
    pub fn has_upstreams(&self, stream: bool) -> bool {
        self.upstreams.iter().any(|u| u.stream == stream)
    }

    /// The definitions of `$var` that apply to a directive with these parents: the `set`s on its path
    /// (its server and location blocks and the `if`s in them) and every `map`. Falls back to every `set`
    /// in the configuration when none is on the path (`global` = true then). `None`: unknown.
    ///
    /// The rewrite module runs the server's `set`s, then the location's, each block's in order, all
    /// before the content phase (where the pass directive is evaluated, wherever it is written): an
    /// unconditional `set` in the directive's own block replaces every value set before it (the
    /// `set`s of enclosing blocks and earlier ones of its block); only the `set`s inside `if`s after it
    /// may still change the value.
    fn values(&self, var: &str, parents: &[&Directive]) -> Option<(Definitions<'a>, bool)> {
        if self.opaque.contains(var) {
            return None;
        }
        let defs = self.definitions.get(var)?;
        // The path is a handful of blocks: a scan beats building a set.
        let on_path_scope = |s: ScopeKey| s == 0 || parents.iter().any(|p| key(p) == s);
        let mut on_path: Definitions<'a> = defs
            .iter()
            .filter(|d| d.scope.map_or(true, on_path_scope))
            .copied()
            .collect();
        // The directive's own block (an `if` counts as its enclosing block, as for `set`).
        let own = parents
            .iter()
            .rev()
            .find(|p| &*p.name.text != "if")
            .map_or(0, |p| key(p));
        // Definitions are in load order, which is the rewrite module's order within one block.
        if let Some(last) = on_path
            .iter()
            .rposition(|d| d.scope == Some(own) && !d.conditional)
        {
            // What stays: every `map`, that `set` and the `if`s' `set`s after it in the same block.
            let mut i = 0;
            on_path.retain(|d| {
                i += 1;
                d.scope.is_none() || (i > last && d.scope == Some(own))
            });
        }
        if on_path.iter().any(|d| d.scope.is_some()) {
            Some((on_path, false))
        } else {
            Some((defs.iter().copied().collect(), true))
        }
    }

    /// Substitutes known values for the variables of `text` (a few levels deep, a bounded number of
    /// combinations). Variables with unknown values stay as written. The flag says whether a value came
    /// from a `set` that is not on the directive's path.
    pub fn expand(&self, text: &str, parents: &[&Directive]) -> Expansion<'a> {
        let mut flags = (false, false);
        let candidates = self.expand_depth(text, parents, 3, &mut flags);
        Expansion {
            candidates,
            global: flags.0,
            truncated: flags.1,
        }
    }

    fn expand_depth(
        &self,
        text: &str,
        parents: &[&Directive],
        depth: usize,
        flags: &mut (bool, bool),
    ) -> Vec<(String, Option<Definition<'a>>)> {
        const MAX: usize = 32;
        // Allocations were most of the cost (3,500 instructions a target with one variable): the
        // candidate is sized for a value a little longer than the text, a value without variables is
        // borrowed rather than expanded (and copied) on its own, and a single option is appended in
        // place.
        let mut out: Vec<(String, Option<Definition<'a>>)> =
            vec![(String::with_capacity(text.len() + 24), None)];
        let mut last = 0;
        for (range, name) in args::var_refs(text) {
            if range.start > last {
                // One option with no definition: every candidate (never more than MAX) gets it
                // appended.
                for (prefix, _) in &mut out {
                    prefix.push_str(&text[last..range.start]);
                }
            }
            last = range.end;
            let mut options: SmallVec<[(Cow<'a, str>, Option<Definition<'a>>); 2]> =
                SmallVec::new();
            match (depth > 0).then(|| self.values(name, parents)).flatten() {
                Some((defs, g)) => {
                    flags.0 |= g;
                    for def in defs {
                        let value: &'a str = &def.value.text;
                        if !args::has_variables(value) {
                            // What expanding it would give: the value itself.
                            options.push((Cow::Borrowed(value), Some(def)));
                            continue;
                        }
                        for (value, _) in self.expand_depth(value, parents, depth - 1, flags) {
                            options.push((Cow::Owned(value), Some(def)));
                        }
                    }
                }
                None => options.push((Cow::Owned(format!("${{{name}}}")), None)),
            }
            if let [(opt, odef)] = options.as_slice() {
                // As many candidates as before (never more than MAX): appended in place, with the
                // first definition kept, as the loop below would.
                for (prefix, def) in &mut out {
                    prefix.push_str(opt);
                    *def = def.or(*odef);
                }
                continue;
            }
            let mut next = Vec::new();
            for (prefix, def) in &out {
                for (opt, odef) in &options {
                    if next.len() >= MAX {
                        flags.1 = true;
                        break;
                    }
                    let mut joined = String::with_capacity(prefix.len() + opt.len());
                    joined.push_str(prefix);
                    joined.push_str(opt);
                    next.push((joined, def.or(*odef)));
                }
            }
            out = next;
        }
        if last < text.len() {
            for (prefix, _) in &mut out {
                prefix.push_str(&text[last..]);
            }
        }
        out
    }
}

/// The span of `range` (a byte range within the word's value) in the source, when the value is written
/// verbatim (plain or quoted without escapes); otherwise the whole word.
pub fn sub_span(sources: &SourceMap, word: &Word, range: std::ops::Range<usize>) -> Span {
    let raw = sources.text(word.span);
    let inner = if word.quoted && raw.len() >= 2 { 1 } else { 0 };
    let verbatim = raw.get(inner..raw.len() - inner) == Some(&*word.text);
    if verbatim && range.end <= word.text.len() {
        let start = word.span.start as usize + inner;
        Span::new(word.span.file, start + range.start, start + range.end)
    } else {
        word.span
    }
}
