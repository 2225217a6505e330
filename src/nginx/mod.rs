//! nginx: source → syntax tree ([`syntax`]) → configuration model ([`Config`]: includes resolved, contexts
//! known).
//!
//! [`load`] reads every nginx input, parses it, resolves `include`s the way nginx does and decides which
//! files are *roots* (linted on their own) and which are only reached through an `include` (linted in the
//! including file's context).

pub mod args;
pub mod conditions;
pub mod directives;
mod fxhash;
pub mod includes;
pub mod lexer;
pub mod refusals;
pub mod syntax;
// Also compiled by build.rs; outside tests the library uses only its context names.
#[cfg_attr(not(test), allow(dead_code))]
mod table_source;
pub mod upstreams;
pub mod validate;

pub use directives::Context;
pub use syntax::{
    parse, Args, Block, Comment, Directive, IncludeSite, ParsedFile, SyntaxError, Text, Word,
};

use crate::diagnostic::Diagnostic;
use crate::discover::Input;
use crate::settings::Settings;
use crate::source::{FileId, SourceMap, Span};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Deepest chain of `include`s followed (nginx has no limit, but a chain this long is a loop in practice).
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Every parsed file of a run, shared by the configurations that include it.
pub type ParsedFiles = HashMap<FileId, ParsedFile>;

/// One nginx configuration as nginx would load it: a root file with its includes.
#[derive(Debug)]
pub struct Config {
    /// The root file (`nginx.conf`, or a snippet nothing includes); the first of [`Config::roots`].
    pub main: FileId,
    /// The top-level files, read in this order as one configuration: just `main`, or for snippets
    /// that nothing includes and that sit together in a directory nginx images include inside `http`
    /// (`conf.d/`, …), all of them in glob order, as `include conf.d/*.conf;` reads them.
    pub roots: Vec<FileId>,
    /// The context of the root file's top level: `Main` for a full configuration; for a snippet, the
    /// context it fits best (see [`infer_context`]).
    pub context: Context,
    /// Whether [`Config::context`] was inferred from a snippet's content and some directive does not
    /// fit it (then context checks stay quiet at the snippet's top level).
    pub context_guessed: bool,
    /// What each `include` directive (by its span) expands to, in nginx's order.
    pub includes: HashMap<Span, Vec<FileId>>,
    /// The `include` directives (by span) whose content is unknown (see [`includes::Built::unread`]).
    pub unread_includes: HashSet<Span>,
    /// The files of this configuration in load order (root first), each once.
    pub load_order: Vec<FileId>,
    pub parsed: Arc<ParsedStore>,
    /// Findings of the directive-table checks (N000, N005, N006, N007), computed in one pass on first
    /// use and shared by those rules.
    pub(crate) table_findings: std::sync::OnceLock<Vec<Diagnostic>>,
    /// The walk in load order, flattened once and reused by every rule (see [`Flat`]).
    flat: std::sync::Mutex<Option<Arc<Flat>>>,
}

/// One directive seen by [`Config::walk`].
pub struct Visit<'a, 'p> {
    pub directive: &'a Directive,
    /// The context the directive sits in.
    pub context: Context,
    /// Whether `context` is known for sure. False inside blocks wirelint does not model (an unknown
    /// directive's block, a block of a third-party module) and at the top level of a snippet that fits
    /// no context: checks that depend on the context should stay quiet then.
    pub context_known: bool,
    /// Enclosing block directives, outermost first (across includes).
    pub parents: &'p [&'a Directive],
    /// The `include` directives through which this directive's file was reached, outermost first.
    pub via: &'p [&'a Directive],
    pub file: FileId,
}

fn deref_all<'a>(chain: &[*const Directive]) -> Vec<&'a Directive> {
    // SAFETY: the pointers of a `Flat`'s chains point into its store (see `Flat`).
    chain.iter().map(|d| unsafe { &**d }).collect()
}

/// Whether `text` holds `${NAME}` with an upper-case NAME, as envsubst templates write them.
pub(crate) fn has_env_placeholder(text: &str) -> bool {
    text.match_indices("${").any(|(i, _)| {
        let rest = &text.as_bytes()[i + 2..];
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        n > 0 && rest[0] != b'_' && !rest[0].is_ascii_digit() && rest.get(n) == Some(&b'}')
    })
}

/// Whether a file is a template rendered before nginx reads it (`*.template`, as the official image's
/// envsubst step renders `templates/*.template`).
pub(crate) fn is_template_file(sources: &SourceMap, file: FileId) -> bool {
    sources.get(file).name.ends_with(".template")
}

/// Context of the children of block directive `name` sitting in `ctx`, if wirelint models it.
pub fn child_context(name: &str, ctx: Context) -> Option<Context> {
    use Context::*;
    Some(match (name, ctx) {
        ("events", Main) => Events,
        ("http", Main) => Http,
        ("mail", Main) => Mail,
        ("stream", Main) => Stream,
        ("server", Http) => Server,
        ("server", Mail) => MailServer,
        ("server", Stream) => StreamServer,
        ("location", Server | Location) => Location,
        ("if", Server) => ServerIf,
        ("if", Location) => LocationIf,
        ("limit_except", Location) => LimitExcept,
        ("upstream", Http) => Upstream,
        ("upstream", Stream) => StreamUpstream,
        _ => return None,
    })
}

/// Directive names the rules look for, tagged once when a configuration's walk is flattened, so a rule
/// that needs only `listen` (or only `*_pass`) skips the other 100,000 directives of a large configuration
/// without touching them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    Other,
    Upstream,
    Server,
    Zone,
    Resolver,
    Set,
    Map,
    Geo,
    Listen,
    /// `proxy_pass`, `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass`, `memcached_pass`.
    Pass,
    /// Directives that set a variable to values not known statically ([`upstreams::OPAQUE_DEFINERS`]).
    OpaqueDefiner,
    Include,
    Root,
    Location,
    FastcgiParam,
}

