//! Loading compose projects the way `docker compose config` does: which files form a project, `.env` and
//! `--env-file`, interpolation, `include`, `extends`, merging, profiles, project name, and the checks compose
//! itself makes before it accepts a project (reported as C000).

use crate::compose::interp::{self, InterpError};
use crate::compose::merge;
use crate::compose::model::{self, Project, Spanned};
use crate::compose::schema;
use crate::compose::yaml::{self, Node, Value};
use crate::diagnostic::{Diagnostic, Severity};
use crate::settings::Settings;
use crate::source::{display_name, normalize, FileId, SourceMap, Span};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The file names compose looks for in a directory, in its order of preference.
pub const CANONICAL: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];
/// Override files compose merges onto the canonical file, in its order of preference.
pub const OVERRIDES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// A variable used without a default and without value; compose substitutes "" (or, for
/// `${VAR:?message}`, refuses to run).
#[derive(Clone, Debug)]
pub struct UndefinedVar {
    pub name: String,
    pub span: Span,
    /// `Some(message)` for `${VAR:?message}`/`${VAR?message}`: compose stops with this message.
    pub required: Option<String>,
    /// The variable is set, to the empty string, which `${VAR:?message}` refuses too.
    pub empty: bool,
}

/// Everything loaded from the compose inputs of a run.
#[derive(Debug, Default)]
pub struct Loaded {
    pub projects: Vec<LoadedProject>,
    /// C000 findings (YAML syntax, schema, interpolation and model errors).
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug)]
pub struct LoadedProject {
    pub project: Project,
    /// Variables used without a default that have no value (C005).
    pub undefined: Vec<UndefinedVar>,
    /// Whether compose would reject the project (a C000 was reported for it).
    pub rejected: bool,
    /// Whether compose would reject it in the environment at hand only because variables are not set
    /// (`${VAR:?}`, or an empty value where one is needed). Reported as C005 on the variables, not as C000:
    /// the deploy environment usually sets them.
    pub rejected_by_environment: bool,
    /// A single non-canonical file that only makes sense merged onto another (`-f base -f this`): named like
    /// an override, or with services that have neither `image`, `build` nor `extends`. The checks that need
    /// the whole project (undefined services, networks, volumes; image or build) are skipped for it.
    pub fragment: bool,
    /// The comments of the project's files (for suppression comments).
    pub comments: Vec<yaml::Comment>,
    /// A file compose rejects alone, checked merged onto its base (`-f base -f overlay`, see
    /// [`load_group`]). The findings it shares with the base project are the base's own.
    pub overlay: bool,
}

/// See [`LoadedProject::fragment`].
/// A group of non-canonical files is one too when its first file is (`compose.multi-bench.yaml` with its
/// own overlay `compose.multi-bench-ssl.yaml`, both merged onto a base found elsewhere).
fn is_fragment(files: &[PathBuf], project: &Project) -> bool {
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default()
        })
        .collect();
    let Some(first) = names.first() else {
        return false;
    };
    if names.iter().any(|n| CANONICAL.contains(&n.as_str())) {
        return false;
    }
    first.contains("override")
        || project
            .root
            .get("services")
            .and_then(Node::as_map)
            .is_some_and(|m| {
                m.iter().any(|e| {
                    e.value.as_map().is_some()
                        && ["image", "build", "extends"]
                            .iter()
                            .all(|k| e.value.get(k).is_none())
                })
            })
}

fn c000(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new("C000", Severity::Error, span, message)
}

/// Splits the compose files of a run into projects. In each directory the canonical file (and its override)
/// is one project; every other compose file is its own project, unless it only adds to services of the
/// canonical file (an overlay such as `docker-compose.prod.yml`, used as `-f base -f overlay`).
pub fn group(paths: &[PathBuf], service_names: &dyn Fn(&Path) -> Vec<String>) -> Vec<Vec<PathBuf>> {
    let mut by_dir: std::collections::BTreeMap<PathBuf, Vec<PathBuf>> = Default::default();
    for p in paths {
        by_dir
            .entry(p.parent().map(Path::to_path_buf).unwrap_or_default())
            .or_default()
            .push(p.clone());
    }
    let mut projects = Vec::new();
    for (_, mut files) in by_dir {
        files.sort();
        let name_of = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        };
        let base = CANONICAL
            .iter()
            .find_map(|c| files.iter().find(|f| name_of(f) == *c).cloned());
        let over = base.as_ref().and_then(|_| {
            OVERRIDES
                .iter()
                .find_map(|c| files.iter().find(|f| name_of(f) == *c).cloned())
        });
        // Parsed only when some other file might be an overlay of it.
        let others = files
            .iter()
            .any(|f| Some(f) != base.as_ref() && Some(f) != over.as_ref());
        let base_services: HashSet<String> = base
            .as_ref()
            .filter(|_| others)
            .map(|b| service_names(b).into_iter().collect())
            .unwrap_or_default();
        if let Some(b) = &base {
            let mut p = vec![b.clone()];
            p.extend(over.clone());
            projects.push(p);
        }
        for f in &files {
            if Some(f) == base.as_ref() || Some(f) == over.as_ref() {
                continue;
            }
            let names = service_names(f);
            let adds_to = |services: &HashSet<String>| {
                !names.is_empty() && names.iter().all(|n| services.contains(n))
            };
            // The file it overlays: the canonical file, else the file whose name it extends
            // (`docker-compose.ci.yml` for `docker-compose.ci.postgres.yml`).
            let stem = |p: &PathBuf| {
                let n = name_of(p);
                n.rsplit_once('.').map_or(n.clone(), |(s, _)| s.to_string())
            };
            let overlaid = if base.is_some() && adds_to(&base_services) {
                base.clone()
            } else {
                let fs = stem(f);
                files
                    .iter()
                    .filter(|b| *b != f)
                    .filter(|b| {
                        let bs = stem(b);
                        fs.len() > bs.len()
                            && fs.starts_with(&bs)
                            && matches!(fs.as_bytes()[bs.len()], b'.' | b'-' | b'_')
                    })
                    .max_by_key(|b| stem(b).len())
                    .filter(|b| adds_to(&service_names(b).into_iter().collect()))
                    .cloned()
            };
            match overlaid {
                Some(b) => projects.push(vec![b, f.clone()]),
                None => projects.push(vec![f.clone()]),
            }
        }
    }
    projects
}

