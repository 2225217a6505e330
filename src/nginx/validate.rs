//! Checks every directive against the directive table the way nginx's `ngx_conf_handler` does, in its
//! order: unknown name (N005), not allowed in this context (N006), block/`;` mismatch (N000), argument
//! count (N007).

use super::directives::{self, Context, DirectiveSpec};
use super::fxhash::FxHashMap;
use super::syntax::{Directive, Text, Word};
use super::{Config, NameCache, Visit};
use crate::diagnostic::Diagnostic;
use crate::rules::nginx::{
    n000_syntax_error, n005_unknown_directive, n006_directive_not_allowed_here,
    n007_wrong_argument_count,
};
use crate::source::{SourceMap, Span};

/// Whether `name` could be the name of some module's directive (`[a-z0-9_]+`, any case).
fn looks_like_directive_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn context_label(ctx: Context) -> &'static str {
    match ctx {
        Context::Main => "the main (top-level) context",
        Context::Events => "`events`",
        Context::Http => "`http`",
        Context::Server => "`server`",
        Context::Location => "`location`",
        Context::LocationIf => "`if` in `location`",
        Context::ServerIf => "`if` in `server`",
        Context::LimitExcept => "`limit_except`",
        Context::Upstream => "`upstream`",
        Context::Mail => "`mail`",
        Context::MailServer => "`server` in `mail`",
        Context::Stream => "`stream`",
        Context::StreamServer => "`server` in `stream`",
        Context::StreamUpstream => "`upstream` in `stream`",
    }
}

/// The table checks' findings of rule `code` on one configuration. All four rules' findings are
/// computed in one walk, the first time any of them asks.
pub fn check(config: &Config, sources: &SourceMap, code: &str, out: &mut Vec<Diagnostic>) {
    let all = config.table_findings.get_or_init(|| {
        let start = std::time::Instant::now();
        let mut all = Vec::new();
        let mut table = Table::default();
        // On the tree, not the flattened walk: this rule runs first, and the other thread builds the
        // flattened walk for its rules meanwhile instead of waiting for this one to build it.
        config.walk_tree(&mut |v| visit(v, sources, &mut table, &mut all));
        crate::timing::interval("table checks", start);
        all
    });
    out.extend(all.iter().filter(|d| d.code == code).cloned());
}

/// [`directives::lookup`] memoised per name for one walk.
struct Table<'a> {
    /// The last name seen in each slot (nearly every lookup is a hit here).
    recent: NameCache<&'static [DirectiveSpec]>,
    /// Names the cache above misses (and those too long for it). Directive names are short and few: a
    /// cheap hash beats the default SipHash.
    seen: FxHashMap<&'a str, &'static [DirectiveSpec]>,
}

impl Default for Table<'_> {
    fn default() -> Self {
        Table {
            recent: NameCache::new(&[]),
            seen: FxHashMap::default(),
        }
    }
}

impl<'a> Table<'a> {
    #[inline]
    fn lookup_text(&mut self, name: &'a Text) -> &'static [DirectiveSpec] {
        let seen = &mut self.seen;
        self.recent.get(name, |name| lookup(seen, name))
    }
}

fn lookup<'a>(
    seen: &mut FxHashMap<&'a str, &'static [DirectiveSpec]>,
    name: &'a str,
) -> &'static [DirectiveSpec] {
    if let Some(specs) = seen.get(name) {
        return specs;
    }
    let specs = directives::lookup(name);
    seen.insert(name, specs);
    specs
}

/// A missing `;` makes nginx read the next line as more arguments (`listen 80` ⏎ `server_name x;` is one
/// `listen` with three arguments, which `listen` rejects in its own way). Finds an unquoted argument
/// that starts a new line, is the name of a known directive other than this one, and is followed by
/// more arguments on that line: such a line is a directive, not a value.
fn missing_semicolon<'a>(d: &'a Directive, text: &str, table: &mut Table<'a>) -> Option<&'a Word> {
    // The word found is followed by another, so only the gaps before the last-but-one word count; the
    // words ascend, so those gaps lie between the name and that word. Most directives have one
    // argument or sit on one line: one search (or none) instead of one per argument, which cost 4.8 M
    // of the table checks' 28.6 M instructions on the 128,728 directives of the benchmark (now 0.2 M).
    let n = d.args.len();
    if n < 2 {
        return None;
    }
    let (from, to) = (d.name.span.end as usize, d.args[n - 2].span.start as usize);
    if text
        .as_bytes()
        .get(from..to)
        .is_some_and(|between| !has_newline(between))
    {
        return None;
    }
    let mut prev_end = d.name.span.end as usize;
    for (i, a) in d.args.iter().enumerate() {
        let start = a.span.start as usize;
        let gap = text.get(prev_end..start).unwrap_or("");
        prev_end = a.span.end as usize;
        if !gap.contains('\n') || a.quoted || a.text == d.name.text {
            continue;
        }
        let next_on_same_line = d.args.get(i + 1).is_some_and(|n| {
            !text
                .get(a.span.end as usize..n.span.start as usize)
                .unwrap_or("\n")
                .contains('\n')
        });
        if next_on_same_line && !table.lookup_text(&a.text).is_empty() {
            return Some(a);
        }
    }
    None
}