const TAGS: usize = Tag::FastcgiParam as usize + 1;

impl Tag {
    pub fn of(name: &str) -> Tag {
        match name {
            "upstream" => Tag::Upstream,
            "server" => Tag::Server,
            "zone" => Tag::Zone,
            "resolver" => Tag::Resolver,
            "set" => Tag::Set,
            "map" => Tag::Map,
            "geo" => Tag::Geo,
            "listen" => Tag::Listen,
            "include" => Tag::Include,
            "root" => Tag::Root,
            "location" => Tag::Location,
            "fastcgi_param" => Tag::FastcgiParam,
            // The names come from the tables the rules use, so a tag never misses one of them.
            _ if args::PassKind::from_directive(name, false).is_some() => Tag::Pass,
            _ if upstreams::OPAQUE_DEFINERS.iter().any(|(n, _)| *n == name) => Tag::OpaqueDefiner,
            _ => Tag::Other,
        }
    }
}

/// What a flattened walk was built from: the store, the top-level context, the roots and the includes.
type Stamp = (usize, Context, bool, Vec<FileId>, usize);

/// No enclosing directive.
const NONE: u32 = u32::MAX;

/// One directive of the flattened walk: 24 bytes (a large configuration has 100,000s).
struct FlatVisit {
    /// Points into the [`ParsedStore`] that [`Flat::store`] keeps alive.
    directive: *const Directive,
    /// Index of the enclosing block directive's visit, or [`NONE`].
    parent: u32,
    /// Index into [`Flat::vias`].
    via: u32,
    file: FileId,
    /// Enclosing blocks (at most [`syntax::MAX_DEPTH`]).
    depth: u8,
    context: Context,
    known: bool,
    /// Whether the directive's block is walked (its children follow it, one level deeper).
    opens: bool,
}

/// A configuration's walk (includes expanded in place, in nginx's order) as a flat list in visit order,
/// built once and shared by every rule: walking the tree of a 5 MB configuration once per rule cost more
/// than all the rules together.
struct Flat {
    /// Keeps the directives the visits point to alive and unchanged (a `ParsedStore` behind an `Arc` is
    /// never mutated).
    _store: Arc<ParsedStore>,
    /// What the walk was built for: a configuration whose roots, includes or context changed since is
    /// flattened again.
    stamp: Stamp,
    visits: Vec<FlatVisit>,
    /// The `include` chains through which files were reached, outermost first.
    vias: Vec<Vec<*const Directive>>,
    /// Visit indices by [`Tag`], in visit order (empty for [`Tag::Other`]).
    by_tag: [Vec<u32>; TAGS],
}

// SAFETY: the raw pointers point into `_store`, which the `Flat` owns a reference to and which nobody
// mutates; they are only read, as `&Directive` for as long as the `Flat` lives.
unsafe impl Send for Flat {}

impl std::fmt::Debug for Flat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Flat({} visits)", self.visits.len())
    }
}
unsafe impl Sync for Flat {}

impl Flat {
    /// The indices of the visits with one of `tags`, in visit order: one tag's list as it is, several
    /// marked in a bitmap of the visits and read back in order (merging the lists pairwise cost the
    /// upstream index's nine tags 2.9 M instructions on the benchmark configuration).
    fn order(&self, tags: &[Tag]) -> std::borrow::Cow<'_, [u32]> {
        if let [tag] = tags {
            if *tag != Tag::Other {
                return std::borrow::Cow::Borrowed(&self.by_tag[*tag as usize]);
            }
        }
        let mut marked = vec![0u64; self.visits.len().div_ceil(64)];
        let mut count = 0;
        for tag in tags {
            if *tag == Tag::Other {
                // Not listed when flattened (no rule asks for it): found here, the slow way.
                for (i, v) in self.visits.iter().enumerate() {
                    // SAFETY: see `Flat`; `self` keeps the store alive.
                    let d = unsafe { &*v.directive };
                    if Tag::of(&d.name.text) == Tag::Other {
                        marked[i / 64] |= 1 << (i % 64);
                        count += 1;
                    }
                }
                continue;
            }
            for &i in &self.by_tag[*tag as usize] {
                marked[i as usize / 64] |= 1 << (i % 64);
            }
            count += self.by_tag[*tag as usize].len();
        }
        let mut order = Vec::with_capacity(count);
        for (w, &bits) in marked.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                order.push((w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        std::borrow::Cow::Owned(order)
    }
}

/// The enclosing blocks of the visit [`Config::walk_tagged`] is at, kept from one visit to the next: the
/// visits it picks jump between blocks (a `listen`, then the `proxy_pass` of a location of the same
/// server), and rebuilding the whole chain at each jump cost the rules 4 M instructions.
#[derive(Default)]
struct Parents<'a> {
    /// Visit indices of the enclosing blocks, outermost first (the one at `k` has depth `k`).
    ids: Vec<u32>,
    directives: Vec<&'a Directive>,
    /// The blocks [`Parents::enter`] adds, innermost first (kept to reuse its memory).
    missing: Vec<u32>,
}