/// Parses a `.env` file as compose does: `KEY=VALUE` (or `KEY: VALUE`), `export KEY=VALUE`, quotes, comments;
/// unquoted and double-quoted values may use earlier variables and the environment. A key with a character
/// compose rejects is an error: its byte offset in `text` and the message.
pub fn parse_env_file(
    text: &str,
    env: &HashMap<String, String>,
) -> Result<Vec<(String, String)>, (usize, String)> {
    Ok(parse_env_file_spanned(text, env)?
        .into_iter()
        .map(|(k, v, _)| (k, v))
        .collect())
}

/// A quoted value starting right after its opening quote `q`, as compose-go's `dotenv/parser.go` reads
/// it: up to the first `q` not escaped by a backslash, which may be lines further. `\q` is `q`; other
/// backslashes stay. Returns the value and the byte index of the closing quote in `s`.
fn quoted_value(s: &str, q: char) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if c == q {
            if !escaped {
                return Some((value, i));
            }
            escaped = false;
            value.push(c);
        } else if c == '\\' && !escaped {
            escaped = true;
        } else {
            if escaped {
                escaped = false;
                value.push('\\');
            }
            value.push(c);
        }
    }
    None
}

/// The escapes of a double-quoted env file value (compose-go `expandEscapes`): `\a \b \f \n \r \t \v \" \\`
/// as in Go, `\0ddd` octal, `\$` a literal `$` (written `$$` for the interpolation that follows); other
/// backslashes stay (`\'`, `\x41`, `\u00e9`, `\c` …).
fn expand_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.peek() {
            Some('a') => "\u{7}",
            Some('b') => "\u{8}",
            Some('f') => "\u{c}",
            Some('n') => "\n",
            Some('r') => "\r",
            Some('t') => "\t",
            Some('v') => "\u{b}",
            Some('"') => "\"",
            Some('\\') => "\\",
            Some('$') => "$$",
            Some('0') => {
                // `\0` and up to three digits: compose-go rewrites it to Go's octal `\ddd`, which is
                // that character when the digits are three octal ones up to 0377; otherwise the text
                // stays, without its `0`.
                chars.next();
                let mut digits = String::new();
                while digits.len() < 3 {
                    match chars.peek() {
                        Some(d) if d.is_ascii_digit() => {
                            digits.push(*d);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                match u32::from_str_radix(&digits, 8).ok().filter(|v| *v <= 0o377) {
                    Some(v) if digits.len() == 3 => out.extend(char::from_u32(v)),
                    _ => {
                        out.push('\\');
                        out.push_str(&digits);
                    }
                }
                continue;
            }
            _ => {
                out.push(c);
                continue;
            }
        };
        chars.next();
        out.push_str(escaped);
    }
    out
}

/// A variable of an env file: name, value, and the byte range of its line (its lines, for a quoted
/// value that spans several).
pub type EnvFileVar = (String, String, std::ops::Range<usize>);

/// [`parse_env_file`] with the byte range of each variable's line.
pub fn parse_env_file_spanned(
    text: &str,
    env: &HashMap<String, String>,
) -> Result<Vec<EnvFileVar>, (usize, String)> {
    let mut out: Vec<EnvFileVar> = Vec::new();
    let mut offset = 0;
    // A quoted value that goes on past its line ends here: the lines before are skipped.
    let mut skip_to = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        if line_start < skip_to {
            continue;
        }
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let at = line_start + raw_line.find(line).unwrap_or(0);
        let sep = line.find(['=', ':']);
        let key = sep.map_or(line, |i| &line[..i]).trim_end();
        if key.contains(' ') || key.contains('\t') {
            return Err((at, "key cannot contain a space".into()));
        }
        if let Some(bad) = key
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')))
        {
            return Err((
                at,
                format!("unexpected character \"{bad}\" in variable name \"{line}\""),
            ));
        }
        let Some(sep) = sep else {
            continue;
        };
        let k = key.to_string();
        let v = line[sep + 1..].trim();
        let mut end = line_start + raw_line.trim_end().len();
        let quoted = match v.chars().next() {
            Some(q @ ('"' | '\'')) => {
                // From the opening quote on: a quoted value may span lines.
                let from = at + sep + 1 + line[sep + 1..].find(q).unwrap_or(0) + 1;
                let Some((inner, close)) = quoted_value(&text[from..], q) else {
                    return Err((at, format!("unterminated quoted value {v}")));
                };
                let close = from + close;
                if close >= offset {
                    skip_to = text[close..]
                        .find('\n')
                        .map_or(text.len(), |e| close + e + 1);
                    end = close + 1;
                }
                Some((q, inner))
            }
            _ => None,
        };
        let value = if let Some(('\'', inner)) = quoted {
            inner
        } else {
            let raw = match quoted {
                Some((_, inner)) => expand_escapes(&inner),
                // An unquoted value ends at ` #`.
                None => v.split(" #").next().unwrap_or("").trim_end().to_string(),
            };
            let mut scope: HashMap<String, String> =
                out.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
            for (ek, ev) in env {
                scope.insert(ek.clone(), ev.clone());
            }
            interp::interpolate(&raw, &scope)
                .map(|r| r.text)
                .unwrap_or(raw)
        };
        out.retain(|(ok, _, _)| ok != &k);
        out.push((k, value, at..end));
    }
    Ok(out)
}

struct Ctx<'a> {
    sources: &'a mut SourceMap,
    diagnostics: Vec<Diagnostic>,
    undefined: Vec<UndefinedVar>,
    rejected: bool,
    env_rejected: bool,
    /// Scalars in which a variable without value was substituted.
    unset_nodes: HashSet<Span>,
    files: Vec<FileId>,
    comments: Vec<yaml::Comment>,
    /// Per loaded file, the directory its relative paths resolve against (see [`Project::dirs`]).
    dirs: HashMap<FileId, PathBuf>,
}

/// Span of `range` (byte offsets into the scalar's value) in the source, when the value is written
/// verbatim; otherwise the whole scalar.
fn inner_span(src: &str, n: &Node, original: &str, range: &std::ops::Range<usize>) -> Span {
    let raw = src.get(n.span.range()).unwrap_or("");
    let (content, off) = match n.as_scalar().map(|s| s.style) {
        Some(yaml::Style::SingleQuoted | yaml::Style::DoubleQuoted) if raw.len() >= 2 => {
            (&raw[1..raw.len() - 1], 1)
        }
        _ => (raw, 0),
    };
    if content == original && range.end <= original.len() {
        let start = n.span.start as usize + off;
        Span::new(n.span.file, start + range.start, start + range.end)
    } else {
        n.span
    }
}

