//! Dockerfile model: which repository files a `build:` service's image contains, and where.
//!
//! Semantics follow the Dockerfile reference (<https://docs.docker.com/reference/dockerfile/>) and BuildKit's
//! parser (moby/buildkit `frontend/dockerfile/parser`, tonistiigi/fsutil `copy`):
//! - Parser directives (`# escape=`, `# syntax=`) are only read at the very top; the first comment that is not
//!   a directive, blank line or instruction ends them. `# escape=`` ` switches the escape character to a backtick.
//! - A line whose last non-blank character is the escape character continues on the next line; comment lines
//!   and empty lines inside a continuation are dropped. `#` starts a comment only at the start of a line.
//! - `RUN`/`COPY`/`ADD` may carry heredocs (`<<EOF`, `<<-EOF`, `<<'EOF'`): their bodies follow the
//!   instruction and end at a line equal to the delimiter (`<<-` strips leading tabs first).
//! - Instruction names are case-insensitive; arguments are in exec (JSON array) form when they parse as one.
//! - `ARG` before the first `FROM` is a global arg, usable only in `FROM` lines; inside a stage `ARG NAME`
//!   without a value takes the global value. `--build-arg` (compose `build.args`) overrides the default of a
//!   declared ARG. `ENV` always overrides an `ARG` of the same name. All `ENV` pairs on one line expand with
//!   the environment from before that line.
//! - `WORKDIR` relative paths accumulate; a relative COPY/ADD destination resolves against the WORKDIR.
//! - COPY of a directory copies its *contents*. A destination ending in `/`, or with several sources, or
//!   with a wildcard source, is a directory; a single file source with a destination without trailing
//!   slash is written at that path (unless that path already is a directory in the image — fsutil
//!   `normalizedCopyInputs` — which wirelint only knows for directories made by this Dockerfile).
//! - `COPY --from=<stage|index|image>` copies from another stage's (or image's) filesystem root; paths are
//!   not relative to a WORKDIR there. `FROM <stage>` inherits that stage's files, ENV and WORKDIR.
//! - `ADD` of a URL or git source is not a repository file; `ADD` of a local tar archive extracts it.
//!
//! Use: [`parse`] the Dockerfile with the compose `build.args`, then [`Dockerfile::context_copies_in`]
//! with `build.target` and the context directory gives every repository path placed into the image;
//! [`PlacedCopy::container_path`] maps one repository file to its container path, and
//! [`dockerignore_for`] says which files never reach the context.

use super::under;
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A parsed Dockerfile: its stages in order, with ARG/ENV expanded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// ARGs declared before the first FROM, with their effective value (build arg, else default).
    pub global_args: Vec<(String, Option<String>)>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub index: usize,
    /// Stage name from `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    pub base: BaseImage,
    pub from_span: Span,
    pub platform: Option<String>,
    pub copies: Vec<Copy>,
    /// Effective WORKDIR at the end of the stage: set here, inherited from a parent stage, or a known
    /// default of the base image. `None`: not known (the base image's own default applies, often `/`).
    pub workdir: Option<String>,
    /// ENV at the end of the stage (inherited from a parent stage and known base-image defaults included).
    pub env: Vec<(String, String)>,
    pub expose: Vec<(String, Span)>,
    pub cmd: Option<Command>,
    pub entrypoint: Option<Command>,
    pub user: Option<String>,
    /// The commands of the stage's `RUN` instructions, as written (continuations joined).
    pub runs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaseImage {
    /// An image reference as written (after ARG expansion), e.g. `php` with tag `8.2-fpm`.
    Image {
        name: String,
        tag: Option<String>,
        digest: Option<String>,
    },
    /// `FROM` an earlier stage (its index).
    Stage(usize),
    Scratch,
    /// Could not be resolved (an ARG without value, an empty reference); the text as written.
    Unknown(String),
}

/// One COPY or ADD instruction.
#[derive(Clone, Debug, PartialEq)]
pub struct Copy {
    pub span: Span,
    /// Context sources after ARG/ENV expansion, relative to the build context, cleaned (`./a/` → `a`,
    /// the whole context is `.`). URLs, git sources and heredocs are not here.
    pub sources: Vec<String>,
    /// Per source: what its text says (`Dir` for a trailing `/` or `.`, `Glob`, else `Unknown`).
    pub source_shapes: Vec<SourceShape>,
    /// Absolute container path after WORKDIR resolution; ends with `/` when a directory destination.
    pub dest: String,
    pub from_stage: Option<usize>,
    pub from_image: Option<String>,
    pub is_add: bool,
    /// Per source in `sources`: the part kept under `dest` with `--parents` (after a `/./` pivot).
    pub parents: Option<Vec<String>>,
    pub excludes: Vec<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    /// Sources that are not repository files: URLs, git repositories, heredoc bodies.
    pub non_context_sources: Vec<String>,
    /// A variable in a source or the destination had no value (it expanded to empty, as BuildKit does).
    pub unresolved_variable: bool,
    /// The destination was relative and the base image's WORKDIR is not known; it was resolved against `/`.
    pub dest_uncertain: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub span: Span,
    pub exec_form: bool,
    /// Exec form: the JSON array. Shell form: the SHELL (default `["/bin/sh", "-c"]`) plus the text.
    pub args: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceShape {
    File,
    Dir,
    Glob,
    Unknown,
}

/// A repository file or directory placed into an image.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedCopy {
    /// Container path of `source` itself: a file's path, or (ending in `/`) the directory its contents
    /// land in; for a glob, the directory the matches land in.
    pub dest: String,
    /// Context-relative source (`.` for the whole context).
    pub source: String,
    /// The COPY/ADD that put it there in the target image (for `--from` chains: the last hop).
    pub span: Span,
    pub source_is_dir_glob_or_file: SourceShape,
    /// The shape was guessed from the name (no context directory was consulted, or the path is missing).
    pub shape_guessed: bool,
    /// An ADD of a local archive: extracted into `dest`; its files are not known.
    pub archive: bool,
    /// `--exclude` patterns, relative to `source`.
    pub excludes: Vec<String>,
    /// For a glob with `--parents`: matches keep their context path under `dest`, less this leading part
    /// (what comes before a `/./` pivot; empty without one).
    pub glob_parents_prefix: Option<String>,
    /// Spans of the COPY instructions this went through before, earliest first (COPY into a stage, then
    /// `COPY --from` hops).
    pub via: Vec<Span>,
    pub dest_uncertain: bool,
}