impl<'a> Parents<'a> {
    /// Makes the chain that of a visit whose enclosing block is the visit `parent` ([`NONE`] for none).
    fn enter(&mut self, flat: &Flat, parent: u32) {
        if self.ids.last().copied().unwrap_or(NONE) == parent {
            return;
        }
        // Up from `parent` to the first block already in the chain, then down again.
        self.missing.clear();
        let mut p = parent;
        let keep = loop {
            if p == NONE {
                break 0;
            }
            let depth = usize::from(flat.visits[p as usize].depth);
            if self.ids.get(depth) == Some(&p) {
                break depth + 1;
            }
            self.missing.push(p);
            p = flat.visits[p as usize].parent;
        };
        self.ids.truncate(keep);
        self.directives.truncate(keep);
        for &p in self.missing.iter().rev() {
            self.ids.push(p);
            // SAFETY: as in `Config::walk`: the store lives for `'a`.
            self.directives
                .push(unsafe { &*flat.visits[p as usize].directive });
        }
    }
}

/// Values memoised by directive name for one pass over a configuration, keyed by [`Text::short_key`]:
/// a configuration uses a few dozen names, so nearly every lookup is a hit in a direct-mapped slot
/// (three word compares; hashing the name and comparing it with `memcmp` cost 120 instructions a
/// directive in the table checks). Names longer than 22 bytes are not cached.
pub(crate) struct NameCache<V> {
    /// The key's three words and the value. (Words rather than an array: the array was copied
    /// through the stack on every lookup.)
    slots: Box<[(u64, u64, u64, V); NAME_SLOTS]>,
}

const NAME_SLOTS: usize = 256;

impl<V: Copy> NameCache<V> {
    /// `empty` fills the slots; a zero key is the empty text's, which is never cached, so it is
    /// never returned for a name.
    pub(crate) fn new(empty: V) -> Self {
        NameCache {
            slots: Box::new([(0, 0, 0, empty); NAME_SLOTS]),
        }
    }

    /// The value for `name`: cached, or `compute(name)` (then cached).
    #[inline]
    pub(crate) fn get<'t>(&mut self, name: &'t Text, compute: impl FnOnce(&'t Text) -> V) -> V {
        let Some([a, b, c]) = name.short_key() else {
            return compute(name);
        };
        if a | b | c == 0 {
            return compute(name);
        }
        let slot = ((a ^ b.rotate_left(21) ^ c.rotate_left(42)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> 56) as usize;
        let entry = &mut self.slots[slot];
        if entry.0 == a && entry.1 == b && entry.2 == c {
            return entry.3;
        }
        let value = compute(name);
        *entry = (a, b, c, value);
        value
    }
}

/// Builds a [`Flat`]: the recursive walk of [`Config::walk_tree`], recording each directive with the
/// index of its enclosing block's visit and of its include chain rather than the chains themselves.
struct Flattener<'a> {
    config: &'a Config,
    visits: Vec<FlatVisit>,
    vias: Vec<Vec<*const Directive>>,
    by_tag: [Vec<u32>; TAGS],
    /// The `include` directives the current file was reached through.
    via_chain: Vec<*const Directive>,
    open_files: Vec<FileId>,
    tags: NameCache<Tag>,
}

impl<'a> Flattener<'a> {
    /// Records `list` and what it opens; `parent` is the enclosing block's visit ([`NONE`] at the top),
    /// `depth` the number of enclosing blocks, `via` the index of the include chain `list` was reached
    /// through. Visits the directives [`Config::walk_list`] visits, in its order.
    #[allow(clippy::too_many_arguments)]
    fn list(
        &mut self,
        list: &'a [Directive],
        ctx: Context,
        known: bool,
        file: FileId,
        parent: u32,
        depth: usize,
        via: u32,
    ) {
        for d in list {
            let index = self.visits.len() as u32;
            let tag = self.tags.get(&d.name.text, |name| Tag::of(name));
            let opens = d
                .block
                .as_ref()
                .is_some_and(|b| !b.raw && !b.entries && depth < syntax::MAX_DEPTH);
            self.visits.push(FlatVisit {
                directive: d,
                parent,
                via,
                file,
                depth: depth as u8,
                context: ctx,
                known,
                opens,
            });
            // `Other` is not listed: no rule walks it (see `walk_tagged`).
            if tag != Tag::Other {
                self.by_tag[tag as usize].push(index);
            }
            if let Some(block) = &d.block {
                if !opens {
                    continue;
                }
                let (child, child_known) = match child_context(&d.name.text, ctx) {
                    Some(c) => (c, known),
                    None => (ctx, false),
                };
                self.list(
                    &block.directives,
                    child,
                    child_known,
                    file,
                    index,
                    depth + 1,
                    via,
                );
            } else if tag == Tag::Include {
                let config = self.config;
                let Some(targets) = config.includes.get(&d.span) else {
                    continue;
                };
                for &t in targets {
                    if self.open_files.contains(&t) || self.via_chain.len() >= MAX_INCLUDE_DEPTH {
                        continue;
                    }
                    let Some(parsed) = config.parsed.get(&t) else {
                        continue;
                    };
                    self.via_chain.push(d);
                    self.open_files.push(t);
                    let inner = self.vias.len() as u32;
                    self.vias.push(self.via_chain.clone());
                    self.list(&parsed.directives, ctx, known, t, parent, depth, inner);
                    self.open_files.pop();
                    self.via_chain.pop();
                }
            }
        }
    }
}

struct WalkState<'a> {
    parents: Vec<&'a Directive>,
    via: Vec<&'a Directive>,
    open_files: Vec<FileId>,
}