impl Ctx<'_> {
    fn reject(&mut self, d: Diagnostic) {
        self.rejected = true;
        self.diagnostics.push(d);
    }

    fn interpolate(&mut self, n: &mut Node, src: &str, env: &HashMap<String, String>) {
        match &mut n.value {
            Value::Map(entries) => {
                for e in entries {
                    self.interpolate(&mut e.value, src, env);
                }
            }
            Value::Seq(items) => {
                for i in items {
                    self.interpolate(i, src, env);
                }
            }
            Value::Scalar(s) => {
                if !interp::needs_interpolation(&s.text) {
                    return;
                }
                let original = s.text.clone();
                let result = interp::interpolate(&original, env);
                self.substitute(n, original, result, src);
            }
        }
    }

    /// Records the outcome of interpolating scalar `n` (written as `original`) and sets its new text.
    fn substitute(
        &mut self,
        n: &mut Node,
        original: String,
        result: Result<interp::Interpolated, InterpError>,
        src: &str,
    ) {
        let text = match result {
            Ok(r) => {
                if !r.undefined.is_empty() {
                    self.unset_nodes.insert(n.span);
                }
                for u in r.undefined {
                    let span = inner_span(src, n, &original, &u.range);
                    self.undefined.push(UndefinedVar {
                        name: u.name,
                        span,
                        required: None,
                        empty: false,
                    });
                }
                r.text
            }
            Err(InterpError::Required {
                name,
                message,
                range,
                empty,
            }) => {
                let span = inner_span(src, n, &original, &range);
                self.env_rejected = true;
                self.unset_nodes.insert(n.span);
                self.undefined.push(UndefinedVar {
                    name,
                    span,
                    required: Some(message),
                    empty,
                });
                String::new()
            }
            Err(InterpError::Invalid { range }) => {
                let span = inner_span(src, n, &original, &range);
                self.reject(
                    c000(span, "invalid interpolation format")
                        .with_help("use `${NAME}`, `${NAME:-default}` or `$$` for a literal `$`"),
                );
                return;
            }
        };
        if let Value::Scalar(s) = &mut n.value {
            s.text = text;
            s.interpolated = true;
            s.original = Some(original.into_boxed_str());
        }
    }

    /// Loads, validates and interpolates one file; resolves its `include` and `extends`. `dir` is the
    /// working directory its relative paths resolve against: the project directory for the `-f` files,
    /// the include's project directory for included files, its own directory for an extended file.
    fn load_file(
        &mut self,
        path: &Path,
        dir: &Path,
        env: &HashMap<String, String>,
        depth: usize,
    ) -> Option<Node> {
        let id = match self.sources.load(path, display_name(path)) {
            Ok(id) => id,
            Err(e) => {
                self.rejected = true;
                self.diagnostics.push(c000(
                    self.files
                        .last()
                        .map(|f| Span::point(*f, 0))
                        .unwrap_or(Span::point(FileId(0), 0)),
                    format!("cannot read compose file: {e}"),
                ));
                return None;
            }
        };
        if !self.files.contains(&id) {
            self.files.push(id);
        }
        self.dirs.entry(id).or_insert_with(|| dir.to_path_buf());
        let text = self.sources.get(id).text.clone();
        let doc = match yaml::parse(id, &text) {
            Ok(d) => d,
            Err(e) => {
                let mut d = c000(e.span, format!("YAML syntax error: {}", e.message));
                if let Some(r) = e.related {
                    d = d.with_related(r, "first defined here");
                }
                self.reject(d);
                return None;
            }
        };
        if !self.comments.iter().any(|c| c.span.file == id) {
            self.comments.extend(doc.comments);
        }
        let mut root: Option<Node> = None;
        for mut r in doc.roots {
            if r.as_map().is_none() {
                self.reject(c000(
                    r.head_span(),
                    "a compose file must be a mapping (services:, networks:, …)",
                ));
                return None;
            }
            self.interpolate(&mut r, &text, env);
            for e in schema::validate(&r) {
                if self.unset_nodes.contains(&e.span) {
                    // The value is wrong only because a variable is not set here (`${PORT}:${PORT}`
                    // twice becomes ":" twice): C005 on the variable explains it.
                    self.env_rejected = true;
                } else {
                    self.reject(c000(e.span, e.message));
                }
            }
            root = Some(match root {
                None => r,
                Some(b) => merge::merge(b, r, &mut Vec::new()),
            });
        }
        let Some(mut root) = root else {
            self.reject(c000(Span::point(id, 0), "empty compose file"));
            return None;
        };
        self.apply_include(&mut root, dir, env, depth);
        self.apply_extends(&mut root, path, dir, env, depth);
        Some(root)
    }

    /// Imports the files of `include`, each entry loaded as its own project: paths, `project_directory`
    /// and `env_file` of the entry resolve against `dir` (the including file's working directory), the
    /// relative paths in the included files against the entry's project directory (compose-go
    /// `loader/include.go`).
    fn apply_include(
        &mut self,
        root: &mut Node,
        dir: &Path,
        env: &HashMap<String, String>,
        depth: usize,
    ) {
        let Value::Map(entries) = &mut root.value else {
            return;
        };
        let Some(pos) = entries.iter().position(|e| e.key.text == "include") else {
            return;
        };
        let inc = entries.remove(pos);
        let Some(items) = inc.value.as_seq() else {
            return;
        };
        if depth > 16 {
            self.reject(c000(inc.key.span, "include nesting is too deep (a cycle?)"));
            return;
        }
        for item in items {
            let mut paths = Vec::new();
            let mut project_dir = None;
            // `env_file` of the include: the variables for the included files' interpolation, in place of
            // the `.env` of their project directory; paths relative to the including file (compose-go
            // `loader/include.go`). The including project's variables still win.
            let mut env_files: Vec<String> = Vec::new();
            match &item.value {
                Value::Scalar(s) => paths.push(IncludePath(s.text.clone(), item.span)),
                Value::Map(_) => {
                    match item.get("path").map(|p| &p.value) {
                        Some(Value::Scalar(s)) => {
                            paths.push(IncludePath(s.text.clone(), item.get("path").unwrap().span))
                        }
                        Some(Value::Seq(ps)) => {
                            for p in ps {
                                if let Some(s) = p.as_str() {
                                    paths.push(IncludePath(s.to_string(), p.span));
                                }
                            }
                        }
                        _ => {}
                    }
                    project_dir = item.get("project_directory").and_then(Node::as_str);
                    match item.get("env_file").map(|p| &p.value) {
                        Some(Value::Scalar(s)) => env_files.push(s.text.clone()),
                        Some(Value::Seq(fs)) => {
                            env_files.extend(fs.iter().filter_map(Node::as_str).map(str::to_string))
                        }
                        _ => {}
                    }
                }
                Value::Seq(_) => {}
            }
            let files: Vec<PathBuf> = paths.iter().map(|p| dir.join(&p.0)).collect();
            if let Some(missing) = paths
                .iter()
                .zip(&files)
                .find(|(_, f)| !self.sources.exists(f))
            {
                self.reject(c000(
                    missing.0 .1,
                    format!("included file \"{}\" does not exist", missing.0 .0),
                ));
                continue;
            }
            let inc_dir = project_dir
                .map(|d| dir.join(d))
                .or_else(|| {
                    files
                        .first()
                        .and_then(|f| f.parent().map(Path::to_path_buf))
                })
                .unwrap_or_else(|| dir.to_path_buf());
            let mut inc_env = env.clone();
            let env_paths: Vec<PathBuf> = if env_files.is_empty() {
                vec![inc_dir.join(".env")]
            } else {
                env_files
                    .iter()
                    .filter(|f| *f != "/dev/null")
                    .map(|f| dir.join(f))
                    .collect()
            };
            for f in env_paths {
                if let Ok(t) = crate::source::read_to_string(&f) {
                    for (k, v) in parse_env_file(&t, env).unwrap_or_default() {
                        inc_env.entry(k).or_insert(v);
                    }
                }
            }
            let mut merged: Option<Node> = None;
            for f in &files {
                if let Some(n) = self.load_file(f, &inc_dir, &inc_env, depth + 1) {
                    merged = Some(match merged {
                        None => n,
                        Some(b) => merge::merge(b, n, &mut Vec::new()),
                    });
                }
            }
            let Some(included) = merged else { continue };
            let Value::Map(inc_entries) = included.value else {
                continue;
            };
            let Value::Map(entries) = &mut root.value else {
                return;
            };
            for top in inc_entries {
                if !matches!(
                    top.key.text.as_str(),
                    "services" | "networks" | "volumes" | "configs" | "secrets" | "models"
                ) {
                    continue;
                }
                let Value::Map(resources) = top.value.value else {
                    continue;
                };
                let target = match entries.iter_mut().position(|e| e.key.text == top.key.text) {
                    Some(i) => i,
                    None => {
                        entries.push(yaml::Entry {
                            key: top.key.clone(),
                            value: Node {
                                value: Value::Map(Vec::new()),
                                span: top.value.span,
                                tag: None,
                            },
                        });
                        entries.len() - 1
                    }
                };
                let Value::Map(existing) = &mut entries[target].value.value else {
                    continue;
                };
                for r in resources {
                    if let Some(e) = existing.iter().find(|e| e.key.text == r.key.text) {
                        // compose-go accepts a resource defined the same way on both sides.
                        if same_value(&e.value, &r.value) {
                            continue;
                        }
                        let span = e.key.span;
                        self.reject(
                            c000(
                                span,
                                format!(
                                    "{} \"{}\" conflicts with the one imported by `include`",
                                    top.key.text.trim_end_matches('s'),
                                    r.key.text
                                ),
                            )
                            .with_related(r.key.span, "imported from here"),
                        );
                    } else {
                        existing.push(r);
                    }
                }
            }
        }
    }

    fn apply_extends(
        &mut self,
        root: &mut Node,
        path: &Path,
        dir: &Path,
        env: &HashMap<String, String>,
        depth: usize,
    ) {
        let Some(services) = root.get("services").and_then(Node::as_map) else {
            return;
        };
        if !services.iter().any(|e| e.value.get("extends").is_some()) {
            return;
        }
        let snapshot: Vec<yaml::Entry> = services.to_vec();
        let mut resolved = Vec::with_capacity(snapshot.len());
        for e in &snapshot {
            let mut visiting = Vec::new();
            match self.resolve_service(
                &snapshot,
                &e.key.text,
                (path, dir),
                env,
                depth,
                &mut visiting,
            ) {
                Ok(n) => resolved.push(n),
                Err((span, msg)) => {
                    self.reject(c000(span, msg));
                    resolved.push(e.value.clone());
                }
            }
        }
        if let Some(Value::Map(entries)) =
            root.as_map()
                .is_some()
                .then_some(())
                .and_then(|_| match &mut root.value {
                    Value::Map(top) => top
                        .iter_mut()
                        .find(|e| e.key.text == "services")
                        .map(|e| &mut e.value.value),
                    _ => None,
                })
        {
            for (e, n) in entries.iter_mut().zip(resolved) {
                e.value = n;
            }
        }
    }

    /// Service `name` of `services` (written in file `at.0`, whose working directory is `at.1`) with
    /// its `extends` applied. `extends: {file: …}` is resolved against the working directory, and the
    /// extended file's relative paths against its own directory (compose-go `loader/extends.go`).
    fn resolve_service(
        &mut self,
        services: &[yaml::Entry],
        name: &str,
        at: (&Path, &Path),
        env: &HashMap<String, String>,
        depth: usize,
        visiting: &mut Vec<(PathBuf, String)>,
    ) -> Result<Node, (Span, String)> {
        let entry = services
            .iter()
            .find(|e| e.key.text == name)
            .ok_or_else(|| {
                (
                    services
                        .first()
                        .map(|e| e.key.span)
                        .unwrap_or(Span::point(FileId(0), 0)),
                    format!("cannot extend service \"{name}\": no such service"),
                )
            })?;
        let node = &entry.value;
        let Some(ext) = node.get("extends") else {
            return Ok(node.clone());
        };
        let (path, dir) = at;
        let key = (normalize(path), name.to_string());
        if visiting.contains(&key) || visiting.len() > 32 {
            return Err((
                ext.head_span(),
                format!("service \"{name}\" extends itself (a cycle)"),
            ));
        }
        visiting.push(key);
        let (base_name, file) = match &ext.value {
            Value::Scalar(s) => (s.text.clone(), None),
            Value::Map(_) => (
                ext.get("service")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                ext.get("file")
                    .and_then(|f| f.as_str().map(|s| (s.to_string(), f.span))),
            ),
            Value::Seq(_) => {
                return Err((
                    ext.head_span(),
                    "`extends` must be a name or a mapping".into(),
                ))
            }
        };
        let base = match file {
            None => {
                if !services.iter().any(|e| e.key.text == base_name) {
                    return Err((
                        ext.head_span(),
                        format!("service \"{name}\" extends \"{base_name}\", which is not defined"),
                    ));
                }
                self.resolve_service(services, &base_name, at, env, depth, visiting)?
            }
            Some((f, fspan)) => {
                let other = dir.join(&f);
                let other_dir = other.parent().unwrap_or(Path::new(".")).to_path_buf();
                if !self.sources.exists(&other) {
                    return Err((fspan, format!("extended file \"{f}\" does not exist")));
                }
                if depth > 16 {
                    return Err((fspan, "extends nesting is too deep".into()));
                }
                let Some(other_root) = self.load_file(&other, &other_dir, env, depth + 1) else {
                    return Err((fspan, format!("extended file \"{f}\" could not be loaded")));
                };
                let other_services = other_root
                    .get("services")
                    .and_then(Node::as_map)
                    .map(<[yaml::Entry]>::to_vec)
                    .unwrap_or_default();
                if !other_services.iter().any(|e| e.key.text == base_name) {
                    return Err((
                        ext.head_span(),
                        format!("service \"{base_name}\" is not defined in \"{f}\""),
                    ));
                }
                self.resolve_service(
                    &other_services,
                    &base_name,
                    (&other, &other_dir),
                    env,
                    depth + 1,
                    visiting,
                )?
            }
        };
        let mut me = node.clone();
        if let Value::Map(entries) = &mut me.value {
            entries.retain(|e| e.key.text != "extends");
        }
        let mut p = vec!["services".to_string(), name.to_string()];
        Ok(merge::merge(base, me, &mut p))
    }
}

