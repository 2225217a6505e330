//! Resolving `include` the way nginx does (`ngx_conf_include` in src/core/ngx_conf_file.c):
//!
//! * a relative path is relative to the configuration prefix: `--nginx-prefix`, else the directory of the
//!   main `nginx.conf` (nginx's `conf_prefix` when started with `-c`), not to the including file;
//! * a path with `*`, `?` or `[` is a glob, expanded in byte order (glob(3) in the C locale); matching
//!   nothing is fine; a literal path that does not exist is fatal (N004);
//! * an absolute path is a path in the container: it is read only through `--map` (or, for the usual
//!   `/etc/nginx/…` layout, from the same place under the main file's directory when that exists). The
//!   host's `/etc` is never read. An absolute path wirelint cannot map is unknown: no finding;
//! * the files every nginx package ships (`mime.types`, `fastcgi_params`, …) are known without being read
//!   when the repository does not have them;
//! * cycles and chains deeper than [`super::MAX_INCLUDE_DEPTH`] are reported (N004) and not followed.

use super::{ParsedFiles, MAX_INCLUDE_DEPTH};
use crate::diagnostic::Diagnostic;
use crate::settings::{PathMapping, Settings};
use crate::source::{display_name, FileId, SourceMap, Span};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Files shipped with nginx (upstream and Debian packages) that configurations include by name.
pub const STOCK_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "proxy_params",
    "uwsgi_params",
    "scgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
    "snippets/fastcgi-php.conf",
    "snippets/snakeoil.conf",
];

/// Container prefixes under which nginx images keep their configuration.
const CONTAINER_PREFIXES: &[&str] = &[
    "/etc/nginx/",
    "/usr/local/nginx/conf/",
    "/usr/local/openresty/nginx/conf/",
    "/opt/bitnami/nginx/conf/",
];

/// The outcome of loading one root with its includes.
#[derive(Debug, Default)]
pub struct Built {
    pub includes: HashMap<Span, Vec<FileId>>,
    /// `include` directives whose content is unknown: an absolute path wirelint cannot map, a template,
    /// a path not found where it may exist at run time (a snippet's guessed prefix, a container path
    /// the repository does not show). What they add (a `resolver`, an `upstream` …) cannot be ruled out.
    pub unread: HashSet<Span>,
    pub load_order: Vec<FileId>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn is_stock(path: &str) -> bool {
    let path = path.trim_start_matches("./");
    STOCK_FILES
        .iter()
        .any(|s| path == *s || path.strip_suffix(s).is_some_and(|rest| rest.ends_with('/')))
}

/// A glob matching at least this many files has them read on all cores first.
const READ_AHEAD_FILES: usize = 16;

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Where to look for a path, and whether not finding it there is certain to be an error.
struct Candidates {
    paths: Vec<PathBuf>,
    certain: bool,
}

struct Builder<'s, 'f> {
    sources: &'s mut SourceMap,
    parsed: &'s mut ParsedFiles,
    parse: &'f mut dyn FnMut(&SourceMap, &mut ParsedFiles, &[FileId]),
    settings: &'s Settings,
    /// Directories relative paths resolve against, in order of preference.
    prefixes: Vec<PathBuf>,
    /// Whether `prefixes[0]` is known to be the real prefix.
    prefix_certain: bool,
    out: Built,
    visited: HashSet<FileId>,
    /// Include paths already resolved to files in this configuration (a large configuration repeats
    /// `include fastcgi_params;` thousands of times; each resolution costs several `stat` calls); `None`
    /// when the content is unknown.
    resolved: HashMap<String, Option<Vec<FileId>>>,
}

/// Loads `root` and everything it includes. `is_main` tells a full configuration from a snippet: a
/// snippet's relative includes are resolved against its own directory and its parent, and not finding
/// them there is not reported, since its real prefix is unknown.
pub fn build(
    sources: &mut SourceMap,
    parsed: &mut ParsedFiles,
    parse: &mut dyn FnMut(&SourceMap, &mut ParsedFiles, &[FileId]),
    root: FileId,
    is_main: bool,
    settings: &Settings,
) -> Built {
    let root_dir = sources
        .get(root)
        .path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .map(|d| {
            if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d
            }
        });
    let (prefixes, prefix_certain) = match (&settings.nginx.prefix, root_dir) {
        (Some(p), _) => (vec![p.clone()], true),
        (None, Some(dir)) if is_main => (vec![dir], true),
        (None, Some(dir)) => {
            let parent = crate::source::normalize(&dir.join(".."));
            (vec![dir, parent], false)
        }
        (None, None) => (Vec::new(), false),
    };
    let mut b = Builder {
        sources,
        parsed,
        parse,
        settings,
        prefixes,
        prefix_certain,
        out: Built::default(),
        visited: HashSet::new(),
        resolved: HashMap::new(),
    };
    let mut chain = Vec::new();
    b.visit(root, &mut chain);
    b.out
}