impl PlacedCopy {
    /// Where the context file `context_path` (relative to the build context) lands, if this placement
    /// covers it.
    pub fn container_path(&self, context_path: &str) -> Option<String> {
        if self.archive {
            return None;
        }
        let query = clean_rel(context_path);
        let dest = self.dest.trim_end_matches('/');
        let dest = if dest.is_empty() { "/" } else { dest };
        match self.source_is_dir_glob_or_file {
            SourceShape::Glob => {
                let pat = glob::Pattern::new(&self.source).ok()?;
                let opts = glob_opts();
                let mut prefix = String::new();
                for comp in query.split('/') {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(comp);
                    if pat.matches_with(&prefix, opts) {
                        let rel = if prefix == query {
                            ""
                        } else {
                            &query[prefix.len() + 1..]
                        };
                        if self.excluded(rel) {
                            return None;
                        }
                        if let Some(pre) = &self.glob_parents_prefix {
                            let kept = under(&format!("/{query}"), &clean_abs(pre))
                                .unwrap_or(&query)
                                .to_string();
                            return Some(join(dest, &kept));
                        }
                        return Some(if rel.is_empty() {
                            join(dest, basename(&query))
                        } else {
                            join(dest, rel)
                        });
                    }
                }
                None
            }
            SourceShape::File => {
                (query == self.source && !self.excluded(basename(&query))).then(|| dest.to_string())
            }
            SourceShape::Dir | SourceShape::Unknown => {
                let rel = if self.source == "." {
                    query.as_str()
                } else if query == self.source {
                    ""
                } else {
                    query.strip_prefix(&self.source)?.strip_prefix('/')?
                };
                if self.excluded(rel) {
                    return None;
                }
                Some(if rel.is_empty() {
                    dest.to_string()
                } else {
                    join(dest, rel)
                })
            }
        }
    }

    fn excluded(&self, rel: &str) -> bool {
        if rel.is_empty() || self.excludes.is_empty() {
            return false;
        }
        let opts = glob_opts();
        self.excludes.iter().any(|e| {
            let Ok(p) = glob::Pattern::new(e.trim_start_matches("./")) else {
                return false;
            };
            // Excluding a directory excludes what is under it.
            let mut prefix = String::new();
            rel.split('/').any(|c| {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(c);
                p.matches_with(&prefix, opts)
            })
        })
    }
}

fn glob_opts() -> glob::MatchOptions {
    // Go's filepath.Match: `*` does not cross `/`.
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseProblem {
    pub span: Span,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------------------
// Lexing: physical lines → logical instructions.

/// One instruction with continuations joined; `map[i]` is the source offset of byte `i` of `text`.
struct Logical {
    text: String,
    map: Vec<u32>,
    start: usize,
    end: usize,
}

impl Logical {
    fn push(&mut self, s: &str, offset: usize) {
        for (i, _) in s.bytes().enumerate() {
            self.map.push((offset + i) as u32);
        }
        self.text.push_str(s);
    }

    /// Source span of `text[a..b]`.
    fn span(&self, file: FileId, a: usize, b: usize) -> Span {
        let at = |i: usize| -> usize {
            if i < self.map.len() {
                self.map[i] as usize
            } else {
                self.end
            }
        };
        let s = at(a);
        let e = if b > a && b - 1 < self.map.len() {
            self.map[b - 1] as usize + 1
        } else {
            s
        };
        Span::new(file, s.min(e), e.max(s))
    }
}

fn split_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut off = 0;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        out.push((off, line));
        off += raw.len() + 1;
    }
    out
}

fn parse_directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim().to_string()))
}

/// Removes a trailing escape character (plus trailing blanks); true when the line continues.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(s) => (s, true),
        None => (line, false),
    }
}

/// Heredoc delimiters in a RUN/COPY/ADD line (shell form): `(name, strip_tabs)`. As BuildKit
/// (`heredocsFromLine`): the line is split into shell words (quotes respected, always `\\` as escape) and
/// a word is a heredoc when it matches `^(\d*)<<(-?)\s*([^<]*)$`; quotes around the name are removed.
/// So `$((1<<2))` and `"<<EOF"` are not heredocs, and `<<<word` is a here-string.
fn heredoc_names(args: &str) -> Vec<(String, bool)> {
    shell_words(args, '\\')
        .into_iter()
        .filter_map(|w| {
            let r = w.trim_start_matches(|c: char| c.is_ascii_digit());
            let r = r.strip_prefix("<<")?;
            let (strip, r) = match r.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, r),
            };
            let r = r.trim_start();
            if r.contains('<') {
                return None;
            }
            let name: String = r.chars().filter(|&c| c != '\'' && c != '"').collect();
            (!name.is_empty()).then_some((name, strip))
        })
        .collect()
}