/// Whether `bytes` (the few bytes between a directive's name and its last arguments) hold a `\n`, eight
/// at a time: `memchr`'s set-up for a text this short cost more than the search (2.1 M instructions
/// over the benchmark's directives).
fn has_newline(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let found = words.any(|w| {
        crate::swar::equal(u64::from_le_bytes(w.try_into().expect("8 bytes")), b'\n') != 0
    });
    found || words.remainder().contains(&b'\n')
}

use super::{has_env_placeholder, is_template_file};

fn visit<'a>(
    v: &Visit<'a, '_>,
    sources: &SourceMap,
    table: &mut Table<'a>,
    out: &mut Vec<Diagnostic>,
) {
    // The common case (a known directive, allowed here, in its form, with a fitting count) in as few
    // instructions as possible; each finding is built out of line (this runs for every directive).
    let d = v.directive;
    let specs = table.lookup_text(&d.name.text);
    if specs.is_empty() {
        unknown(v, table, out);
        return;
    }
    if !v.context_known {
        return;
    }
    // The first definition whose contexts allow this one, as nginx (and `directives::lookup_in`) picks.
    let Some(spec) = specs.iter().find(|s| s.contexts.contains(v.context)) else {
        not_allowed(v, specs, out);
        return;
    };
    if spec.block != d.block.is_some() {
        block_mismatch(d, out);
        return;
    }
    if !spec.arity.accepts(d.args.len()) {
        wrong_count(v, sources, spec, out);
        return;
    }
    if d.args.len() >= 2 {
        semicolon(v, sources, table, out);
    }
    // nginx reads an `if` block's condition once the argument count is right (`ngx_conf_handler`, then
    // the rewrite module's handler).
    if d.block.is_some() && d.name.text == "if" {
        if_condition(v, sources, out);
    }
}

/// In a template rendered by envsubst (`*.template`), `$NAME` may expand to several words; so may an
/// environment-style `${UPPER_CASE}` placeholder anywhere (nginx's own variables are lower case).
fn rendered_later(v: &Visit<'_, '_>, sources: &SourceMap) -> bool {
    v.directive.args.iter().any(|a| {
        has_env_placeholder(&a.text) || (a.text.contains('$') && is_template_file(sources, v.file))
    })
}

/// N000 for an `if` condition nginx cannot read ([`super::conditions`]).
#[cold]
#[inline(never)]
fn if_condition(v: &Visit<'_, '_>, sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let d = v.directive;
    if rendered_later(v, sources) {
        return;
    }
    if let Some(bad) = super::conditions::check(&d.args) {
        let word = &d.args[bad.arg];
        // Underlines what nginx names, without a glued `(` or `)`, when the text is the source as written.
        let span = if !word.quoted && word.span.len() == word.text.len() {
            Span::new(
                word.span.file,
                word.span.start as usize + bad.value.start,
                word.span.start as usize + bad.value.end,
            )
        } else {
            word.span
        };
        out.push(
            n000_syntax_error::RULE
                .diag(span, bad.message)
                .with_help(bad.help),
        );
    }
}

/// N005 for a name the table does not know, unless some module may define it.
#[cold]
#[inline(never)]
fn unknown<'a>(v: &Visit<'a, '_>, table: &mut Table<'a>, out: &mut Vec<Diagnostic>) {
    let d = v.directive;
    let name: &str = &d.name.text;
    // Inside a block wirelint does not know (or does not model), any name may be that module's
    // business.
    if v.parents.iter().any(|p| {
        table.lookup_text(&p.name.text).is_empty() || directives::is_foreign_block(&p.name.text)
    }) {
        return;
    }
    // Template placeholders are rendered before nginx sees the file; a BOM is reported as N000.
    if has_env_placeholder(name) || name.contains("@@") || name.starts_with('\u{feff}') {
        return;
    }
    let suggestion = directives::suggest(name);
    // A name no module could define (`2}$` from an unquoted regex) or a near miss of a known one is
    // surely wrong; any other name may belong to a third-party module wirelint does not know.
    if suggestion.is_none() && looks_like_directive_name(name) {
        return;
    }
    let rule = &n005_unknown_directive::RULE;
    let mut diag = rule.diag(d.name.span, format!("unknown directive `{name}`"));
    diag = match suggestion {
        Some(s) => diag.with_help(format!("did you mean `{s}`?")),
        None => diag.with_help(
            "no nginx module has a directive of this name; if it is part of a regular expression or a value, quote it",
        ),
    };
    out.push(diag);
}