/// Whether two values are the same definition, as compose compares an imported resource with the
/// importer's (after interpolation; mapping order does not matter, scalars compare by text). Relative
/// paths compare as written; compose compares the included file's resolved path with the importer's
/// written one, so it rejects some of those that pass here.
fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => {
            a.is_null() == b.is_null() && (a.is_null() || x.text == y.text)
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .find(|f| f.key.text == e.key.text)
                        .is_some_and(|f| same_value(&e.value, &f.value))
                })
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        _ => false,
    }
}

/// A path written in an `include` entry, and where.
struct IncludePath(String, Span);

/// Normalizes a project name as compose does: lower case, only `a-z0-9_-`, no leading `_`/`-`.
pub fn normalize_project_name(s: &str) -> String {
    let n: String = s
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    n.trim_start_matches(['_', '-']).to_string()
}

/// The variables a project interpolates with: `.env` in the project directory (or the `--env-file`s), with
/// the environment taking precedence. A `.env` compose cannot read is a C000.
pub fn project_env(
    sources: &mut SourceMap,
    dir: &Path,
    settings: &Settings,
) -> (HashMap<String, String>, Vec<Diagnostic>) {
    let process = &settings.compose.environment;
    let mut env: HashMap<String, String> = HashMap::new();
    let mut diags = Vec::new();
    let files: Vec<PathBuf> = if settings.compose.env_files.is_empty() {
        vec![dir.join(".env")]
    } else {
        settings.compose.env_files.clone()
    };
    for f in files {
        if !sources.exists(&f) || f.is_dir() {
            continue;
        }
        let Ok(id) = sources.load(&f, display_name(&f)) else {
            continue;
        };
        let text = sources.get(id).text.clone();
        match parse_env_file(&text, process) {
            Ok(vars) => env.extend(vars),
            Err((at, msg)) => {
                let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
                diags.push(
                    c000(Span::new(id, at, end), format!("compose cannot read this env file: {msg}"))
                        .with_help("write one `NAME=value` per line; names use letters, digits, `_`, `.` and `-`"),
                );
            }
        }
    }
    for (k, v) in process {
        env.insert(k.clone(), v.clone());
    }
    (env, diags)
}