fn json_array(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

/// Whitespace-separated words of `text[from..]` with their byte ranges in `text`.
fn ws_words(text: &str, from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text[from..].char_indices() {
        let i = i + from;
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Shell-like words: whitespace outside quotes separates; quotes and escapes are kept for `expand`.
fn shell_words(text: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == escape && quote != Some('\'') {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
            in_word = true;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                continue;
            }
            None => {}
        }
        cur.push(c);
        in_word = true;
    }
    if in_word {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Variable expansion (the subset of BuildKit's shell lexer that Dockerfiles use for paths).

struct Expanded {
    text: String,
    unresolved: bool,
}

fn expand(word: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Expanded {
    let chars: Vec<char> = word.chars().collect();
    let mut unresolved = false;
    let mut pos = 0;
    let text = expand_chars(&chars, &mut pos, escape, lookup, &mut unresolved, None);
    Expanded { text, unresolved }
}

/// Expands until `stop` (unquoted) or the end; `pos` ends on the stop character.
fn expand_chars(
    c: &[char],
    pos: &mut usize,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    unresolved: &mut bool,
    stop: Option<char>,
) -> String {
    let mut out = String::new();
    let mut in_double = false;
    while *pos < c.len() {
        let ch = c[*pos];
        if !in_double && Some(ch) == stop {
            return out;
        }
        if ch == escape {
            *pos += 1;
            if let Some(&n) = c.get(*pos) {
                if in_double && n != '"' && n != '$' && n != escape {
                    out.push(escape);
                }
                out.push(n);
                *pos += 1;
            }
            continue;
        }
        if ch == '\'' && !in_double {
            *pos += 1;
            while *pos < c.len() && c[*pos] != '\'' {
                out.push(c[*pos]);
                *pos += 1;
            }
            *pos += 1;
            continue;
        }
        if ch == '"' {
            in_double = !in_double;
            *pos += 1;
            continue;
        }
        if ch == '$' {
            *pos += 1;
            out.push_str(&expand_var(c, pos, escape, lookup, unresolved));
            continue;
        }
        out.push(ch);
        *pos += 1;
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// After a `$` at `pos - 1`.
fn expand_var(
    c: &[char],
    pos: &mut usize,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    unresolved: &mut bool,
) -> String {
    match c.get(*pos) {
        Some('{') => {
            *pos += 1;
            let start = *pos;
            while *pos < c.len() && is_name_char(c[*pos]) {
                *pos += 1;
            }
            let name: String = c[start..*pos].iter().collect();
            let value = lookup(&name);
            let op: String = match c.get(*pos) {
                Some('}') => {
                    *pos += 1;
                    if value.is_none() {
                        *unresolved = true;
                    }
                    return value.unwrap_or_default();
                }
                Some(':') => {
                    *pos += 1;
                    match c.get(*pos) {
                        Some(&o @ ('-' | '+' | '?')) => {
                            *pos += 1;
                            format!(":{o}")
                        }
                        _ => ":".into(),
                    }
                }
                Some(&o) => {
                    *pos += 1;
                    o.to_string()
                }
                None => {
                    *unresolved = true;
                    return String::new();
                }
            };
            let word = expand_chars(c, pos, escape, lookup, unresolved, Some('}'));
            *pos += 1; // the closing brace
            let set = value.is_some();
            let nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
            match op.as_str() {
                ":-" => {
                    if nonempty {
                        value.unwrap_or_default()
                    } else {
                        word
                    }
                }
                "-" => value.unwrap_or(word),
                ":+" => {
                    if nonempty {
                        word
                    } else {
                        String::new()
                    }
                }
                "+" => {
                    if set {
                        word
                    } else {
                        String::new()
                    }
                }
                ":?" | "?" => {
                    if (op == "?" && set) || nonempty {
                        value.unwrap_or_default()
                    } else {
                        *unresolved = true;
                        String::new()
                    }
                }
                _ => {
                    // Pattern operators (`#`, `%`, `/`) are not modelled.
                    *unresolved = true;
                    value.unwrap_or_default()
                }
            }
        }
        Some(&ch) if is_name_char(ch) => {
            let start = *pos;
            while *pos < c.len() && is_name_char(c[*pos]) {
                *pos += 1;
            }
            let name: String = c[start..*pos].iter().collect();
            match lookup(&name) {
                Some(v) => v,
                None => {
                    *unresolved = true;
                    String::new()
                }
            }
        }
        _ => "$".into(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Paths.

/// A clean absolute container path (no trailing slash except for `/`).
fn clean_abs(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A clean context-relative path; the context root is `.`. Leading `/` is the context root too.
fn clean_rel(p: &str) -> String {
    let a = clean_abs(p);
    if a == "/" {
        ".".into()
    } else {
        a[1..].to_string()
    }
}

fn join(dir: &str, rel: &str) -> String {
    if rel.is_empty() || rel == "." {
        return clean_abs(dir);
    }
    clean_abs(&format!("{dir}/{rel}"))
}

fn basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t)
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn is_remote(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://")
        || l.starts_with("https://")
        || l.starts_with("git@")
        || l.starts_with("git://")
        || l.starts_with("ssh://")
}

/// Local archives that ADD extracts (the Dockerfile reference: identity, gzip, bzip2, xz tar archives).
fn is_archive(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst",
    ]
    .iter()
    .any(|e| l.ends_with(e))
}

/// Shape of a source from its text alone.
fn shape_from_text(raw: &str, cleaned: &str) -> SourceShape {
    if has_glob(cleaned) {
        SourceShape::Glob
    } else if cleaned == "." || raw.ends_with('/') || raw.ends_with("/.") {
        SourceShape::Dir
    } else {
        SourceShape::Unknown
    }
}

/// Guess for an unknown shape: a name with an extension is a file, except the `name.d` directories of
/// config layouts (`conf.d`, `php-fpm.d`); a dotfile (`.env`, `.htaccess`) is a file, except the usual
/// dot-directories.
fn guess_shape(path: &str) -> SourceShape {
    let b = basename(path);
    if b.ends_with(".d") || matches!(b, ".git" | ".github" | ".docker" | ".config" | ".ssh") {
        return SourceShape::Dir;
    }
    if b.len() > 1 && b.starts_with('.') {
        return SourceShape::File;
    }
    match b.rfind('.') {
        Some(i) if i > 0 && i + 1 < b.len() => SourceShape::File,
        _ => SourceShape::Dir,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Known base images. Only facts read from the official images' Dockerfiles (docker-library/php:
// `fpm` and `apache` variants end with `WORKDIR /var/www/html`; every variant sets
// `ENV PHP_INI_DIR /usr/local/etc/php`; the `cli` variant sets no WORKDIR).

fn official_name(name: &str) -> &str {
    let n = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(name);
    n.strip_prefix("library/").unwrap_or(n)
}

fn image_defaults(name: &str, tag: Option<&str>) -> (Option<String>, Vec<(String, String)>) {
    match official_name(name) {
        "php" => {
            let t = tag.unwrap_or("");
            let wd =
                (t.contains("fpm") || t.contains("apache")).then(|| "/var/www/html".to_string());
            (
                wd,
                vec![("PHP_INI_DIR".into(), "/usr/local/etc/php".into())],
            )
        }
        _ => (None, Vec::new()),
    }
}

/// Directories every Linux base image has (FHS); enough to place `COPY f /usr/local/bin` inside.
fn linux_dirs() -> Vec<String> {
    [
        "/",
        "/bin",
        "/etc",
        "/home",
        "/opt",
        "/root",
        "/srv",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/local",
        "/usr/local/bin",
        "/usr/share",
        "/var",
    ]
    .iter()
    .map(|d| d.to_string())
    .collect()
}

/// Directories the official images create (their Dockerfiles: nginx makes `/etc/nginx/conf.d`,
/// `/usr/share/nginx/html`, `/docker-entrypoint.d`; php makes `$PHP_INI_DIR/conf.d` and, for fpm,
/// `/usr/local/etc/php-fpm.d`).
fn image_dirs(name: &str, tag: Option<&str>) -> Vec<String> {
    let d: &[&str] = match official_name(name) {
        "nginx" | "nginxinc/nginx-unprivileged" => &[
            "/etc/nginx",
            "/etc/nginx/conf.d",
            "/usr/share/nginx",
            "/usr/share/nginx/html",
            "/docker-entrypoint.d",
        ],
        "php" if tag.unwrap_or("").contains("fpm") => &[
            "/usr/local/etc",
            "/usr/local/etc/php",
            "/usr/local/etc/php/conf.d",
            "/usr/local/etc/php-fpm.d",
        ],
        "php" => &[
            "/usr/local/etc",
            "/usr/local/etc/php",
            "/usr/local/etc/php/conf.d",
        ],
        _ => &[],
    };
    d.iter().map(|d| d.to_string()).collect()
}

/// Records `dir` and its ancestors as existing directories.
fn add_dir(dirs: &mut HashSet<String>, dir: &str) {
    let mut p = clean_abs(dir);
    loop {
        if !dirs.insert(p.clone()) {
            break; // its ancestors are known already
        }
        match p.rsplit_once('/') {
            Some(("", _)) if p != "/" => p = "/".into(),
            Some((parent, _)) if !parent.is_empty() => p = parent.to_string(),
            _ => break,
        }
    }
}

fn parse_image_ref(s: &str) -> BaseImage {
    let (rest, digest) = match s.split_once('@') {
        Some((a, d)) => (a, Some(d.to_string())),
        None => (s, None),
    };
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (
            rest[..slash + i].to_string(),
            Some(rest[slash + i + 1..].to_string()),
        ),
        None => (rest.to_string(), None),
    };
    if name.is_empty() {
        return BaseImage::Unknown(s.to_string());
    }
    BaseImage::Image { name, tag, digest }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing.

struct StageState {
    args: Vec<(String, Option<String>)>,
    shell: Vec<String>,
    /// Directories known to exist at the end of each stage so far (the last is the current stage): a file
    /// copied to one of these paths without a trailing slash lands inside it.
    dirs: Vec<HashSet<String>>,
    workdir_uncertain: bool,
}

/// Parses a Dockerfile. `build_args` are compose `build.args` (they override ARG defaults). Never panics;
/// what cannot be understood is reported as a [`ParseProblem`] and skipped.
pub fn parse(
    file: FileId,
    text: &str,
    build_args: &HashMap<String, String>,
) -> (Dockerfile, Vec<ParseProblem>) {
    let mut problems = Vec::new();
    let mut df = Dockerfile {
        escape: '\\',
        ..Dockerfile::default()
    };
    let mut lines = split_lines(text);
    if let Some(first) = lines.first_mut() {
        if let Some(s) = first.1.strip_prefix('\u{feff}') {
            *first = (first.0 + 3, s);
        }
    }
    let mut i = 0;
    let mut seen = Vec::new();
    while i < lines.len() {
        match parse_directive(lines[i].1) {
            Some((k, v)) if !seen.contains(&k) => {
                if k == "escape" {
                    match v.as_str() {
                        "\\" => df.escape = '\\',
                        "`" => df.escape = '`',
                        _ => problems.push(ParseProblem {
                            span: Span::new(file, lines[i].0, lines[i].0 + lines[i].1.len()),
                            message: format!("invalid escape character {v:?}: must be ` or \\"),
                        }),
                    }
                }
                seen.push(k);
                i += 1;
            }
            _ => break,
        }
    }
    let escape = df.escape;
    let mut st = StageState {
        args: Vec::new(),
        shell: vec!["/bin/sh".into(), "-c".into()],
        dirs: Vec::new(),
        workdir_uncertain: true,
    };

    while i < lines.len() {
        let (off, line) = lines[i];
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let lead = line.len() - t.len();
        let mut lg = Logical {
            text: String::new(),
            map: Vec::new(),
            start: off + lead,
            end: off + line.len(),
        };
        let (mut cur_off, mut cur) = (off + lead, t);
        loop {
            let (content, cont) = strip_continuation(cur, escape);
            lg.push(content, cur_off);
            lg.end = cur_off + cur.len();
            i += 1;
            if !cont {
                break;
            }
            while i < lines.len() {
                let tt = lines[i].1.trim_start();
                if tt.starts_with('#') || tt.is_empty() {
                    i += 1;
                } else {
                    break;
                }
            }
            if i >= lines.len() {
                break;
            }
            (cur_off, cur) = lines[i];
        }
        let name_end = lg
            .text
            .find(|c: char| c.is_whitespace())
            .unwrap_or(lg.text.len());
        let name = lg.text[..name_end].to_ascii_uppercase();
        let instr_span_start = lg.start;
        // Heredoc bodies follow the instruction line.
        if matches!(name.as_str(), "RUN" | "COPY" | "ADD")
            && json_array(&lg.text[name_end..]).is_none()
        {
            for (delim, strip) in heredoc_names(&lg.text[name_end..]) {
                let mut closed = false;
                while i < lines.len() {
                    let (o, l) = lines[i];
                    i += 1;
                    let cmp = if strip { l.trim_start_matches('\t') } else { l };
                    if cmp == delim {
                        lg.end = o + l.len();
                        closed = true;
                        break;
                    }
                    lg.end = o + l.len();
                }
                if !closed {
                    problems.push(ParseProblem {
                        span: Span::new(file, instr_span_start, lg.end),
                        message: format!("heredoc `{delim}` is not terminated"),
                    });
                }
            }
        }
        instruction(
            &mut df,
            &mut st,
            &lg,
            name_end,
            &name,
            file,
            build_args,
            &mut problems,
        );
    }
    (df, problems)
}

struct Flags {
    list: Vec<(String, Option<String>, usize, usize)>,
    /// Byte offset in `lg.text` where the arguments after the flags start.
    rest: usize,
}

fn parse_flags(text: &str, from: usize) -> Flags {
    let mut list = Vec::new();
    let mut rest = text.len();
    for (a, b) in ws_words(text, from) {
        let w = &text[a..b];
        if let Some(f) = w.strip_prefix("--") {
            if f.is_empty() {
                rest = b;
                break;
            }
            let (k, v) = match f.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
                None => (f.to_ascii_lowercase(), None),
            };
            list.push((k, v, a, b));
        } else {
            rest = a;
            break;
        }
    }
    Flags { list, rest }
}

fn lookup_stage<'a>(st: &'a StageState, stage: &'a Stage) -> impl Fn(&str) -> Option<String> + 'a {
    move |n: &str| {
        if let Some((_, v)) = stage.env.iter().rev().find(|(k, _)| k == n) {
            return Some(v.clone());
        }
        st.args
            .iter()
            .rev()
            .find(|(k, _)| k == n)
            .and_then(|(_, v)| v.clone())
    }
}

#[allow(clippy::too_many_arguments)]
fn instruction(
    df: &mut Dockerfile,
    st: &mut StageState,
    lg: &Logical,
    name_end: usize,
    name: &str,
    file: FileId,
    build_args: &HashMap<String, String>,
    problems: &mut Vec<ParseProblem>,
) {
    let span = Span::new(file, lg.start, lg.end.max(lg.start));
    let escape = df.escape;
    let problem = |problems: &mut Vec<ParseProblem>, message: String| {
        problems.push(ParseProblem { span, message })
    };
    let args_text = lg.text[name_end..].trim();
    match name {
        "FROM" => {
            let flags = parse_flags(&lg.text, name_end);
            let words: Vec<&str> = lg.text[flags.rest..].split_whitespace().collect();
            let global = df.global_args.clone();
            let meta = |n: &str| -> Option<String> {
                global
                    .iter()
                    .rev()
                    .find(|(k, _)| k == n)
                    .and_then(|(_, v)| v.clone())
            };
            let platform = flags
                .list
                .iter()
                .find(|f| f.0 == "platform")
                .and_then(|f| f.1.clone())
                .map(|p| expand(&p, escape, &meta).text);
            let Some(raw) = words.first() else {
                problem(problems, "FROM needs an image".into());
                return;
            };
            let stage_name = match words.len() {
                1 => None,
                3 if words[1].eq_ignore_ascii_case("as") => Some(words[2].to_ascii_lowercase()),
                _ => {
                    problem(problems, "FROM takes `image [AS name]`".into());
                    None
                }
            };
            let e = expand(raw, escape, &meta);
            let image = e.text.trim().to_string();
            let base = if e.unresolved || image.is_empty() {
                BaseImage::Unknown(raw.to_string())
            } else if image.eq_ignore_ascii_case("scratch") {
                BaseImage::Scratch
            } else if let Some(s) = df
                .stages
                .iter()
                .find(|s| s.name.as_deref() == Some(image.to_ascii_lowercase().as_str()))
            {
                BaseImage::Stage(s.index)
            } else {
                parse_image_ref(&image)
            };
            let index = df.stages.len();
            let mut stage = Stage {
                index,
                name: stage_name,
                base: base.clone(),
                from_span: span,
                platform,
                copies: Vec::new(),
                workdir: None,
                env: Vec::new(),
                expose: Vec::new(),
                cmd: None,
                entrypoint: None,
                user: None,
                runs: Vec::new(),
            };
            st.args.clear();
            st.shell = vec!["/bin/sh".into(), "-c".into()];
            st.workdir_uncertain = true;
            let mut dirs = match &base {
                BaseImage::Stage(j) => st.dirs.get(*j).cloned().unwrap_or_default(),
                BaseImage::Scratch => HashSet::from(["/".to_string()]),
                BaseImage::Image { name, tag, .. } => {
                    let mut d: HashSet<String> = linux_dirs().into_iter().collect();
                    d.extend(image_dirs(name, tag.as_deref()));
                    d
                }
                BaseImage::Unknown(_) => linux_dirs().into_iter().collect(),
            };
            if let BaseImage::Image { name, tag, .. } = &base {
                if let Some(wd) = image_defaults(name, tag.as_deref()).0 {
                    add_dir(&mut dirs, &wd);
                }
            }
            st.dirs.push(dirs);
            match &base {
                BaseImage::Stage(j) => {
                    let p = &df.stages[*j];
                    stage.workdir = p.workdir.clone();
                    stage.env = p.env.clone();
                    stage.expose = p.expose.clone();
                    stage.cmd = p.cmd.clone();
                    stage.entrypoint = p.entrypoint.clone();
                    stage.user = p.user.clone();
                    st.workdir_uncertain = stage.workdir.is_none();
                }
                BaseImage::Image { name, tag, .. } => {
                    let (wd, env) = image_defaults(name, tag.as_deref());
                    st.workdir_uncertain = wd.is_none();
                    stage.workdir = wd;
                    stage.env = env;
                }
                BaseImage::Scratch => st.workdir_uncertain = false,
                BaseImage::Unknown(_) => {}
            }
            df.stages.push(stage);
        }
        "ARG" => {
            for w in shell_words(args_text, escape) {
                let (k, v) = match w.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (w.clone(), None),
                };
                if df.stages.is_empty() {
                    let global = df.global_args.clone();
                    let meta = |n: &str| {
                        global
                            .iter()
                            .rev()
                            .find(|(k, _)| k == n)
                            .and_then(|(_, v)| v.clone())
                    };
                    let value = build_args
                        .get(&k)
                        .cloned()
                        .or_else(|| v.map(|v| expand(&v, escape, &meta).text));
                    df.global_args.push((k, value));
                } else {
                    let stage = df.stages.last().expect("non-empty");
                    let value = build_args.get(&k).cloned().or_else(|| match v {
                        Some(v) => Some(expand(&v, escape, &lookup_stage(st, stage)).text),
                        None => df
                            .global_args
                            .iter()
                            .rev()
                            .find(|(g, _)| *g == k)
                            .and_then(|(_, v)| v.clone()),
                    });
                    st.args.push((k, value));
                }
            }
        }
        _ if df.stages.is_empty() => {
            problem(problems, format!("{name} before the first FROM"));
        }
        "ENV" => {
            let words = shell_words(args_text, escape);
            let stage = df.stages.last().expect("non-empty");
            let look = lookup_stage(st, stage);
            let mut new = Vec::new();
            let legacy = words.first().is_some_and(|w| !w.contains('='));
            if legacy {
                // `ENV key value…`: one variable, the value is the rest of the line.
                let key = words[0].clone();
                let value = args_text[args_text
                    .find(char::is_whitespace)
                    .unwrap_or(args_text.len())..]
                    .trim();
                new.push((key, expand(value, escape, &look).text));
            } else {
                for w in &words {
                    match w.split_once('=') {
                        Some((k, v)) if !k.is_empty() => {
                            new.push((k.to_string(), expand(v, escape, &look).text))
                        }
                        _ => problem(problems, format!("ENV {w:?} has no `=`")),
                    }
                }
            }
            drop(look);
            let stage = df.stages.last_mut().expect("non-empty");
            for (k, v) in new {
                stage.env.retain(|(e, _)| *e != k);
                stage.env.push((k, v));
            }
        }
        "WORKDIR" => {
            let stage = df.stages.last().expect("non-empty");
            let e = expand(args_text, escape, &lookup_stage(st, stage));
            let base = stage.workdir.clone();
            let stage = df.stages.last_mut().expect("non-empty");
            let wd = if e.text.starts_with('/') {
                st.workdir_uncertain = false;
                clean_abs(&e.text)
            } else {
                join(base.as_deref().unwrap_or("/"), &e.text)
            };
            if let Some(d) = st.dirs.last_mut() {
                add_dir(d, &wd);
            }
            stage.workdir = Some(wd);
        }
        "USER" => {
            let stage = df.stages.last().expect("non-empty");
            let e = expand(args_text, escape, &lookup_stage(st, stage));
            df.stages.last_mut().expect("non-empty").user = Some(e.text);
        }
        "EXPOSE" => {
            let stage = df.stages.last().expect("non-empty");
            let look = lookup_stage(st, stage);
            let ports: Vec<(String, Span)> = ws_words(&lg.text, name_end)
                .into_iter()
                .map(|(a, b)| {
                    (
                        expand(&lg.text[a..b], escape, &look).text,
                        lg.span(file, a, b),
                    )
                })
                .collect();
            drop(look);
            df.stages
                .last_mut()
                .expect("non-empty")
                .expose
                .extend(ports);
        }
        "SHELL" => match json_array(args_text) {
            Some(v) if !v.is_empty() => st.shell = v,
            _ => problem(problems, "SHELL needs a JSON array".into()),
        },
        "CMD" | "ENTRYPOINT" => {
            let cmd = match json_array(args_text) {
                Some(args) => Command {
                    span,
                    exec_form: true,
                    args,
                },
                None => {
                    let mut args = st.shell.clone();
                    args.push(args_text.to_string());
                    Command {
                        span,
                        exec_form: false,
                        args,
                    }
                }
            };
            let stage = df.stages.last_mut().expect("non-empty");
            if name == "CMD" {
                stage.cmd = Some(cmd);
            } else {
                // ENTRYPOINT resets a CMD inherited from the base (Dockerfile reference).
                stage.entrypoint = Some(cmd);
            }
        }
        "COPY" | "ADD" => copy_instruction(df, st, lg, name_end, name == "ADD", span, problems),
        "RUN" => {
            let stage = df.stages.last_mut().expect("non-empty");
            stage.runs.push(lg.text[name_end..].trim().to_string());
        }
        "LABEL" | "MAINTAINER" | "VOLUME" | "STOPSIGNAL" | "HEALTHCHECK" | "ONBUILD" => {}
        _ => problem(problems, format!("unknown instruction {name}")),
    }
}

fn copy_instruction(
    df: &mut Dockerfile,
    st: &mut StageState,
    lg: &Logical,
    name_end: usize,
    is_add: bool,
    span: Span,
    problems: &mut Vec<ParseProblem>,
) {
    let escape = df.escape;
    let stage = df.stages.last().expect("caller checked");
    let look = lookup_stage(st, stage);
    let flags = parse_flags(&lg.text, name_end);
    let flag = |k: &str| {
        flags
            .list
            .iter()
            .rev()
            .find(|f| f.0 == k)
            .map(|f| f.1.clone().map(|v| expand(&v, escape, &look).text))
    };
    let rest = &lg.text[flags.rest..];
    let words: Vec<String> = match json_array(rest) {
        Some(v) => v,
        None => rest.split_whitespace().map(str::to_string).collect(),
    };
    if words.len() < 2 {
        problems.push(ParseProblem {
            span,
            message: format!(
                "{} needs at least one source and a destination",
                if is_add { "ADD" } else { "COPY" }
            ),
        });
        return;
    }
    let mut unresolved = false;
    let mut exp = |w: &str| {
        let e = expand(w, escape, &look);
        unresolved |= e.unresolved;
        e.text
    };
    let dest_raw = exp(&words[words.len() - 1]);
    let parents_flag = matches!(flag("parents"), Some(None) | Some(Some(_)))
        && !matches!(flag("parents"), Some(Some(ref v)) if v == "false");
    let mut sources = Vec::new();
    let mut parents = Vec::new();
    let mut non_context = Vec::new();
    let mut any_glob = false;
    for w in &words[..words.len() - 1] {
        if w.starts_with("<<") {
            non_context.push(w.clone());
            continue;
        }
        let raw = exp(w);
        if is_add && is_remote(&raw) {
            non_context.push(raw);
            continue;
        }
        let cleaned = clean_rel(&raw);
        any_glob |= has_glob(&cleaned);
        // `--parents`: the part after a `/./` pivot is kept under the destination, else the whole path.
        let keep = match raw.find("/./") {
            Some(p) => clean_rel(&raw[p + 3..]),
            None => cleaned.clone(),
        };
        parents.push(keep);
        sources.push((raw, cleaned));
    }
    let from_flag = flag("from").flatten();
    let chown = flag("chown").flatten();
    let chmod = flag("chmod").flatten();
    let link = matches!(flag("link"), Some(None))
        || matches!(flag("link"), Some(Some(ref v)) if v == "true");
    drop(look);
    let stage = df.stages.last().expect("caller checked");
    let dest_is_dir = dest_raw.ends_with('/')
        || dest_raw == "."
        || dest_raw.ends_with("/.")
        || sources.len() + non_context.len() > 1
        || any_glob
        || parents_flag;
    let mut dest_uncertain = false;
    let abs = if dest_raw.starts_with('/') {
        clean_abs(&dest_raw)
    } else {
        dest_uncertain = st.workdir_uncertain;
        join(stage.workdir.as_deref().unwrap_or("/"), &dest_raw)
    };
    let is_known_dir = st.dirs.last().is_some_and(|d| d.contains(&abs));
    let dest = if (dest_is_dir || is_known_dir) && abs != "/" {
        format!("{abs}/")
    } else {
        abs.clone()
    };
    let (mut from_stage, mut from_image) = (None, None);
    if let Some(from) = from_flag {
        let l = from.to_ascii_lowercase();
        if let Some(s) = df.stages.iter().find(|s| s.name.as_deref() == Some(&l)) {
            from_stage = Some(s.index);
        } else if let Some(n) = l.parse::<usize>().ok().filter(|&n| n < stage.index) {
            from_stage = Some(n);
        } else {
            from_image = Some(from);
        }
    }
    // A single directory source copied to a path makes that path a directory (guessed from the name
    // when the text does not say).
    let single_dir_source = match sources.as_slice() {
        [(raw, cleaned)] => match shape_from_text(raw, cleaned) {
            SourceShape::Dir => true,
            SourceShape::Unknown => guess_shape(cleaned) == SourceShape::Dir,
            _ => false,
        },
        _ => false,
    };
    if let Some(d) = st.dirs.last_mut() {
        if dest.ends_with('/') || single_dir_source {
            add_dir(d, &abs);
        } else if let Some((parent, _)) = abs.rsplit_once('/') {
            add_dir(d, if parent.is_empty() { "/" } else { parent });
        }
    }
    let copy = Copy {
        span,
        source_shapes: sources.iter().map(|(r, c)| shape_from_text(r, c)).collect(),
        sources: sources.iter().map(|(_, c)| c.clone()).collect(),
        dest,
        from_stage,
        from_image,
        is_add,
        parents: parents_flag.then_some(parents),
        excludes: flags
            .list
            .iter()
            .filter(|f| f.0 == "exclude")
            .filter_map(|f| f.1.clone())
            .collect(),
        chown,
        chmod,
        link,
        non_context_sources: non_context,
        unresolved_variable: unresolved,
        dest_uncertain,
    };
    df.stages
        .last_mut()
        .expect("caller checked")
        .copies
        .push(copy);
}

// ---------------------------------------------------------------------------------------------------------
// Queries.

impl Dockerfile {
    /// The stage the build ends at: the named `target` (case-insensitive, as BuildKit lower-cases stage
    /// names), else the last stage. `None` for an unknown target or a file without FROM.
    pub fn target_stage(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(t) => {
                let t = t.to_ascii_lowercase();
                self.stages.iter().find(|s| s.name.as_deref() == Some(&t))
            }
            None => self.stages.last(),
        }
    }

    /// The command the target image runs when the container is given none: the nearest `CMD` up the
    /// target stage's `FROM` chain. `None` when no stage of the file sets one, or when a stage of the chain
    /// sets an `ENTRYPOINT` (which resets an inherited `CMD` and runs it through a program this file does
    /// not show).
    pub fn effective_cmd(&self, target: Option<&str>) -> Option<&Command> {
        let mut cmd = None;
        for stage in self.stage_chain(target) {
            if stage.entrypoint.is_some() {
                return None;
            }
            if cmd.is_none() {
                cmd = stage.cmd.as_ref();
            }
        }
        cmd
    }

    /// The `RUN` commands the target stage's image was built with: its own and those of the stages it is
    /// built `FROM`, in build order.
    pub fn chain_runs(&self, target: Option<&str>) -> Vec<&str> {
        let chain: Vec<&Stage> = self.stage_chain(target).collect();
        chain
            .iter()
            .rev()
            .flat_map(|s| s.runs.iter().map(String::as_str))
            .collect()
    }

    /// The base image the target stage's FROM chain ends in (following `FROM stage`), e.g.
    /// `("php", Some("8.2-fpm"))`. `None` for scratch, an unresolvable reference or no stage.
    pub fn final_base(&self, target: Option<&str>) -> Option<(&str, Option<&str>)> {
        match &self.final_base_stage(target)?.base {
            BaseImage::Image { name, tag, .. } => Some((name, tag.as_deref())),
            _ => None,
        }
    }

    /// The stage whose `FROM` names the image [`Dockerfile::final_base`] returns (its `from_span` is where
    /// the image is named). `None` when the chain ends in scratch, an unresolvable reference or no stage.
    pub fn final_base_stage(&self, target: Option<&str>) -> Option<&Stage> {
        self.stage_chain(target)
            .last()
            .filter(|s| matches!(s.base, BaseImage::Image { .. }))
    }

    /// The target stage, then each stage it is built `FROM`, up to the one built from an image (or
    /// scratch, or an unknown reference). A stage's `FROM` names an earlier stage only, so the chain ends.
    fn stage_chain(&self, target: Option<&str>) -> impl Iterator<Item = &Stage> {
        std::iter::successors(self.target_stage(target), |s| match s.base {
            BaseImage::Stage(j) if j < s.index => self.stages.get(j),
            _ => None,
        })
    }

    /// Indices of the stages the target stage needs (its FROM chain and `COPY --from` stages, transitively),
    /// ascending, the target included. Other stages are not built for this target.
    pub fn needed_stages(&self, target: Option<&str>) -> Vec<usize> {
        let Some(t) = self.target_stage(target) else {
            return Vec::new();
        };
        let mut needed = vec![false; self.stages.len()];
        needed[t.index] = true;
        // Dependencies always point to earlier stages: one backward sweep finds them all.
        for i in (0..=t.index).rev() {
            if !needed[i] {
                continue;
            }
            let s = &self.stages[i];
            if let BaseImage::Stage(j) = s.base {
                needed[j] = true;
            }
            for c in &s.copies {
                if let Some(j) = c.from_stage.filter(|&j| j < i) {
                    needed[j] = true;
                }
            }
        }
        (0..self.stages.len()).filter(|&i| needed[i]).collect()
    }

    /// Repository files placed into the target image, in instruction order (a later entry may overwrite
    /// an earlier one at the same path). Shapes of sources the text does not decide are guessed from
    /// their names; use [`Dockerfile::context_copies_in`] to look at the build context instead.
    pub fn context_copies(&self, target: Option<&str>) -> Vec<PlacedCopy> {
        self.placements(target, &|p: &str| (guess_shape(p), true, false))
    }

    /// Like [`Dockerfile::context_copies`], deciding file or directory by looking in `context_dir`.
    pub fn context_copies_in(&self, target: Option<&str>, context_dir: &Path) -> Vec<PlacedCopy> {
        self.placements(target, &|p: &str| {
            let path = context_dir.join(p);
            if path.is_dir() {
                (SourceShape::Dir, false, false)
            } else if path.is_file() {
                (SourceShape::File, false, false)
            } else {
                (guess_shape(p), true, true)
            }
        })
    }

    /// Container paths where the context file `context_path` lands in the target image, with the span
    /// of the COPY/ADD that puts it there; the last one wins when several write the same path.
    pub fn container_paths(placed: &[PlacedCopy], context_path: &str) -> Vec<(String, Span)> {
        placed
            .iter()
            .filter_map(|p| p.container_path(context_path).map(|c| (c, p.span)))
            .collect()
    }

    fn placements(&self, target: Option<&str>, resolve: Resolver<'_>) -> Vec<PlacedCopy> {
        let Some(target) = self.target_stage(target) else {
            return Vec::new();
        };
        // Stages only refer to earlier stages, so computing them in order needs no recursion.
        let mut done: Vec<Vec<PlacedCopy>> = Vec::with_capacity(target.index + 1);
        for stage in &self.stages[..=target.index] {
            let placed = self.stage_placements(stage, resolve, &done);
            done.push(placed);
        }
        done.pop().unwrap_or_default()
    }

    fn stage_placements(
        &self,
        stage: &Stage,
        resolve: Resolver<'_>,
        done: &[Vec<PlacedCopy>],
    ) -> Vec<PlacedCopy> {
        let index = stage.index;
        let mut out = match stage.base {
            BaseImage::Stage(j) => done.get(j).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        for copy in &stage.copies {
            if out.len() >= MAX_PLACEMENTS {
                break;
            }
            if copy.from_image.is_some() {
                continue;
            }
            if let Some(from) = copy.from_stage {
                if from >= index {
                    continue;
                }
                let Some(upstream) = done.get(from) else {
                    continue;
                };
                for (i, src) in copy.sources.iter().enumerate() {
                    let hop = Hop {
                        src: clean_abs(src),
                        dest: copy.dest.trim_end_matches('/'),
                        dest_is_dir: copy.dest.ends_with('/'),
                        keep: copy
                            .parents
                            .as_ref()
                            .and_then(|p| p.get(i))
                            .map(String::as_str),
                        span: copy.span,
                        dest_uncertain: copy.dest_uncertain,
                    };
                    for q in upstream {
                        if out.len() >= MAX_PLACEMENTS {
                            break;
                        }
                        if let Some(p) = hop.apply(q, resolve) {
                            out.push(p);
                        }
                    }
                }
                continue;
            }
            for (i, src) in copy.sources.iter().enumerate() {
                let text_shape = copy
                    .source_shapes
                    .get(i)
                    .copied()
                    .unwrap_or(SourceShape::Unknown);
                let (shape, guessed) = match text_shape {
                    SourceShape::Unknown => {
                        let (shape, guessed, _) = resolve(src);
                        (shape, guessed)
                    }
                    s => (s, false),
                };
                let keep = copy.parents.as_ref().and_then(|p| p.get(i));
                let archive = copy.is_add && shape != SourceShape::Dir && is_archive(src);
                let dest_dir = copy.dest.trim_end_matches('/');
                let dest = match (shape, keep) {
                    _ if archive => format!("{}/", dest_dir.trim_end_matches('/')),
                    (SourceShape::Glob, _) => format!("{dest_dir}/"),
                    (SourceShape::File, Some(k)) => join(dest_dir, k),
                    (SourceShape::File, None) if copy.dest.ends_with('/') => {
                        join(dest_dir, basename(src))
                    }
                    (SourceShape::File, None) => clean_abs(dest_dir),
                    (_, Some(k)) => dir_path(&join(dest_dir, k)),
                    (_, None) => dir_path(dest_dir),
                };
                out.push(PlacedCopy {
                    dest,
                    source: src.clone(),
                    span: copy.span,
                    source_is_dir_glob_or_file: shape,
                    shape_guessed: guessed,
                    archive,
                    excludes: copy.excludes.clone(),
                    glob_parents_prefix: match keep {
                        Some(k) if shape == SourceShape::Glob => Some(
                            src.strip_suffix(k.as_str())
                                .unwrap_or("")
                                .trim_end_matches('/')
                                .to_string(),
                        ),
                        _ => None,
                    },
                    via: Vec::new(),
                    dest_uncertain: copy.dest_uncertain,
                });
            }
        }
        // COPY --from fan-out can grow exponentially in a crafted file; keep the first placements.
        out.truncate(MAX_PLACEMENTS);
        out
    }
}

/// Decides a context path's shape: `(shape, guessed, known to be missing from the context)`.
type Resolver<'a> = &'a dyn Fn(&str) -> (SourceShape, bool, bool);

/// Most placements kept per stage.
const MAX_PLACEMENTS: usize = 2_000;

/// A directory path with its trailing slash (`/` stays `/`).
fn dir_path(p: &str) -> String {
    let c = clean_abs(p);
    if c == "/" {
        c
    } else {
        format!("{c}/")
    }
}

/// One `COPY --from=stage src dest` applied to what that stage holds.
struct Hop<'a> {
    src: String,
    dest: &'a str,
    dest_is_dir: bool,
    keep: Option<&'a str>,
    span: Span,
    dest_uncertain: bool,
}

impl Hop<'_> {
    /// Where the hop puts the stage path `c` (a file when `is_file`): `None` when `src` does not cover it.
    fn map(&self, c: &str, is_file: bool) -> Option<String> {
        let dest = if self.dest.is_empty() { "/" } else { self.dest };
        let base = match self.keep {
            Some(k) => join(dest, k),
            None => dest.to_string(),
        };
        if has_glob(&self.src) {
            let pat = glob::Pattern::new(&self.src).ok()?;
            // The match may be `c` itself or a directory above it.
            let mut prefix = String::new();
            for comp in c.trim_start_matches('/').split('/') {
                prefix.push('/');
                prefix.push_str(comp);
                if pat.matches_with(&prefix, glob_opts()) {
                    let rel = under(c, &prefix).unwrap_or("");
                    return Some(if rel.is_empty() && is_file {
                        join(dest, basename(c))
                    } else {
                        join(dest, rel)
                    });
                }
            }
            return None;
        }
        let rel = under(c, &self.src)?;
        Some(if rel.is_empty() {
            if is_file && self.dest_is_dir && self.keep.is_none() {
                join(dest, basename(c))
            } else {
                clean_abs(&base)
            }
        } else {
            join(&base, rel)
        })
    }

    fn apply(&self, q: &PlacedCopy, resolve: Resolver<'_>) -> Option<PlacedCopy> {
        if q.archive {
            return None;
        }
        let c = clean_abs(&q.dest);
        let is_file = q.source_is_dir_glob_or_file == SourceShape::File;
        let mut via = q.via.clone();
        via.push(q.span);
        if let Some(new) = self.map(&c, is_file) {
            return Some(PlacedCopy {
                dest: if is_file { new } else { dir_path(&new) },
                span: self.span,
                via,
                dest_uncertain: q.dest_uncertain || self.dest_uncertain,
                ..q.clone()
            });
        }
        // `src` is inside a directory that came from the context: narrow the source.
        if matches!(
            q.source_is_dir_glob_or_file,
            SourceShape::Dir | SourceShape::Unknown
        ) && !has_glob(&self.src)
        {
            let rel = under(&self.src, &c)?;
            let source = if q.source == "." {
                clean_rel(rel)
            } else {
                clean_rel(&format!("{}/{rel}", q.source))
            };
            let (shape, guessed, missing) = resolve(&source);
            if missing {
                // Not in the context: what the stage has there was made by RUN, not copied.
                return None;
            }
            let file = shape == SourceShape::File;
            let new = self.map(&self.src, file)?;
            return Some(PlacedCopy {
                dest: if file { new } else { dir_path(&new) },
                source,
                span: self.span,
                source_is_dir_glob_or_file: shape,
                shape_guessed: guessed,
                archive: false,
                excludes: Vec::new(),
                glob_parents_prefix: None,
                via,
                dest_uncertain: q.dest_uncertain || self.dest_uncertain,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |n: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn expansion_forms() {
        let vars = [("A", "x"), ("E", "")];
        let look = env(&vars);
        let e = |w: &str| expand(w, '\\', &look).text;
        assert_eq!(e("$A/${A}/${A}b"), "x/x/xb");
        assert_eq!(
            e("${E:-d}|${E-d}|${U-d}|${A:+p}|${E:+p}|${E+p}"),
            "d||d|p||p"
        );
        assert_eq!(e("${U:-${A}/n}"), "x/n");
        assert_eq!(e("'$A'\"$A\"\\$A"), "$Ax$A");
        assert_eq!(e("a$"), "a$");
        assert!(expand("$U", '\\', &look).unresolved);
        assert!(!expand("${U:-ok}", '\\', &look).unresolved);
        // With a backtick escape a backslash is an ordinary character.
        assert_eq!(expand("C:\\$A`$A", '`', &look).text, "C:\\x$A");
    }

    #[test]
    fn heredoc_delimiters() {
        assert_eq!(
            heredoc_names(" <<EOF cat && python3 <<-'PY' | x"),
            [("EOF".to_string(), false), ("PY".to_string(), true)]
        );
        assert!(heredoc_names(" echo \"<<NO\" <<<here $((1<<2))").is_empty());
        assert_eq!(heredoc_names(" 3<<\"A B\"")[0].0, "A B");
    }

    #[test]
    fn paths_and_directives() {
        assert_eq!(clean_abs("a/./b/../c/"), "/a/c");
        assert_eq!(clean_rel("./"), ".");
        assert_eq!(clean_rel("/x/../../y"), "y");
        assert_eq!(join("/a", "../../b"), "/b");
        assert_eq!(
            parse_directive("#  Escape = `"),
            Some(("escape".into(), "`".into()))
        );
        assert_eq!(parse_directive("# not a directive"), None);
        assert_eq!(strip_continuation("RUN a \\  ", '\\'), ("RUN a ", true));
        assert_eq!(strip_continuation("RUN a \\", '`'), ("RUN a \\", false));
        assert_eq!(
            parse_image_ref("localhost:5000/php"),
            BaseImage::Image {
                name: "localhost:5000/php".into(),
                tag: None,
                digest: None
            }
        );
    }

    #[test]
    fn directives_only_at_the_top() {
        let (d, _) = parse(FileId(0), "# hello\n# escape=`\nFROM a\n", &HashMap::new());
        assert_eq!(d.escape, '\\');
        let (d, _) = parse(FileId(0), "\u{feff}# escape=`\nFROM a\n", &HashMap::new());
        assert_eq!(d.escape, '`');
    }
}

// ---------------------------------------------------------------------------------------------------------
// .dockerignore

/// The `.dockerignore` of a build context: paths it keeps out of the context never reach the image, whatever
/// the COPY says.
#[derive(Clone, Debug, Default)]
pub struct DockerIgnore {
    /// `(pattern, is_exception)` in file order; the last matching pattern decides.
    rules: Vec<(globset::GlobMatcher, bool)>,
}

impl DockerIgnore {
    /// Parses `.dockerignore` text (moby `dockerignore.ReadAll`): one pattern per line, `#` lines are
    /// comments, `!` makes an exception, patterns are cleaned and a leading `/` is dropped; `*` and `?`
    /// stay within one path segment, `**` spans any number of them.
    pub fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut pat = line.trim();
            let exception = pat.starts_with('!');
            if exception {
                pat = pat[1..].trim();
            }
            if pat.is_empty() {
                continue;
            }
            let pat = clean_rel(pat);
            if let Ok(g) = globset::GlobBuilder::new(&pat)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            {
                rules.push((g.compile_matcher(), exception));
            }
        }
        DockerIgnore { rules }
    }

    /// Whether the context-relative `path` is left out of the build context. A pattern that matches a
    /// directory matches everything below it.
    pub fn is_excluded(&self, path: &str) -> bool {
        let path = clean_rel(path);
        if path == "." {
            return false;
        }
        let mut excluded = false;
        for (glob, exception) in &self.rules {
            let mut prefix = String::new();
            let hit = path.split('/').any(|c| {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(c);
                glob.is_match(&prefix)
            });
            if hit {
                excluded = !exception;
            }
        }
        excluded
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Reads `context_dir/.dockerignore` (no file: nothing is excluded).
pub fn dockerignore_excludes(context_dir: &Path) -> DockerIgnore {
    read_dockerignore(&context_dir.join(".dockerignore")).unwrap_or_default()
}

/// The ignore file BuildKit uses for `dockerfile`: `<Dockerfile>.dockerignore` next to it when that
/// exists (it takes precedence), else the context's `.dockerignore`.
pub fn dockerignore_for(context_dir: &Path, dockerfile: &Path) -> DockerIgnore {
    let mut own = dockerfile.as_os_str().to_owned();
    own.push(".dockerignore");
    read_dockerignore(Path::new(&own)).unwrap_or_else(|| dockerignore_excludes(context_dir))
}

fn read_dockerignore(path: &Path) -> Option<DockerIgnore> {
    let bytes = crate::source::read(path).ok()?;
    Some(DockerIgnore::parse(&String::from_utf8_lossy(&bytes)))
}