/// N006: no definition allows the directive's context.
#[cold]
#[inline(never)]
fn not_allowed(v: &Visit<'_, '_>, specs: &[DirectiveSpec], out: &mut Vec<Diagnostic>) {
    let name: &str = &v.directive.name.text;
    let mut allowed: Vec<&str> = specs.iter().flat_map(|s| s.contexts.names()).collect();
    allowed.dedup();
    out.push(
        n006_directive_not_allowed_here::RULE
            .diag(
                v.directive.name.span,
                format!("`{name}` is not allowed in {}", context_label(v.context)),
            )
            .with_help(format!(
                "move it to one of these contexts: {}",
                allowed.join(", ")
            )),
    );
}

/// N000: a block where the definition takes none, or `;` where it needs one.
#[cold]
#[inline(never)]
fn block_mismatch(d: &Directive, out: &mut Vec<Diagnostic>) {
    let name: &str = &d.name.text;
    out.push(match &d.block {
        Some(b) => n000_syntax_error::RULE
            .diag(
                b.open,
                format!("`{name}` takes no block: it must end with `;`"),
            )
            .with_help(format!("replace the `{{ … }}` after `{name}` with `;`")),
        None => n000_syntax_error::RULE
            .diag(
                d.span,
                format!("`{name}` needs a block: `{name} … {{ … }}`"),
            )
            .with_help("replace the `;` with a `{ … }` block"),
    });
}

/// N000 for a missing `;` (see [`missing_semicolon`]), on a directive whose argument count fits.
#[inline(never)]
fn semicolon<'a>(
    v: &Visit<'a, '_>,
    sources: &SourceMap,
    table: &mut Table<'a>,
    out: &mut Vec<Diagnostic>,
) {
    let d = v.directive;
    let name: &str = &d.name.text;
    if let Some(next) = missing_semicolon(d, &sources.get(v.file).text, table) {
        let last_before = d
            .args
            .iter()
            .take_while(|a| a.span.start < next.span.start)
            .last()
            .map_or(d.name.span, |a| a.span);
        out.push(
            n000_syntax_error::RULE
                .diag(
                    next.span,
                    format!(
                        "missing `;`: `{}` on this line is read as an argument of `{name}` above",
                        next.text
                    ),
                )
                .with_help(format!("end the `{name}` directive with `;`"))
                .with_related(last_before, "`;` missing after this"),
        );
    }
}

/// N007: an argument count the definition does not take, unless a template renders the arguments later.
#[cold]
#[inline(never)]
fn wrong_count(
    v: &Visit<'_, '_>,
    sources: &SourceMap,
    spec: &DirectiveSpec,
    out: &mut Vec<Diagnostic>,
) {
    let d = v.directive;
    let name: &str = &d.name.text;
    if rendered_later(v, sources) {
        return;
    }
    let n = d.args.len();
    let head = d
        .args
        .last()
        .map_or(d.name.span, |a| d.name.span.to(a.span));
    out.push(
        n007_wrong_argument_count::RULE
            .diag(
                head,
                format!(
                    "`{name}` takes {}, found {n}",
                    spec.arity.describe()
                ),
            )
            .with_help(
                "fix the arguments; a value with spaces must be quoted, and a missing `;` joins two directives into one",
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_found_at_every_position() {
        for len in 0..24 {
            assert!(!has_newline(&vec![b'a'; len]));
            for at in 0..len {
                let mut bytes = vec![b' '; len];
                bytes[at] = b'\n';
                assert!(has_newline(&bytes), "{len} {at}");
            }
        }
    }

    #[test]
    fn env_placeholders() {
        assert!(has_env_placeholder("${NGINX_PORT}"));
        assert!(has_env_placeholder("http://${UPSTREAM_HOST}:80"));
        assert!(!has_env_placeholder("${host}"));
        assert!(!has_env_placeholder("${0"));
        assert!(!has_env_placeholder("$HOST"));
    }
}