/// Loads one project from its files (in `-f` order).
pub fn load_project(
    sources: &mut SourceMap,
    files: &[PathBuf],
    settings: &Settings,
) -> (Option<LoadedProject>, Vec<Diagnostic>) {
    let dir = files
        .first()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (env, env_diags) = project_env(sources, &dir, settings);
    // Compose stops at an env file it cannot read (C000): which variables it would have set is unknown,
    // so none is reported as unset.
    let env_unreadable = !env_diags.is_empty();
    let mut cx = Ctx {
        sources,
        rejected: !env_diags.is_empty(),
        env_rejected: false,
        unset_nodes: HashSet::new(),
        comments: Vec::new(),
        diagnostics: env_diags,
        undefined: Vec::new(),
        files: Vec::new(),
        dirs: HashMap::new(),
    };
    let mut merged: Option<Node> = None;
    let mut syntax_failed = false;
    for f in files {
        match cx.load_file(f, &dir, &env, 0) {
            Some(n) => {
                merged = Some(match merged {
                    None => n,
                    Some(b) => merge::merge(b, n, &mut Vec::new()),
                })
            }
            None => syntax_failed = true,
        }
    }
    let Some(mut root) = merged.filter(|_| !syntax_failed) else {
        return (None, cx.diagnostics);
    };
    merge::strip_resets(&mut root);
    let name = settings
        .compose
        .project_name
        .clone()
        .or_else(|| {
            env.get("COMPOSE_PROJECT_NAME")
                .cloned()
                .filter(|s| !s.is_empty())
        })
        .or_else(|| root.get("name").and_then(Node::as_str).map(str::to_string))
        .unwrap_or_else(|| {
            normalize(&dir)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        });
    let profiles: Vec<String> = env
        .get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let files_ids = cx.files.clone();
    let mut project = model::build(
        root,
        normalize_project_name(&name),
        dir,
        files_ids,
        env,
        &profiles,
    );
    // Relative paths in the `-f` files resolve against the project directory (the first file's), as
    // compose does; those in included or extended files against their own working directory.
    project.dirs = std::mem::take(&mut cx.dirs);
    add_env_files(&mut project, cx.sources);
    let fragment = is_fragment(files, &project);
    check_model(&project, &mut cx, fragment);
    let loaded = LoadedProject {
        overlay: false,
        fragment,
        comments: std::mem::take(&mut cx.comments),
        project,
        undefined: if env_unreadable {
            Vec::new()
        } else {
            std::mem::take(&mut cx.undefined)
        },
        rejected: cx.rejected,
        rejected_by_environment: cx.env_rejected,
    };
    (Some(loaded), cx.diagnostics)
}