impl Config {
    /// Every directive in nginx's load order with includes expanded in place, with its context and
    /// enclosing directives. Entries of table blocks (`map`, `types`, …) and raw blocks are not visited.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&Visit<'a, '_>)) {
        let flat = self.flat();
        let mut parents: Vec<&'a Directive> = Vec::new();
        let vias: Vec<Vec<&'a Directive>> = flat.vias.iter().map(|v| deref_all(v)).collect();
        for v in &flat.visits {
            // SAFETY: see `Flat`; `flat` (and so the store) lives until the end of this call, and the
            // store is also kept by `self.parsed` for `'a` unless it was replaced, in which case the
            // stamp no longer matched and `flat` was rebuilt from the new store.
            let d: &'a Directive = unsafe { &*v.directive };
            parents.truncate(v.depth as usize);
            f(&Visit {
                directive: d,
                context: v.context,
                context_known: v.known,
                parents: &parents,
                via: &vias[v.via as usize],
                file: v.file,
            });
            if v.opens {
                parents.push(d);
            }
        }
    }

    /// How many directives [`Config::walk_tagged`] visits for `tag`: to size tables up front (growing a
    /// table of 24,000 `location`s rehashed every entry twice on average).
    pub fn tagged_count(&self, tag: Tag) -> usize {
        self.flat().by_tag[tag as usize].len()
    }

    /// Like [`Config::walk`], visiting only directives with one of `tags` (in the same order, with the same
    /// parents): the cheap way for a rule that looks at a few directive names.
    pub fn walk_tagged<'a>(&'a self, tags: &[Tag], f: &mut dyn FnMut(&Visit<'a, '_>)) {
        let flat = self.flat();
        let order = flat.order(tags);
        let mut parents = Parents::default();
        let mut via: Vec<&'a Directive> = Vec::new();
        // The include chain the list above was built for: consecutive visits often share it.
        let mut via_of = None;
        for &i in order.iter() {
            let v = &flat.visits[i as usize];
            parents.enter(&flat, v.parent);
            if via_of != Some(v.via) {
                via_of = Some(v.via);
                via.clear();
                // SAFETY: as in `walk`.
                via.extend(flat.vias[v.via as usize].iter().map(|d| unsafe { &**d }));
            }
            f(&Visit {
                // SAFETY: as in `walk`.
                directive: unsafe { &*v.directive },
                context: v.context,
                context_known: v.known,
                parents: &parents.directives,
                via: &via,
                file: v.file,
            });
        }
    }

    fn stamp(&self) -> Stamp {
        (
            Arc::as_ptr(&self.parsed) as usize,
            self.context,
            self.context_guessed,
            self.roots.clone(),
            self.includes.len(),
        )
    }

    /// The flattened walk, built on first use (and again if the configuration changed since).
    fn flat(&self) -> Arc<Flat> {
        let mut cached = self.flat.lock().unwrap_or_else(|e| e.into_inner());
        let stamp = self.stamp();
        if let Some(flat) = cached.as_ref().filter(|f| f.stamp == stamp) {
            return Arc::clone(flat);
        }
        let start = std::time::Instant::now();
        let flat = Arc::new(self.flatten(stamp));
        crate::timing::interval("flat walk", start);
        *cached = Some(Arc::clone(&flat));
        flat
    }

    fn flatten(&self, stamp: Stamp) -> Flat {
        // About one directive per 40 bytes of text in the configurations measured (128,728 in the
        // 5.1 MB benchmark): sized once rather than grown by doubling, which copied the list each time.
        let bytes: usize = self
            .load_order
            .iter()
            .filter_map(|id| self.parsed.get(id))
            .map(|p| p.directives.last().map_or(0, |d| d.span.end as usize))
            .sum();
        let mut f = Flattener {
            config: self,
            visits: Vec::with_capacity(bytes / 32 + 16),
            vias: vec![Vec::new()],
            by_tag: Default::default(),
            via_chain: Vec::new(),
            open_files: Vec::new(),
            tags: NameCache::new(Tag::Other),
        };
        for &id in &self.roots {
            let Some(root) = self.parsed.get(&id) else {
                continue;
            };
            f.open_files.clear();
            f.open_files.push(id);
            f.list(
                &root.directives,
                self.context,
                !self.context_guessed,
                id,
                NONE,
                0,
                0,
            );
        }
        Flat {
            _store: Arc::clone(&self.parsed),
            stamp,
            visits: f.visits,
            vias: f.vias,
            by_tag: f.by_tag,
        }
    }

    /// The recursive walk behind [`Config::walk`] (on the tree itself, nothing cached). Generic over the
    /// visitor so that building the flattened walk inlines its recording step instead of calling it
    /// through a pointer for each of 100,000s of directives.
    fn walk_tree<'a, F: FnMut(&Visit<'a, '_>)>(&'a self, f: &mut F) {
        for &id in &self.roots {
            let Some(root) = self.parsed.get(&id) else {
                continue;
            };
            let mut st = WalkState {
                parents: Vec::new(),
                via: Vec::new(),
                open_files: vec![id],
            };
            self.walk_list(
                &root.directives,
                self.context,
                !self.context_guessed,
                id,
                &mut st,
                f,
            );
        }
    }

    fn walk_list<'a, F: FnMut(&Visit<'a, '_>)>(
        &'a self,
        list: &'a [Directive],
        ctx: Context,
        known: bool,
        file: FileId,
        st: &mut WalkState<'a>,
        f: &mut F,
    ) {
        for d in list {
            f(&Visit {
                directive: d,
                context: ctx,
                context_known: known,
                parents: &st.parents,
                via: &st.via,
                file,
            });
            if let Some(block) = &d.block {
                if block.raw || block.entries || st.parents.len() >= syntax::MAX_DEPTH {
                    continue;
                }
                let (child, child_known) = match child_context(&d.name.text, ctx) {
                    Some(c) => (c, known),
                    None => (ctx, false),
                };
                st.parents.push(d);
                self.walk_list(&block.directives, child, child_known, file, st, f);
                st.parents.pop();
            } else if d.name.text == "include" {
                let Some(targets) = self.includes.get(&d.span) else {
                    continue;
                };
                for &t in targets {
                    if st.open_files.contains(&t) || st.via.len() >= MAX_INCLUDE_DEPTH {
                        continue;
                    }
                    let Some(parsed) = self.parsed.get(&t) else {
                        continue;
                    };
                    st.via.push(d);
                    st.open_files.push(t);
                    self.walk_list(&parsed.directives, ctx, known, t, st, f);
                    st.open_files.pop();
                    st.via.pop();
                }
            }
        }
    }

    /// The files of this configuration in load order, each once.
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.load_order.iter().copied()
    }

    /// The parsed form of one of this configuration's files.
    pub fn file(&self, id: FileId) -> Option<&ParsedFile> {
        self.parsed.get(&id)
    }
}