impl Builder<'_, '_> {
    fn n004(&self, span: Span, message: String, help: &str, chain: &[Span]) -> Diagnostic {
        let mut d = crate::rules::nginx::n004_include_not_found::RULE
            .diag(span, message)
            .with_help(help);
        for &c in chain.iter().rev() {
            d = d.with_related(c, "included from here");
        }
        d
    }

    /// Visits `file`; `chain` holds the spans of the `include` directives that led here.
    fn visit(&mut self, file: FileId, chain: &mut Vec<Span>) {
        if !self.visited.insert(file) {
            return;
        }
        self.out.load_order.push(file);
        (self.parse)(self.sources, self.parsed, &[file]);
        let incs: Vec<(Span, Span, String)> = self
            .parsed
            .get(&file)
            .map(|p| {
                p.includes
                    .iter()
                    .map(|i| (i.directive, i.path.span, i.path.text.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for (span, arg_span, path) in incs {
            let targets = match self.resolved.get(&path) {
                Some(t) => t.clone(),
                None => {
                    let before = self.out.diagnostics.len();
                    let t = self.resolve(span, arg_span, &path, chain);
                    // Only clean outcomes are reused: a failed one must be reported at each site.
                    if self.out.diagnostics.len() == before {
                        self.resolved.insert(path.clone(), t.clone());
                    }
                    t
                }
            };
            let Some(targets) = targets else {
                self.out.unread.insert(span);
                self.out.includes.insert(span, Vec::new());
                continue;
            };
            // The files a glob matched are parsed together (in parallel when there is much text) before
            // they are visited in order.
            if targets.len() > 1 {
                (self.parse)(self.sources, self.parsed, &targets);
            }
            let mut expanded = Vec::new();
            for t in targets {
                if chain.len() >= MAX_INCLUDE_DEPTH {
                    let d = self.n004(
                        span,
                        format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels"),
                        "an include chain this deep is a loop: check what includes what",
                        chain,
                    );
                    self.out.diagnostics.push(d);
                    break;
                }
                if t == file || self.on_chain(t, chain) {
                    let d = self.n004(
                        span,
                        format!(
                            "include cycle: `{}` includes itself through this `include`",
                            self.sources.get(t).name
                        ),
                        "remove the `include` that closes the loop",
                        chain,
                    );
                    self.out.diagnostics.push(d);
                    continue;
                }
                expanded.push(t);
                chain.push(span);
                self.visit(t, chain);
                chain.pop();
            }
            self.out.includes.insert(span, expanded);
        }
    }

    fn on_chain(&self, target: FileId, chain: &[Span]) -> bool {
        chain.iter().any(|s| s.file == target)
    }

    /// Where `path` may be, trying the prefixes in order.
    fn candidates(&self, path: &str) -> Option<Candidates> {
        let p = Path::new(path);
        if p.is_absolute() {
            if let Some(host) = PathMapping::resolve(&self.settings.path_map, p) {
                return Some(Candidates {
                    paths: vec![host],
                    certain: true,
                });
            }
            let rest = CONTAINER_PREFIXES
                .iter()
                .find_map(|pre| path.strip_prefix(pre))?;
            return Some(Candidates {
                paths: self.prefixes.iter().map(|d| d.join(rest)).collect(),
                certain: false,
            });
        }
        if self.prefixes.is_empty() {
            return None;
        }
        Some(Candidates {
            paths: self.prefixes.iter().map(|d| d.join(p)).collect(),
            certain: self.prefix_certain,
        })
    }

    /// Loads an included file. A directory (named, or matched by a glob) fails to read, as it does
    /// for nginx (`pread() … failed (21: Is a directory)`).
    fn load(&mut self, path: &Path, span: Span, chain: &[Span]) -> Option<FileId> {
        match self.sources.load(path, display_name(path)) {
            Ok(id) => Some(id),
            Err(e) => {
                let d = self.n004(
                    span,
                    format!("cannot read included file: {e}"),
                    "make the file readable, or fix the path",
                    chain,
                );
                self.out.diagnostics.push(d);
                None
            }
        }
    }

    /// The files `path` names; `None` when what it holds is unknown (see [`Built::unread`]).
    fn resolve(
        &mut self,
        span: Span,
        arg_span: Span,
        path: &str,
        chain: &[Span],
    ) -> Option<Vec<FileId>> {
        // Templates (`${VAR}` for envsubst, `@@NAME@@` placeholders) are rendered before nginx runs;
        // anywhere else nginx takes a `$` in an include path literally.
        let template = super::has_env_placeholder(path)
            || path.contains("@@")
            || (path.contains('$') && super::is_template_file(self.sources, span.file));
        if template {
            return None;
        }
        if path.is_empty() {
            return Some(Vec::new());
        }
        if let Some(fs) = &self.settings.nginx.container {
            return self.resolve_in_container(fs, span, arg_span, path, chain);
        }
        let cands = self.candidates(path)?;
        if is_glob(path) {
            for base in &cands.paths {
                let Some(base) = base.to_str() else {
                    continue;
                };
                let matches = crate::fsglob::glob_sorted(base);
                if !matches.is_empty() {
                    if matches.len() >= READ_AHEAD_FILES {
                        let paths: Vec<PathBuf> = matches.iter().map(|m| m.path.clone()).collect();
                        self.sources.read_ahead(&paths);
                    }
                    return Some(
                        matches
                            .iter()
                            .filter_map(|m| {
                                let id = self.load(&m.path, span, chain)?;
                                if m.symlink == Some(false) {
                                    self.sources.mark_not_symlink(id);
                                }
                                Some(id)
                            })
                            .collect(),
                    );
                }
            }
            // Matching nothing where the prefix is known is an empty include.
            return cands.certain.then(Vec::new);
        }
        for cand in &cands.paths {
            if self.sources.exists(cand) || cand.is_symlink() {
                return Some(self.load(cand, span, chain).into_iter().collect());
            }
        }
        if is_stock(path) {
            // Shipped with nginx; none of them holds anything the rules look for.
            return Some(Vec::new());
        }
        if cands.certain {
            let shown = cands
                .paths
                .first()
                .map(|p| display_name(p))
                .unwrap_or_default();
            let d = self.n004(
                arg_span,
                format!("included file `{path}` does not exist (looked for `{shown}`)"),
                "fix the path (relative paths are relative to the nginx prefix, the directory of nginx.conf, not to the including file), or use a glob if the file is optional",
                chain,
            );
            self.out.diagnostics.push(d);
            return Some(Vec::new());
        }
        None
    }
}

impl Builder<'_, '_> {
    /// Stack mode: `path` is resolved in the container's filesystem as the repository shows it.
    fn resolve_in_container(
        &mut self,
        fs: &crate::settings::ContainerFiles,
        span: Span,
        arg_span: Span,
        path: &str,
        chain: &[Span],
    ) -> Option<Vec<FileId>> {
        let full = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/etc/nginx/{}", path.trim_start_matches("./"))
        };
        if is_glob(&full) {
            let Ok(pattern) = glob::Pattern::new(&full.replace("**", "*")) else {
                return None;
            };
            let opts = glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: true,
            };
            let hosts: Vec<PathBuf> = fs
                .files
                .iter()
                .filter(|(c, _)| pattern.matches_with(c, opts))
                .map(|(_, h)| h.clone())
                .collect();
            // Matching nothing in a directory the repository shows completely is an empty include.
            if hosts.is_empty() && !fs.is_complete(&full) {
                return None;
            }
            return Some(
                hosts
                    .iter()
                    .filter_map(|h| self.load(h, span, chain))
                    .collect(),
            );
        }
        if let Some(host) = fs.get(&full).map(Path::to_path_buf) {
            return Some(self.load(&host, span, chain).into_iter().collect());
        }
        if is_stock(path) {
            return Some(Vec::new());
        }
        if fs.is_complete(&full) {
            let d = self.n004(
                arg_span,
                format!("included file `{path}` does not exist in the container (`{full}` is not in the mounted directory)"),
                "fix the path, or mount the file into the container",
                chain,
            );
            self.out.diagnostics.push(d);
            return Some(Vec::new());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_names() {
        assert!(is_stock("mime.types"));
        assert!(is_stock("/etc/nginx/fastcgi_params"));
        assert!(is_stock("snippets/fastcgi-php.conf"));
        assert!(!is_stock("my-mime.types"));
        assert!(!is_stock("conf.d/app.conf"));
    }
}