/// Resolves each service's `env_file`s into its environment, as compose does: the files in order, then
/// `environment:` on top. Variables from a file point at their line in it.
fn add_env_files(project: &mut Project, sources: &mut SourceMap) {
    for s in &mut project.services {
        if s.env_file.is_empty() {
            continue;
        }
        let mut from_files: Vec<model::EnvVar> = Vec::new();
        for f in &s.env_file {
            let path = project
                .dirs
                .get(&f.span.file)
                .unwrap_or(&project.dir)
                .join(&f.value);
            if !sources.exists(&path) || path.is_dir() {
                continue;
            }
            let Ok(id) = sources.load(&path, display_name(&path)) else {
                continue;
            };
            let text = sources.get(id).text.clone();
            let Ok(vars) = parse_env_file_spanned(&text, &project.environment) else {
                continue;
            };
            for (k, v, range) in vars {
                let span = Span::new(id, range.start, range.end.max(range.start));
                from_files.retain(|e| e.name.value != k);
                from_files.push(model::EnvVar {
                    name: Spanned::new(k, span),
                    value: Some(Spanned::new(v, span)),
                });
            }
        }
        from_files.retain(|e| !s.environment.iter().any(|x| x.name.value == e.name.value));
        from_files.append(&mut s.environment);
        s.environment = from_files;
    }
}

/// The checks compose makes on the model before it accepts a project.
fn check_model(p: &Project, cx: &mut Ctx<'_>, fragment: bool) {
    let top = |k: &str| -> HashSet<&str> {
        p.root
            .get(k)
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|e| e.key.text.as_str()).collect())
            .unwrap_or_default()
    };
    let networks = top("networks");
    let volumes = top("volumes");
    let configs = top("configs");
    let secrets = top("secrets");
    let names: HashSet<&str> = p.services.iter().map(|s| s.name.value.as_str()).collect();
    let by_name: HashMap<&str, &model::Service> = p
        .services
        .iter()
        .map(|s| (s.name.value.as_str(), s))
        .collect();
    let service_nodes: HashMap<&str, &Node> = p
        .root
        .get("services")
        .and_then(Node::as_map)
        .map(|m| m.iter().map(|e| (e.key.text.as_str(), &e.value)).collect())
        .unwrap_or_default();
    for s in p.active_services() {
        let svc = &s.name.value;
        for bad in &s.invalid {
            if cx.unset_nodes.contains(&bad.span) {
                cx.env_rejected = true; // C005 on the variable explains it
            } else {
                cx.reject(c000(bad.span, bad.value.clone()));
            }
        }
        if fragment {
            // The rest needs the project this file is merged into.
            continue;
        }
        if let Some(image) = s.image.as_ref().filter(|i| i.value.is_empty()) {
            if s.build.is_none() {
                if cx.unset_nodes.contains(&image.span) {
                    cx.env_rejected = true;
                } else {
                    cx.reject(c000(
                        image.span,
                        format!("service \"{svc}\" has an empty image"),
                    ));
                }
            }
        }
        // links, volumes_from and network_mode: service: are in depends_on (the model adds them).
        if let Some(files) = service_nodes
            .get(svc.as_str())
            .and_then(|x| x.get("env_file"))
        {
            let items: Vec<&Node> = match &files.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![files],
            };
            for item in items {
                let (path, required) = match &item.value {
                    Value::Map(_) => (
                        item.get("path").and_then(Node::as_str),
                        item.get("required").and_then(Node::compose_bool) != Some(false),
                    ),
                    _ => (item.as_str(), true),
                };
                let Some(path) = path.filter(|_| required) else {
                    continue;
                };
                let full = p.dir_for(item.span).join(path);
                if !cx.sources.exists(&full) {
                    cx.reject(
                        c000(item.head_span(), format!("env file \"{path}\" not found"))
                            .with_help("create it, or mark it optional: `env_file: [{path: ..., required: false}]`"),
                    );
                }
            }
        }
        // A service whose `extends` could not be resolved still has the key; its error is reported.
        let extends_failed = service_nodes
            .get(svc.as_str())
            .is_some_and(|n| n.get("extends").is_some());
        // A `provider` service (`type: model`, …; Compose ≥ 2.36) is run by a plugin, not from an image.
        let provider = service_nodes
            .get(svc.as_str())
            .is_some_and(|n| n.get("provider").is_some());
        if s.image.is_none() && s.build.is_none() && !extends_failed && !provider {
            cx.reject(
                c000(
                    s.name.span,
                    format!("service \"{svc}\" has neither an image nor a build context"),
                )
                .with_help("add `image:` or `build:` to the service"),
            );
        }
        for d in &s.depends_on {
            let target = by_name.get(d.service.value.as_str());
            if let Some(t) = target.filter(|t| !t.active && d.required) {
                let profiles: Vec<&str> = t.profiles.iter().map(|p| p.value.as_str()).collect();
                cx.reject(
                    c000(
                        d.service.span,
                        format!(
                            "service \"{svc}\" depends on \"{}\", which runs only with profile \"{}\"",
                            d.service.value,
                            profiles.join("\", \"")
                        ),
                    )
                    .with_help("give the dependency no profile (or the same profiles as this service), or mark it `required: false`"),
                );
                continue;
            }
            if !names.contains(d.service.value.as_str()) {
                cx.reject(c000(
                    d.service.span,
                    format!(
                        "service \"{svc}\" depends on undefined service \"{}\"",
                        d.service.value
                    ),
                ));
            }
        }
        for n in &s.networks {
            if n.name.value != "default" && !networks.contains(n.name.value.as_str()) {
                cx.reject(
                    c000(
                        n.name.span,
                        format!(
                            "service \"{svc}\" refers to undefined network \"{}\"",
                            n.name.value
                        ),
                    )
                    .with_help("declare it under the top-level `networks:`"),
                );
            }
        }
        for v in &s.volumes {
            if v.kind == model::MountKind::Volume {
                if let Some(src) = &v.source {
                    if cx.unset_nodes.contains(&src.span) {
                        cx.env_rejected = true;
                    } else if !volumes.contains(src.value.as_str()) {
                        cx.reject(
                            c000(
                                src.span,
                                format!(
                                    "service \"{svc}\" refers to undefined volume \"{}\"",
                                    src.value
                                ),
                            )
                            .with_help("declare it under the top-level `volumes:`, or write a path (`./data`) for a bind mount"),
                        );
                    }
                }
            }
        }
        for (list, defined, what) in [
            (&s.configs, &configs, "config"),
            (&s.secrets, &secrets, "secret"),
        ] {
            for c in list {
                if !defined.contains(c.value.as_str()) {
                    cx.reject(c000(
                        c.span,
                        format!(
                            "service \"{svc}\" refers to undefined {what} \"{}\"",
                            c.value
                        ),
                    ));
                }
            }
        }
    }
}