/// Everything loaded from the nginx inputs of a run.
#[derive(Debug, Default)]
pub struct Loaded {
    pub configs: Vec<Config>,
    /// Findings of the loader itself (N000 syntax, N004 includes).
    pub diagnostics: Vec<Diagnostic>,
    /// Files read (main files and includes).
    pub files: Vec<FileId>,
}

/// The parsed files of a run, shared by its configurations (derefs to the map).
#[derive(Debug, Default)]
pub struct ParsedStore {
    files: ParsedFiles,
    /// Bytes of nginx text parsed, to tell a large tree (freed in the background) from a small one.
    bytes: usize,
}

impl std::ops::Deref for ParsedStore {
    type Target = ParsedFiles;
    fn deref(&self) -> &ParsedFiles {
        &self.files
    }
}

impl Drop for ParsedStore {
    /// Freeing the syntax trees of a multi-megabyte configuration takes longer than checking it, and
    /// nothing waits for that memory: a one-shot process leaves it to the OS (freeing it on another
    /// thread took 22 M instructions from the report's threads on a 5 MB configuration); a long-lived
    /// one frees a large store on another thread.
    fn drop(&mut self) {
        if self.bytes < 1 << 20 {
            return;
        }
        let files = std::mem::take(&mut self.files);
        if crate::process::one_shot() {
            std::mem::forget(files);
            return;
        }

        let _ = std::thread::Builder::new()
            .name("wirelint-free".into())
            .spawn(move || drop(files));
    }
}

/// Whether a file's top level makes it a full configuration (`nginx -c` material).
fn is_main_config(parsed: &ParsedFile) -> bool {
    parsed.directives.iter().any(|d| {
        d.block.is_some() && matches!(&*d.name.text, "http" | "events" | "stream" | "mail")
    })
}

/// How many directives of `config` (following its includes) the table rejects in the context they have
/// when the root's top level is `config.context`.
fn misfits(config: &Config) -> usize {
    let mut n = 0;
    config.walk_tree(&mut |v| {
        let name: &str = &v.directive.name.text;
        let specs = directives::lookup(name);
        if !v.context_known || specs.is_empty() {
            return;
        }
        // Not allowed here, or allowed here only in the other form while another context takes it as
        // written (`server {…}` read in `upstream`, where `server` ends with `;`). A form no context
        // takes (`worker_processes … {`) is the file's own error, the same in every reading.
        let block = v.directive.block.is_some();
        match directives::lookup_in(name, v.context) {
            None => n += 1,
            Some(spec) if spec.block != block && specs.iter().any(|s| s.block == block) => n += 1,
            Some(_) => {}
        }
    });
    n
}

/// Whether a snippet's top level can only be read in `http`: every top-level directive is allowed there,
/// and a top-level `server` block holds a directive that exists only in http's contexts (`location`,
/// `if`, `root` …), so it is no stream, mail or upstream `server`.
fn http_for_sure(config: &Config) -> bool {
    use Context::*;
    let Some(root) = config.file(config.main) else {
        return false;
    };
    let http_only = |name: &str| {
        let specs = directives::lookup(name);
        !specs.is_empty()
            && directives::lookup_in(name, Server).is_some()
            && specs.iter().all(|s| {
                !s.contexts.is_any()
                    && [
                        Main,
                        Events,
                        Mail,
                        MailServer,
                        Stream,
                        StreamServer,
                        StreamUpstream,
                    ]
                    .iter()
                    .all(|c| !s.contexts.contains(*c))
            })
    };
    let fits = |d: &Directive| {
        directives::lookup_in(&d.name.text, Http).is_some_and(|s| s.block == d.block.is_some())
    };
    root.directives.iter().all(fits)
        && root.directives.iter().any(|d| {
            &*d.name.text == "server"
                && d.block
                    .as_ref()
                    .is_some_and(|b| b.directives.iter().any(|c| http_only(&c.name.text)))
        })
}

/// Sets the top-level context of a root nothing includes.
///
/// A file with a top-level `http`, `events`, `stream` or `mail` block is a full configuration (`Main`).
/// Anything else is a snippet meant to be included somewhere (the official image includes
/// `conf.d/*.conf` inside `http`; `snippets/` files go inside `server` or `location`). As wirelint cannot
/// know where, it picks the context in which the fewest of the snippet's directives (in nested blocks
/// and included files too) would be rejected, preferring `http`, then `server`, `location`, `main`,
/// `stream`, … on ties: the most permissive reading, so context checks do not fire on a snippet that is
/// valid somewhere. When even the best context rejects some directive, [`Config::context_guessed`] is
/// set and checks stay quiet at the snippet's top level — unless the top level can only be http's
/// (`server { … location … }` blocks, see [`http_for_sure`]): then what does not fit there is reported
/// as nginx would when the file is included in http.
pub fn infer_context(config: &mut Config) {
    use Context::*;
    config.context_guessed = false;
    if config.file(config.main).is_some_and(is_main_config) {
        config.context = Main;
        return;
    }
    let mut best = (Http, usize::MAX);
    for ctx in [
        Http,
        Server,
        Location,
        Main,
        Stream,
        StreamServer,
        Upstream,
        StreamUpstream,
        LocationIf,
        ServerIf,
        LimitExcept,
        Events,
        Mail,
        MailServer,
    ] {
        config.context = ctx;
        let n = misfits(config);
        if n < best.1 {
            best = (ctx, n);
            if n == 0 {
                break;
            }
        }
    }
    if best.1 > 0 && http_for_sure(config) {
        best = (Http, 0);
    }
    config.context = best.0;
    config.context_guessed = best.1 > 0;
}

/// Files holding less text than this together are parsed on one thread.
const PARALLEL_PARSE_BYTES: u64 = 256 << 10;

/// Parses `ids` (`bytes` of text together), on all cores when there are several files and much text (a
/// `conf.d/*.conf` of 2,000 files).
fn parse_files(
    sources: &SourceMap,
    ids: &[FileId],
    bytes: u64,
) -> Vec<(FileId, (ParsedFile, Vec<Diagnostic>))> {
    let threads = if ids.len() < 2 || bytes < PARALLEL_PARSE_BYTES {
        1
    } else {
        crate::source::threads()
    };
    crate::source::parallel_map_with(
        ids,
        threads,
        // A new thread allocates from a malloc arena of its own.
        || {
            crate::heap::prepare_thread(bytes / threads as u64);
        },
        |&id| (id, parse_file(sources, id)),
    )
}

/// Parses one file: its tree (empty for a binary file or another tool's template) and its N000 findings.
fn parse_file(sources: &SourceMap, id: FileId) -> (ParsedFile, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let file = sources.get(id);
    let text: &str = &file.text;
    let rule = &crate::rules::nginx::n000_syntax_error::RULE;
    if let Some(nul) = memchr::memchr(0, text.as_bytes()) {
        diagnostics.push(
            rule.diag(
                Span::new(id, nul, nul + 1),
                format!(
                    "binary file: NUL byte at offset {nul}; this is not an nginx configuration"
                ),
            )
            .with_help("check that the path points at a text configuration file"),
        );
        return (
            ParsedFile {
                file: id,
                directives: Vec::new(),
                comments: Vec::new(),
                errors: Vec::new(),
                template: None,
                includes: Vec::new(),
            },
            diagnostics,
        );
    }
    let mut p = syntax::parse(id, text);
    if p.template.is_some() {
        // Another tool renders this file into nginx syntax; what it is before that says nothing about
        // what nginx will load, so the file is not checked (no tree, no findings).
        p.directives.clear();
        p.errors.clear();
        p.includes.clear();
        return (p, diagnostics);
    }
    if text.starts_with('\u{feff}') {
        diagnostics.push(
            rule.diag(
                Span::new(id, 0, 3),
                "the file starts with a UTF-8 byte order mark, which nginx reads as part of the first directive's name",
            )
            .with_help("save the file as UTF-8 without BOM"),
        );
    }
    // Bytes that are not UTF-8 (`file.invalid_utf8_at`) are not an error: nginx passes them through.
    // wirelint sees U+FFFD in their place; in a directive name that is an unknown directive (N005).
    for e in &p.errors {
        let mut d = rule
            .diag(e.span, e.message.clone())
            .with_help(e.help.clone());
        if let Some((span, msg)) = &e.related {
            d = d.with_related(*span, msg.clone());
        }
        diagnostics.push(d);
    }
    (p, diagnostics)
}