/// Files that another of `paths` pulls in through `include` or `extends: {file: …}`: they are checked as part
/// of that project, not on their own (like an nginx file included by another).
fn referenced_files(paths: &[PathBuf]) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for p in paths {
        let Ok(text) = crate::source::read_to_string(p) else {
            continue;
        };
        // Cheap filter: most files use neither.
        if !text.contains("include") && !text.contains("extends") {
            continue;
        }
        let Ok(doc) = yaml::parse(FileId(u32::MAX), &text) else {
            continue;
        };
        let dir = p.parent().unwrap_or(Path::new("."));
        let mut add = |rel: &str| {
            let target = normalize(&dir.join(rel));
            if target != normalize(p) {
                out.insert(target);
            }
        };
        for root in &doc.roots {
            for item in root
                .get("include")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                match &item.value {
                    Value::Scalar(_) => item.as_str().into_iter().for_each(&mut add),
                    Value::Map(_) => match item.get("path") {
                        Some(n) if n.as_seq().is_some() => n
                            .as_seq()
                            .unwrap_or_default()
                            .iter()
                            .filter_map(Node::as_str)
                            .for_each(&mut add),
                        Some(n) => n.as_str().into_iter().for_each(&mut add),
                        None => {}
                    },
                    Value::Seq(_) => {}
                }
            }
            for svc in root
                .get("services")
                .and_then(Node::as_map)
                .unwrap_or_default()
            {
                if let Some(f) = svc.value.get("extends").and_then(|e| e.get("file")) {
                    f.as_str().into_iter().for_each(&mut add);
                }
            }
        }
    }
    out
}

/// The projects among discovered compose files: files pulled in by another file's `include`/`extends`
/// are left out (they are loaded with their includer), the rest grouped by [`group`].
pub fn projects(paths: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let referenced = referenced_files(paths);
    let standalone: Vec<PathBuf> = paths
        .iter()
        .filter(|p| !referenced.contains(&normalize(p)))
        .cloned()
        .collect();
    let names = |p: &Path| -> Vec<String> {
        let Ok(text) = crate::source::read_to_string(p) else {
            return Vec::new();
        };
        let Ok(doc) = yaml::parse(FileId(u32::MAX), &text) else {
            return Vec::new();
        };
        doc.roots
            .first()
            .and_then(|r| r.get("services"))
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|e| e.key.text.clone()).collect())
            .unwrap_or_default()
    };
    group(&standalone, &names)
}

/// The canonical compose files among a run's files, by directory: the bases overlays are merged onto.
pub struct CanonicalFiles {
    /// Per directory: the file and its rank in [`CANONICAL`] (compose takes the first found).
    by_dir: HashMap<PathBuf, (usize, PathBuf)>,
}

impl CanonicalFiles {
    pub fn new(paths: &[PathBuf]) -> Self {
        let mut by_dir: HashMap<PathBuf, (usize, PathBuf)> = HashMap::new();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let Some(rank) = CANONICAL.iter().position(|c| *c == name) else {
                continue;
            };
            let dir = normalize(p.parent().unwrap_or(Path::new("")));
            if by_dir.get(&dir).map_or(true, |(r, _)| rank < *r) {
                by_dir.insert(dir, (rank, p.clone()));
            }
        }
        Self { by_dir }
    }

    /// The file `docker compose` would pick as project file from `file`'s directory: the canonical file of
    /// that directory, else of the nearest parent directory (compose walks up), not above a repository
    /// root (a directory holding `.git`). None for canonical and override files themselves.
    pub fn base_of(&self, file: &Path) -> Option<&PathBuf> {
        let name = file.file_name()?.to_string_lossy().to_string();
        if CANONICAL.contains(&name.as_str()) || OVERRIDES.contains(&name.as_str()) {
            return None;
        }
        let mut dir = normalize(file.parent()?);
        loop {
            if let Some((_, b)) = self.by_dir.get(&dir) {
                return Some(b);
            }
            if dir.join(".git").exists() || !dir.pop() {
                return None;
            }
        }
    }
}

/// Loads one group of [`projects`]. A single non-canonical file that compose rejects alone is retried as an
/// overlay of its base ([`CanonicalFiles::base_of`]), the way such files are used
/// (`docker compose -f compose.yaml -f this.yaml`): when merging resolves some of its errors (undefined
/// networks, volumes or services; a service with no image that the base defines), the merged project is
/// what is checked, and what it still gets wrong is reported. Its findings that are the base's own are the
/// same as the base project's, and dropped as duplicates by the run. Returns the files of the project
/// checked.
pub fn load_group(
    sources: &mut SourceMap,
    group: &[PathBuf],
    bases: &CanonicalFiles,
    settings: &Settings,
) -> (Vec<PathBuf>, Option<LoadedProject>, Vec<Diagnostic>) {
    let (project, diags) = load_project(sources, group, settings);
    let alone: Vec<(Span, &str)> = diags
        .iter()
        .filter(|d| d.code == "C000")
        .map(|d| (d.span, d.message.as_str()))
        .collect();
    let base = match group {
        [file] if project.is_some() && !alone.is_empty() => bases.base_of(file),
        _ => None,
    };
    let Some(base) = base else {
        return (group.to_vec(), project, diags);
    };
    let files = vec![base.clone(), group[0].clone()];
    let (merged, merged_diags) = load_project(sources, &files, settings);
    let still: HashSet<(Span, &str)> = merged_diags
        .iter()
        .filter(|d| d.code == "C000")
        .map(|d| (d.span, d.message.as_str()))
        .collect();
    if merged.is_some() && alone.iter().any(|a| !still.contains(a)) {
        let merged = merged.map(|p| LoadedProject { overlay: true, ..p });
        (files, merged, merged_diags)
    } else {
        (group.to_vec(), project, diags)
    }
}

/// Loads every compose project among `paths` (or the `-f` files from the settings).
pub fn load(sources: &mut SourceMap, paths: &[PathBuf], settings: &Settings) -> Loaded {
    let groups = if settings.compose.files.is_empty() {
        projects(paths)
    } else {
        vec![settings.compose.files.clone()]
    };
    let mut loaded = Loaded::default();
    let mut results = Vec::new();
    let bases = CanonicalFiles::new(paths);
    for g in groups {
        let (files, project, diags) = if settings.compose.files.is_empty() {
            load_group(sources, &g, &bases, settings)
        } else {
            let (project, diags) = load_project(sources, &g, settings);
            (g, project, diags)
        };
        let own: Vec<FileId> = files.iter().filter_map(|f| sources.find_path(f)).collect();
        results.push((own, project, diags));
    }
    // A file another project pulls in with `include` (or `extends: file:`) is a fragment of that project,
    // not a project of its own: alone it refers to networks and volumes the includer declares.
    let pulled_in: std::collections::HashSet<FileId> = results
        .iter()
        .flat_map(|(own, p, _)| {
            p.iter()
                .flat_map(|p| p.project.files.iter().copied())
                .filter(|f| !own.contains(f))
                .collect::<Vec<_>>()
        })
        .collect();
    for (own, project, diags) in results {
        if !own.is_empty() && own.iter().all(|f| pulled_in.contains(f)) {
            continue;
        }
        loaded.diagnostics.extend(diags);
        loaded.projects.extend(project);
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_like_compose() {
        let env = HashMap::new();
        let vars = parse_env_file(
            "# comment\nexport A=1\nB: 2\nC=\"x \\\" y\" # note\nD='${A}'\nE=${A}-$B\nF=v # c\nG\n",
            &env,
        )
        .unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("1"));
        assert_eq!(get("B"), Some("2"));
        assert_eq!(get("C"), Some("x \" y"));
        assert_eq!(get("D"), Some("${A}"));
        assert_eq!(get("E"), Some("1-2"));
        assert_eq!(get("F"), Some("v"));
        assert_eq!(get("G"), None);
        assert!(parse_env_file("./x\n", &env).is_err());
        assert!(parse_env_file("a b=1\n", &env).is_err());
    }

    #[test]
    fn env_file_quoted_values_span_lines_like_compose() {
        // Values as `docker compose config` (v2.40) gives them.
        let env = HashMap::new();
        let text = "TAG=1.0\nMULTI=\"line1\nline2\"\nSQ='x\ny'\nB=\"p\\\"q\nr\" # c\nC='it\\'s'\n\
                    E=\"a\\tb\\\\c\\$d\"\nF=\"q\\\\\"\nG=\"m1\n m2 # not comment\n\" # c\nH='x\\ny'\nLAST=ok\n";
        let vars = parse_env_file_spanned(text, &env).unwrap();
        let get = |k: &str| vars.iter().find(|v| v.0 == k).map(|v| v.1.as_str());
        assert_eq!(get("TAG"), Some("1.0"));
        assert_eq!(get("MULTI"), Some("line1\nline2"));
        assert_eq!(get("SQ"), Some("x\ny"));
        assert_eq!(get("B"), Some("p\"q\nr"));
        assert_eq!(get("C"), Some("it's"));
        assert_eq!(get("E"), Some("a\tb\\c$d"));
        assert_eq!(get("F"), Some("q\\"));
        assert_eq!(get("G"), Some("m1\n m2 # not comment\n"));
        assert_eq!(get("H"), Some("x\\ny"));
        assert_eq!(get("LAST"), Some("ok"));
        assert_eq!(vars.len(), 10);
        // A multi-line variable points at all its lines.
        let multi = vars.iter().find(|v| v.0 == "MULTI").unwrap();
        assert_eq!(&text[multi.2.clone()], "MULTI=\"line1\nline2\"");
        // compose: "unterminated quoted value".
        assert!(parse_env_file("A=\"open\nB=2\n", &env).is_err());
        assert!(parse_env_file("A='open\nB=2\n", &env).is_err());
    }

    #[test]
    fn env_file_double_quoted_escapes_like_compose() {
        // Each value written as `K="…"`; the value `docker compose config` (v2.40.3) gives it.
        let table: &[(&str, &str)] = &[
            (r"a\nb", "a\nb"),
            (r"a\tb", "a\tb"),
            (r"a\rb", "a\rb"),
            (r"a\ab", "a\u{7}b"),
            (r"a\bb", "a\u{8}b"),
            (r"a\fb", "a\u{c}b"),
            (r"a\vb", "a\u{b}b"),
            (r"a\\b", r"a\b"),
            (r"a\\nb", r"a\nb"),
            (r#"a\"b"#, "a\"b"),
            (r#"\"\""#, "\"\""),
            (r"a\$b", "a$b"),
            (r"a\${HOME}b", "a${HOME}b"),
            (r"a$$b", "a$b"),
            (r"a\'b", r"a\'b"),
            (r"a\ b", r"a\ b"),
            (r"a\qb", r"a\qb"),
            (r"a\cb", r"a\cb"),
            (r"a\x41b", r"a\x41b"),
            (r"a\u00e9b", r"a\u00e9b"),
            (r"a\U0001F600b", r"a\U0001F600b"),
            (r"a\101b", r"a\101b"),
            (r"a\1b", r"a\1b"),
            // `\0` octal: three octal digits up to 0377; otherwise the `0` goes and the rest stays.
            (r"a\0101b", "aAb"),
            (r"a\0351b", "a\u{e9}b"),
            (r"a\0377b", "a\u{ff}b"),
            (r"a\0000b", "a\u{0}b"),
            (r"a\0123\0124", "aST"),
            (r"a\01012", "aA2"),
            (r"a\0b", r"a\b"),
            (r"\0", r"\"),
            (r"a\00b", r"a\0b"),
            (r"a\012b", r"a\12b"),
            (r"a\09b", r"a\9b"),
            (r"a\0088b", r"a\088b"),
            (r"a\0400b", r"a\400b"),
            (r"a\0777b", r"a\777b"),
            (r"a\0\nb", "a\\\nb"),
        ];
        let env = HashMap::new();
        for (written, want) in table {
            let vars = parse_env_file(&format!("K=\"{written}\"\n"), &env).unwrap();
            assert_eq!(vars, vec![("K".to_string(), want.to_string())], "{written}");
        }
    }

    #[test]
    fn overlay_base_is_the_file_compose_would_pick() {
        let p = |s: &str| PathBuf::from(format!("/nonexistent-wirelint/{s}"));
        let bases = CanonicalFiles::new(&[
            p("app/docker-compose.yml"),
            p("app/compose.yaml"),
            p("app/compose.override.yaml"),
            p("app/docker-compose-inits.yml"),
            p("app/overrides/deep/compose.migrator.yaml"),
            p("other/compose.ci.yaml"),
        ]);
        // compose's order of preference, in the file's directory, else the nearest parent's.
        assert_eq!(
            bases.base_of(&p("app/docker-compose-inits.yml")),
            Some(&p("app/compose.yaml"))
        );
        assert_eq!(
            bases.base_of(&p("app/overrides/deep/compose.migrator.yaml")),
            Some(&p("app/compose.yaml"))
        );
        assert_eq!(bases.base_of(&p("other/compose.ci.yaml")), None);
        // Canonical and override files are bases, never overlays.
        assert_eq!(bases.base_of(&p("app/docker-compose.yml")), None);
        assert_eq!(bases.base_of(&p("app/compose.override.yaml")), None);
    }

    #[test]
    fn project_names_normalize_like_compose() {
        assert_eq!(normalize_project_name("interp-2.1.0"), "interp-210");
        assert_eq!(normalize_project_name("_My App"), "myapp");
    }
}