/// Loads every nginx input. Files included by another input are checked in that context, not alone.
pub fn load(
    sources: &mut SourceMap,
    inputs: &[&Input],
    settings: &Settings,
) -> Result<Loaded, crate::source::LoadError> {
    let mut loaded = Loaded::default();
    let mut parsed = ParsedFiles::new();
    let mut syntax_diags: HashMap<FileId, Vec<Diagnostic>> = HashMap::new();
    let mut input_ids = Vec::new();
    let start = std::time::Instant::now();
    for input in inputs {
        let id = sources.load(&input.path, input.name.clone())?;
        if !input_ids.contains(&id) {
            input_ids.push(id);
        }
    }
    // The trees take about ten times the text's size. (Readying the heap again as included files add up
    // was tried: on the 2,000 included files of the split benchmark it saved 7-16 ms, but huge pages
    // raised peak memory by 8-12 MB, to 60-69 MB, over the 64 MB target.)
    crate::heap::prepare(
        input_ids
            .iter()
            .map(|id| sources.get(*id).text.len() as u64)
            .sum(),
    );
    // Parses the files of `ids` not parsed yet, keeping their N000 findings by file.
    let mut parse = |sources: &SourceMap, parsed: &mut ParsedFiles, ids: &[FileId]| {
        let mut taken = HashSet::with_capacity(ids.len());
        let fresh: Vec<FileId> = ids
            .iter()
            .copied()
            .filter(|id| !parsed.contains_key(id) && taken.insert(*id))
            .collect();
        let bytes: u64 = fresh
            .iter()
            .map(|id| sources.get(*id).text.len() as u64)
            .sum();
        for (id, (p, found)) in parse_files(sources, &fresh, bytes) {
            if !found.is_empty() {
                syntax_diags.entry(id).or_default().extend(found);
            }
            parsed.insert(id, p);
        }
    };
    crate::timing::interval("read inputs", start);
    let start = std::time::Instant::now();
    parse(sources, &mut parsed, &input_ids);
    crate::timing::interval("parse inputs", start);
    let start = std::time::Instant::now();

    // Full configurations first, then snippets; each built as if it were a root.
    let mut order: Vec<FileId> = input_ids.clone();
    order.sort_by_key(|id| !is_main_config(&parsed[id]));
    let mut candidates = Vec::new();
    // A root is an input no other input reaches. An input already reached by one built before it (a
    // `conf.d/*.conf` file of a main configuration) is not built on its own.
    let mut reached_by_other: HashSet<FileId> = HashSet::new();
    for &id in &order {
        if reached_by_other.contains(&id) {
            continue;
        }
        let is_main = is_main_config(&parsed[&id]);
        let built = includes::build(sources, &mut parsed, &mut parse, id, is_main, settings);
        reached_by_other.extend(built.load_order.iter().copied().filter(|f| *f != id));
        candidates.push((id, built));
    }
    let aliased = aliased_roots(sources, &candidates);
    // Inputs reached only through a cycle of inputs become roots in turn, so every input is checked.
    let mut covered: HashSet<FileId> = aliased.iter().copied().collect();
    let mut keep = vec![false; candidates.len()];
    for (i, (id, ..)) in candidates.iter().enumerate() {
        if !reached_by_other.contains(id) && !aliased.contains(id) {
            keep[i] = true;
            covered.extend(candidates[i].1.load_order.iter().copied());
        }
    }
    for i in 0..candidates.len() {
        if !covered.contains(&candidates[i].0) {
            keep[i] = true;
            covered.extend(candidates[i].1.load_order.iter().copied());
        }
    }

    let mut kept = Vec::new();
    let mut seen_files = HashSet::new();
    for (i, (id, built)) in candidates.into_iter().enumerate() {
        if !keep[i] {
            continue;
        }
        loaded.diagnostics.extend(built.diagnostics);
        for f in &built.load_order {
            if seen_files.insert(*f) {
                loaded.files.push(*f);
            }
        }
        kept.push((id, built.includes, built.unread, built.load_order));
    }
    let mut files: Vec<FileId> = seen_files.iter().copied().collect();
    files.sort();
    for f in files {
        if let Some(d) = syntax_diags.remove(&f) {
            loaded.diagnostics.extend(d);
        }
    }
    let bytes = parsed.keys().map(|id| sources.get(*id).text.len()).sum();
    let parsed = Arc::new(ParsedStore {
        files: parsed,
        bytes,
    });
    let mut singles = Vec::new();
    for (main, includes, unread_includes, load_order) in kept {
        let mut config = Config {
            main,
            roots: vec![main],
            context: Context::Main,
            context_guessed: false,
            includes,
            unread_includes,
            load_order,
            parsed: Arc::clone(&parsed),
            table_findings: std::sync::OnceLock::new(),
            flat: std::sync::Mutex::new(None),
        };
        infer_context(&mut config);
        singles.push(config);
    }
    loaded.configs = group_http_snippets(sources, singles);
    crate::timing::interval("includes, roots", start);
    Ok(loaded)
}

/// Candidate roots that are the same file as a symlink read under another path: Debian's
/// `sites-enabled/default` links to `../sites-available/default`, and nginx reads the file through the
/// link (by `include sites-enabled/*`), so the file is checked once, under the link's path, and not again
/// as a root of its own. Costs one `lstat` per file a glob did not list (its listing tells a symlink),
/// and a `realpath` per symlink (and per root when there is one).
fn aliased_roots(sources: &SourceMap, candidates: &[(FileId, includes::Built)]) -> Vec<FileId> {
    let mut targets: HashMap<std::path::PathBuf, FileId> = HashMap::new();
    for (_, built) in candidates {
        for f in &built.load_order {
            let Some(path) = &sources.get(*f).path else {
                continue;
            };
            if sources.is_symlink(*f) {
                if let Ok(real) = std::fs::canonicalize(path) {
                    targets.entry(real).or_insert(*f);
                }
            }
        }
    }
    if targets.is_empty() {
        return Vec::new();
    }
    candidates
        .iter()
        .filter_map(|(id, _)| {
            let path = sources.get(*id).path.as_ref()?;
            if path.is_symlink() {
                return None;
            }
            let real = std::fs::canonicalize(path).ok()?;
            targets.get(&real).filter(|f| **f != *id).map(|_| *id)
        })
        .collect()
}

/// Directories whose `*.conf` files nginx images include together inside `http`: `conf.d/` (official
/// image: `include /etc/nginx/conf.d/*.conf;`), `http.d/` (Alpine), `sites-enabled/` (Debian), and
/// `templates/` (official image: rendered into `conf.d/` by envsubst at start).
const HTTP_SNIPPET_DIRS: &[&str] = &["conf.d", "http.d", "sites-enabled", "templates"];

/// Merges snippet roots that fit `http` and sit in the same [`HTTP_SNIPPET_DIRS`] directory into one
/// configuration read in glob order (a `resolver` or `upstream` in one applies to the others, as in
/// nginx). Snippets that fit another context, or do not fit cleanly, stay on their own.
fn group_http_snippets(sources: &SourceMap, configs: Vec<Config>) -> Vec<Config> {
    let mut out: Vec<Config> = Vec::new();
    let mut groups: HashMap<std::path::PathBuf, usize> = HashMap::new();
    let mut group_files: HashMap<usize, HashSet<FileId>> = HashMap::new();
    for config in configs {
        let dir = sources
            .get(config.main)
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .filter(|d| {
                d.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| HTTP_SNIPPET_DIRS.contains(&n))
            })
            .map(crate::source::normalize);
        let groupable = config.context == Context::Http && !config.context_guessed;
        match dir.filter(|_| groupable) {
            Some(dir) => match groups.get(&dir) {
                Some(&i) => {
                    let g = &mut out[i];
                    g.roots.push(config.main);
                    g.includes.extend(config.includes);
                    g.unread_includes.extend(config.unread_includes);
                    let seen = group_files.entry(i).or_default();
                    for f in config.load_order {
                        if seen.insert(f) {
                            g.load_order.push(f);
                        }
                    }
                }
                None => {
                    groups.insert(dir, out.len());
                    group_files.insert(out.len(), config.load_order.iter().copied().collect());
                    out.push(config);
                }
            },
            None => out.push(config),
        }
    }
    // glob order: by file name bytes, a template counting as the file it renders.
    for &i in groups.values() {
        let g = &mut out[i];
        g.roots.sort_by_key(|id| {
            let name = sources
                .get(*id)
                .path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| {
                    let n = n.to_string_lossy();
                    n.strip_suffix(".template")
                        .unwrap_or(&n)
                        .as_bytes()
                        .to_vec()
                });
            name.unwrap_or_default()
        });
        g.main = g.roots[0];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_parsed_in_parallel_parse_as_one_by_one() {
        let mut sources = SourceMap::default();
        let mut ids = Vec::new();
        for i in 0..40 {
            let text = match i % 4 {
                0 => format!(
                    "server {{ listen {i}; location / {{ proxy_pass http://app{i}:80; }} }}\n"
                ),
                1 => format!("upstream u{i} {{ server 10.0.0.{i}:9000; }}\n# comment {i}\n"),
                2 => format!("server {{ listen {i} }}\n"), // missing `;`: N000
                _ => "map $host $x { default 1; }\nserver { location ~ ^/a{2}$ { return 204; } }\n"
                    .to_string(),
            };
            ids.push(sources.add(crate::source::SourceFile::new(
                format!("{i}.conf"),
                None,
                text,
            )));
        }
        let one_by_one = parse_files(&sources, &ids, 0);
        let parallel = parse_files(&sources, &ids, PARALLEL_PARSE_BYTES);
        assert_eq!(parallel.len(), ids.len());
        assert!(parallel.iter().map(|(id, _)| *id).eq(ids.iter().copied()));
        assert!(one_by_one.iter().any(|(_, (_, found))| !found.is_empty()));
        assert_eq!(parallel, one_by_one);
    }

    /// What a visit shows a rule: the directive, its context and the chains, by address.
    type Seen = (usize, Context, bool, Vec<usize>, Vec<usize>, FileId);

    fn seen(v: &Visit<'_, '_>) -> Seen {
        let addr = |d: &Directive| d as *const Directive as usize;
        (
            addr(v.directive),
            v.context,
            v.context_known,
            v.parents.iter().map(|d| addr(d)).collect(),
            v.via.iter().map(|d| addr(d)).collect(),
            v.file,
        )
    }

    #[test]
    fn flattened_and_tagged_walks_equal_the_tree_walk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(
            dir.join("nginx.conf"),
            "events { worker_connections 10; }\n\
             http {\n  resolver 10.0.0.2;\n  map $host $x { default 1; a 2; }\n\
               upstream u { zone z 64k; server app:80 resolve; }\n\
               include conf.d/*.conf;\n\
               server { listen 80; root /srv; location / { proxy_pass http://u;\n\
                 location /in { if ($x) { set $y 1; return 204; } limit_except GET { deny all; } } }\n\
                 location /lua { content_by_lua_block { ngx.say(1) } }\n\
                 unknown_block { listen 1; server x; } include conf.d/b.inc; }\n\
               server { listen 81; location @n { fastcgi_pass php:9000; fastcgi_param A b; } }\n}\n\
             stream { upstream s { server db:5432; } server { listen 5432; proxy_pass s; } }\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("conf.d/a.conf"),
            "server { listen 82; include conf.d/b.inc; location /a { perl_set $p x; grpc_pass g:1; } }\n",
        )
        .unwrap();
        // b includes a again: a loop nginx refuses, cut where it closes.
        std::fs::write(
            dir.join("conf.d/b.inc"),
            "set $v 1; location /b { uwsgi_pass w:1; include conf.d/a.conf; }\n",
        )
        .unwrap();
        let mut sources = SourceMap::new();
        let input = Input {
            path: dir.join("nginx.conf"),
            name: "nginx.conf".into(),
            kind: crate::settings::Kind::Nginx,
        };
        let loaded = load(&mut sources, &[&input], &Settings::default()).unwrap();
        let config = &loaded.configs[0];
        let mut tree = Vec::new();
        config.walk_tree(&mut |v| tree.push(seen(v)));
        assert!(tree.len() > 40, "{}", tree.len());
        let mut flat = Vec::new();
        config.walk(&mut |v| flat.push(seen(v)));
        assert_eq!(flat, tree);
        let tag_of = |s: &Seen| {
            // SAFETY: the address is a directive of `config`, alive here.
            Tag::of(&unsafe { &*(s.0 as *const Directive) }.name.text)
        };
        let all = [
            Tag::Other,
            Tag::Upstream,
            Tag::Server,
            Tag::Zone,
            Tag::Resolver,
            Tag::Set,
            Tag::Map,
            Tag::Geo,
            Tag::Listen,
            Tag::Pass,
            Tag::OpaqueDefiner,
            Tag::Include,
            Tag::Root,
            Tag::Location,
            Tag::FastcgiParam,
        ];
        let mut sets: Vec<Vec<Tag>> = all.iter().map(|t| vec![*t]).collect();
        sets.push(all.to_vec());
        sets.push(vec![Tag::Server, Tag::Pass]);
        sets.push(vec![Tag::Pass, Tag::Server, Tag::Location, Tag::Other]);
        sets.push(Vec::new());
        for tags in sets {
            let mut tagged = Vec::new();
            config.walk_tagged(&tags, &mut |v| tagged.push(seen(v)));
            let expected: Vec<Seen> = tree
                .iter()
                .filter(|s| tags.contains(&tag_of(s)))
                .cloned()
                .collect();
            assert_eq!(tagged, expected, "{tags:?}");
        }
    }
}
