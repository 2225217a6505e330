//! php-fpm: source → spanned lines ([`syntax`]) → the effective pools php-fpm would run ([`PoolSet`]),
//! every value with the file and line that set it and the values it overrode.
//!
//! Load order follows php-fpm (`fpm_conf_load_ini_file`): a main `php-fpm.conf`, each `include=` expanded
//! where it stands (glob results byte-sorted, relative patterns against the prefix), sections with the same
//! name merged case-insensitively, later values winning (for array entries such as `php_value[…]`, the
//! first). The current section carries across files, as it does in php-fpm: a file without a section
//! header continues the includer's section.

pub mod directives;
pub mod explain;
pub mod image;
pub mod syntax;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Input;
use crate::settings::{PathMapping, Settings};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use directives::Section;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use syntax::{EnvDefaults, LineKind, Parsed};

/// The environment php-fpm starts with (`${VAR}` reads it).
pub type Env = HashMap<String, String>;

/// The value of an [`Env`] variable that is set but whose value is not known (Docker's `HOSTNAME`, the
/// image's `PHP_VERSION`): `${VAR}` reads an unknown value. A real value cannot hold a NUL byte.
pub const UNKNOWN_VALUE: &str = "\0";

/// One `key = value` that php-fpm applied.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub key_span: Span,
    pub value_span: Span,
    /// The whole line.
    pub line: Span,
    /// The value as written.
    pub raw: String,
    /// The value php-fpm stores (`$pool` expanded, keywords read); `None` when it depends on an
    /// environment variable whose value is unknown, or on an expression wirelint does not evaluate.
    pub value: Option<String>,
}

impl Assignment {
    /// The value for display: the stored value when known, else the text as written.
    pub fn shown(&self) -> &str {
        self.value.as_deref().unwrap_or(&self.raw)
    }
}

/// A directive after every file: the assignment in effect ([`winner`](Self::winner)) and the ones it
/// overrode.
#[derive(Clone, Debug)]
pub struct EffectiveDirective {
    /// The key as php-fpm's table names it (`listen`), or `php_value[memory_limit]` for arrays.
    pub key: std::borrow::Cow<'static, str>,
    /// In load order; never empty.
    pub assignments: Vec<Assignment>,
}

impl EffectiveDirective {
    /// Whether the first assignment is the one in effect. A plain directive is overwritten, so the last
    /// one wins; an array entry (`php_value[…]`, `php_admin_value[…]`, `php_flag[…]`, `php_admin_flag[…]`,
    /// `env[…]`) is prepended to a list (`fpm_conf_set_array`) that the worker applies from its head, each
    /// entry overwriting the one before (`fpm_env_init_child`, `fpm_php_apply_defines`), so the first line
    /// in load order wins (measured with PHP 8.2's php-fpm: `php_value[x]` in `www.conf` beats the same key
    /// in `zz-prod.conf`).
    pub fn first_wins(&self) -> bool {
        self.key.contains('[')
    }

    pub fn winner(&self) -> &Assignment {
        let a = if self.first_wins() {
            self.assignments.first()
        } else {
            self.assignments.last()
        };
        a.expect("a directive has an assignment")
    }

    /// The assignments without effect, in load order.
    pub fn overridden(&self) -> &[Assignment] {
        if self.first_wins() {
            &self.assignments[1..]
        } else {
            &self.assignments[..self.assignments.len() - 1]
        }
    }
}

/// A pool as php-fpm runs it, merged from every section with its name.
#[derive(Clone, Debug)]
pub struct EffectivePool {
    /// As first written.
    pub name: String,
    /// Every section header naming this pool, in load order.
    pub sections: Vec<Span>,
    pub directives: Vec<EffectiveDirective>,
}

impl EffectivePool {
    pub fn get(&self, key: &str) -> Option<&EffectiveDirective> {
        self.directives.iter().find(|d| d.key == key)
    }
}

/// Where php-fpm listens, as it reads `listen` (`fpm_sockets_domain_from_address`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddress {
    /// `9000`: every address (IPv6 and IPv4-mapped).
    AllAddresses { port: String },
    /// `host:port`; `host` without brackets.
    Tcp { host: String, port: String },
    /// A path (relative paths resolved against the prefix).
    Unix { path: String },
}

impl ListenAddress {
    pub fn parse(value: &str, prefix: Option<&str>) -> Option<ListenAddress> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if let Some(colon) = value.rfind(':') {
            let (host, port) = (&value[..colon], &value[colon + 1..]);
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            if host.is_empty() || host == "*" || host == "0.0.0.0" || host == "::" {
                return Some(ListenAddress::AllAddresses { port: port.into() });
            }
            return Some(ListenAddress::Tcp {
                host: host.to_ascii_lowercase(),
                port: port.into(),
            });
        }
        if value.bytes().all(|b| b.is_ascii_digit()) {
            return Some(ListenAddress::AllAddresses { port: value.into() });
        }
        let path = match prefix {
            Some(p) if !value.starts_with('/') => format!("{}/{}", p.trim_end_matches('/'), value),
            _ => value.to_string(),
        };
        Some(ListenAddress::Unix { path })
    }

    pub fn is_loopback(&self) -> bool {
        matches!(self, ListenAddress::Tcp { host, .. } if is_loopback_host(host))
    }
}

/// 127.0.0.0/8, `localhost`, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || h.parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An `include=` line.
#[derive(Clone, Debug)]
pub struct IncludeSite {
    pub value_span: Span,
    pub pattern: String,
    /// Where it points after the prefix (and `--map`).
    pub resolved: PathBuf,
    /// A literal path (no glob characters) that does not exist.
    pub missing: bool,
    /// A glob whose literal directory does not exist: glob(3) with `GLOB_ERR` aborts and php-fpm refuses to
    /// start ("Unable to globalize … (ret=2)"; measured with php-fpm 8.2). A glob matching nothing in an
    /// existing directory only warns.
    pub missing_dir: bool,
}

/// Whether a pattern globs only its last component (`dir/*.conf`): its directory is opened as written.
fn glob_in_literal_dir(pattern: &str) -> bool {
    match pattern.rsplit_once('/') {
        Some((dir, last)) => !dir.contains(['*', '?', '[']) && last.contains(['*', '?', '[']),
        None => false,
    }
}

/// A `${VAR}` reference.
#[derive(Clone, Debug)]
pub struct EnvRef {
    /// Everything between the braces (`VAR:-x` for `${VAR:-x}`).
    pub name: String,
    pub span: Span,
    /// It has a `:-` default (PHP 8.3 and later read it; see [`PoolSet::env_defaults`]).
    pub default: bool,
}

/// A key php-fpm does not know where it stands.
#[derive(Clone, Debug)]
pub struct UnknownKey {
    pub span: Span,
    pub key: String,
    pub section: Section,
}

/// The image whose stock files were put under the user's files.
#[derive(Clone, Debug)]
pub struct ImageUse {
    pub image: String,
    pub reason: String,
}

/// The configuration one php-fpm process would load.
#[derive(Clone, Debug, Default)]
pub struct PoolSet {
    /// What the set is: the main file's or the pool directory's name.
    pub label: String,
    pub main: Option<FileId>,
    /// Every file in load order.
    pub files: Vec<FileId>,
    /// php-fpm's prefix for this set, if known.
    pub prefix: Option<String>,
    pub image: Option<ImageUse>,
    pub global: Vec<EffectiveDirective>,
    pub pools: Vec<EffectivePool>,
    pub includes: Vec<IncludeSite>,
    pub env_refs: Vec<EnvRef>,
    pub unknown: Vec<UnknownKey>,
    /// Whether the environment is known (`${VAR}` can be checked).
    pub env: Option<Env>,
    /// Whether the php-fpm of this set reads `${VAR:-default}`: from the image's PHP version.
    pub env_defaults: syntax::EnvDefaults,
    /// Files loaded only because php-fpm would load them with the given ones (same pool directory): their
    /// values count, their own findings are not reported.
    pub context: HashSet<FileId>,
}

impl PoolSet {
    /// Drops the findings in `diagnostics[from..]` whose place is in a context file.
    pub fn drop_context_findings(&self, diagnostics: &mut Vec<Diagnostic>, from: usize) {
        if self.context.is_empty() {
            return;
        }
        let mut i = from;
        while i < diagnostics.len() {
            if self.context.contains(&diagnostics[i].span.file) {
                diagnostics.remove(i);
            } else {
                i += 1;
            }
        }
    }
}

impl PoolSet {
    /// A pool's effective listen address.
    pub fn listen<'p>(
        &self,
        pool: &'p EffectivePool,
    ) -> Option<(ListenAddress, &'p EffectiveDirective)> {
        self.address(pool, "listen")
    }

    /// The effective address of a pool's `listen` or `pm.status_listen`.
    pub fn address<'p>(
        &self,
        pool: &'p EffectivePool,
        key: &str,
    ) -> Option<(ListenAddress, &'p EffectiveDirective)> {
        let d = pool.get(key)?;
        let value = d.winner().value.as_deref()?;
        let prefix = pool
            .get("prefix")
            .and_then(|p| p.winner().value.clone())
            .filter(|p| p.starts_with('/'))
            .or_else(|| self.prefix.clone());
        Some((ListenAddress::parse(value, prefix.as_deref())?, d))
    }
}

/// Everything loaded from the php-fpm inputs of a run.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sets: Vec<PoolSet>,
    /// Findings of the loader itself (P000).
    pub diagnostics: Vec<Diagnostic>,
    pub files: Vec<FileId>,
}

/// php-fpm refuses more than 5 nested files (`ini_recursion`).
const MAX_DEPTH: usize = 5;

/// Loads the php-fpm inputs of a run as php-fpm would, grouped into pool sets.
pub fn load(
    sources: &mut SourceMap,
    inputs: &[&Input],
    settings: &Settings,
) -> Result<Loaded, LoadFailure> {
    load_for_service(
        sources,
        inputs,
        settings,
        settings.phpfpm.image.as_deref(),
        settings.phpfpm.env.as_ref(),
    )
}

/// [`load`] for one container: its image's stock files under its pool files, and the environment php-fpm
/// starts with (`None`: unknown, so `${VAR}` stays unresolved and P007 is quiet). The stack checks call
/// this once per compose service.
pub fn load_for_service(
    sources: &mut SourceMap,
    inputs: &[&Input],
    settings: &Settings,
    image: Option<&str>,
    env: Option<&Env>,
) -> Result<Loaded, LoadFailure> {
    load_inner(sources, inputs, settings, image, env, None)
}

/// [`load_for_service`] for files mounted into a container: each file is given with the path it has in the
/// container and its host path. php-fpm's `include=etc/php-fpm.d/*.conf` orders them by their container
/// names (byte order, merged with the image's stock files), and files from several host directories form one
/// pool set; findings still point at the host files.
pub fn load_mounted(
    sources: &mut SourceMap,
    files: &[(String, PathBuf)],
    settings: &Settings,
    image: Option<&str>,
    env: Option<&Env>,
) -> Result<Loaded, LoadFailure> {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(_, h)| Input {
            path: h.clone(),
            name: crate::source::display_name(h),
            kind: crate::settings::Kind::PhpFpm,
        })
        .collect();
    let refs: Vec<&Input> = inputs.iter().collect();
    let container: Vec<String> = files.iter().map(|(c, _)| c.clone()).collect();
    load_inner(sources, &refs, settings, image, env, Some(&container))
}

/// What php-fpm finds in a container's filesystem, as far as the repository shows it.
#[derive(Clone, Copy, Debug)]
pub struct ContainerTree<'a> {
    /// `(container path, repository path)` of every file the repository places in the container.
    pub files: &'a [(String, PathBuf)],
    /// Container directories the repository shows completely (bind-mounted directories): the image's own
    /// files under them are hidden.
    pub complete_dirs: &'a [String],
    /// Where php-fpm's main config sits in the container (`/usr/local/etc/php-fpm.conf`).
    pub main: &'a str,
}

/// Loads the configuration php-fpm runs in a container: its main config (mounted, or the image's stock one)
/// with every `include=` evaluated against the container's filesystem: the image's stock files where no
/// mount replaces or hides them, overlaid by the repository's files exactly where they land. A glob loads
/// all matching container paths in byte order, as one sequence, whichever host directories they come from.
/// Relative includes resolve against the prefix (`settings.phpfpm.prefix`, else the image's). Returns no
/// set when the container has no main config wirelint can see.
pub fn load_container(
    sources: &mut SourceMap,
    tree: ContainerTree<'_>,
    settings: &Settings,
    image: Option<&str>,
    env: Option<&Env>,
) -> Result<Loaded, LoadFailure> {
    let layout = match image {
        Some(image) => Some(image::layout_for(image).map_err(LoadFailure::Image)?),
        None => None,
    };
    let env_defaults = image.map_or(EnvDefaults::Unknown, image::env_defaults);
    let hidden = |c: &str| {
        tree.complete_dirs.iter().any(|d| {
            c.strip_prefix(d.as_str())
                .is_some_and(|r| r.starts_with('/'))
        })
    };
    let mut stock_ids: HashMap<String, FileId> = HashMap::new();
    let mut files: Vec<(String, ViewFile)> = tree
        .files
        .iter()
        .map(|(c, h)| (c.clone(), ViewFile::Host(h.clone())))
        .collect();
    let mut main_replaced = false;
    let mut hidden_by: Vec<&str> = Vec::new();
    if let Some(layout) = &layout {
        for f in std::iter::once(&layout.main).chain(&layout.pool_files) {
            let c = &f.container_path;
            let replaced = tree.files.iter().any(|(t, _)| t == c);
            if hidden(c) || replaced {
                main_replaced |= *c == layout.main.container_path;
                if !replaced {
                    let name = c.rsplit('/').next().unwrap_or(c);
                    hidden_by.push(name);
                }
                continue;
            }
            let id = stock_file(sources, &mut stock_ids, layout, f);
            files.push((c.clone(), ViewFile::Loaded(id)));
        }
    }
    let mut loaded = Loaded::default();
    let Some(main) = files
        .iter()
        .find(|(c, _)| c == tree.main)
        .map(|(_, f)| f.clone())
    else {
        return Ok(loaded);
    };
    let main = match main {
        ViewFile::Loaded(id) => id,
        ViewFile::Host(path) => {
            let name = crate::source::display_name(&path);
            sources.load(&path, name).map_err(LoadFailure::Io)?
        }
    };
    let mut parsed: HashMap<FileId, Rc<Parsed>> = HashMap::new();
    let mut l = SetLoader::new(
        sources,
        settings,
        env,
        env_defaults,
        &mut parsed,
        &mut loaded.diagnostics,
    );
    l.set.label = l.sources.get(main).name.clone();
    l.set.main = Some(main);
    l.set.prefix = settings
        .phpfpm
        .prefix
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .or_else(|| layout.as_ref().map(|l| l.prefix.clone()));
    l.container_prefix = true;
    l.complete = true;
    if let Some(layout) = &layout {
        let mut reason = layout.reason.clone();
        if main_replaced {
            reason.push_str("; its php-fpm.conf replaced by the repository's");
            if !stock_ids.is_empty() {
                reason.push_str(
                    ", its stock pool files loaded where that file's include reaches them",
                );
            }
        }
        if !hidden_by.is_empty() {
            reason.push_str(&format!(
                "; its {} hidden by a mounted directory",
                hidden_by.join(", ")
            ));
        }
        l.set.image = Some(ImageUse {
            image: layout.image.clone(),
            reason,
        });
    }
    l.view = Some(View {
        files,
        complete_dirs: tree.complete_dirs.to_vec(),
        whole: true,
    });
    l.load_file(main, 0);
    loaded.sets.push(l.finish());
    collect_files(&mut loaded);
    Ok(loaded)
}

/// Every file of every set, once, in load order.
fn collect_files(loaded: &mut Loaded) {
    let mut seen = HashSet::new();
    for set in &loaded.sets {
        for f in &set.files {
            if seen.insert(*f) {
                loaded.files.push(*f);
            }
        }
    }
}

/// `mounted`: the container path of each input (same order), when the inputs are mounted into a container.
fn load_inner(
    sources: &mut SourceMap,
    inputs: &[&Input],
    settings: &Settings,
    image: Option<&str>,
    env: Option<&Env>,
    mounted: Option<&[String]>,
) -> Result<Loaded, LoadFailure> {
    let layout = match image {
        Some(image) => Some(image::layout_for(image).map_err(LoadFailure::Image)?),
        None => None,
    };
    let env_defaults = image.map_or(EnvDefaults::Unknown, image::env_defaults);
    let mut loaded = Loaded::default();
    let mut parsed: HashMap<FileId, Rc<Parsed>> = HashMap::new();
    let mut ids = Vec::new();
    // The name php-fpm orders a file by: its container name when mounted, else its own.
    let mut order_name: HashMap<FileId, Vec<u8>> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        let id = sources
            .load(&input.path, input.name.clone())
            .map_err(LoadFailure::Io)?;
        if let Some(c) = mounted.and_then(|m| m.get(i)) {
            order_name
                .entry(id)
                .or_insert_with(|| c.rsplit('/').next().unwrap_or("").as_bytes().to_vec());
        }
        ids.push((input.path.clone(), id));
    }
    let name_of = |path: &Path, id: FileId| {
        order_name
            .get(&id)
            .cloned()
            .unwrap_or_else(|| file_name_bytes(path))
    };
    // A main config: named php-fpm.conf, or one that includes others.
    let mut mains = Vec::new();
    for (path, id) in &ids {
        let p = parsed
            .entry(*id)
            .or_insert_with(|| Rc::new(syntax::parse(*id, &sources.get(*id).text)));
        let includes = p.lines.iter().any(
            |l| matches!(&l.kind, LineKind::Entry(e) if e.key == "include" && e.index.is_none()),
        );
        let name = String::from_utf8_lossy(&name_of(path, *id)).to_ascii_lowercase();
        if includes || name == "php-fpm.conf" {
            mains.push((path.clone(), *id));
        }
    }
    let mut reached: HashSet<FileId> = HashSet::new();
    let mut stock_ids: HashMap<String, FileId> = HashMap::new();
    for (path, id) in &mains {
        if reached.contains(id) {
            continue;
        }
        let prefix = settings
            .phpfpm
            .prefix
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| default_prefix(path));
        let mut l = SetLoader::new(
            sources,
            settings,
            env,
            env_defaults,
            &mut parsed,
            &mut loaded.diagnostics,
        );
        l.set.label = crate::source::display_name(path);
        l.set.main = Some(*id);
        // A pool file that merely includes another is not known to be the whole configuration.
        l.complete = path
            .file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("php-fpm.conf"));
        l.set.prefix = Some(prefix);
        // Files mounted into a container: an include finds them by their container paths.
        let mut view: Vec<(String, ViewFile)> = match mounted {
            Some(m) => m
                .iter()
                .zip(&ids)
                .map(|(c, (_, id))| (c.clone(), ViewFile::Loaded(*id)))
                .collect(),
            None => Vec::new(),
        };
        let mut stock = HashSet::new();
        if let Some(layout) = &layout {
            // The given php-fpm.conf runs in the image: php-fpm's prefix is the image's, and the image's
            // stock pool files sit in its pool directory, loaded where the config's includes reach them.
            if settings.phpfpm.prefix.is_none() {
                l.set.prefix = Some(layout.prefix.clone());
            }
            l.container_prefix = true;
            for f in &layout.pool_files {
                if view.iter().any(|(c, _)| *c == f.container_path) {
                    continue;
                }
                let sid = stock_file(l.sources, &mut stock_ids, layout, f);
                stock.insert(sid);
                view.push((f.container_path.clone(), ViewFile::Loaded(sid)));
            }
        }
        if mounted.is_some() || layout.is_some() {
            l.view = Some(View {
                files: view,
                complete_dirs: Vec::new(),
                whole: mounted.is_some(),
            });
        }
        l.load_file(*id, 0);
        if let Some(layout) = &layout {
            let reached_stock = l.set.files.iter().any(|f| stock.contains(f));
            l.set.image = Some(ImageUse {
                image: layout.image.clone(),
                reason: if reached_stock {
                    format!(
                        "{}; the given php-fpm.conf replaces the image's, whose stock pool files in {} load where its include reaches them",
                        layout.reason, layout.pool_dir
                    )
                } else if l.included_dirs.contains(&layout.pool_dir) {
                    format!(
                        "no stock file loaded: the repository's files replace every stock pool file in {}",
                        layout.pool_dir
                    )
                } else {
                    format!(
                        "no stock file loaded: the given php-fpm.conf replaces the image's main config and no include of it reaches the image's pool directory {}",
                        layout.pool_dir
                    )
                },
            });
        }
        reached.extend(l.set.files.iter().copied());
        loaded.sets.push(l.finish());
    }
    // Pool files no main config reached: one set per directory, as `include=dir/*.conf` loads them.
    let mut by_dir: Vec<(PathBuf, Vec<(PathBuf, FileId)>)> = Vec::new();
    let mut dir_index: HashMap<PathBuf, usize> = HashMap::new();
    for (path, id) in &ids {
        if reached.contains(id) {
            continue;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if mounted.is_some() {
            // Mounted files all sit in the container's pool directory: one set, whatever their host directory.
            match by_dir.first_mut() {
                Some(set) => set.1.push((path.clone(), *id)),
                None => by_dir.push((dir, vec![(path.clone(), *id)])),
            }
            continue;
        }
        // A hidden file is not matched by `include=DIR/*.conf`: checked on its own, like a variant.
        if is_variant(path) || file_name_bytes(path).starts_with(b".") {
            by_dir.push((dir, vec![(path.clone(), *id)]));
            continue;
        }
        match dir_index.get(&dir) {
            Some(&i) => by_dir[i].1.push((path.clone(), *id)),
            None => {
                dir_index.insert(dir.clone(), by_dir.len());
                by_dir.push((dir, vec![(path.clone(), *id)]));
            }
        }
    }
    for (dir, mut files) in by_dir {
        // php-fpm loads the whole pool directory: files not given (a pre-commit hook passes only the
        // changed ones, an editor only the open one) still take part, as context whose own findings are
        // not shown.
        // Only in a directory named as php-fpm's pool directory: elsewhere files side by side may be
        // alternatives (fixtures, examples per environment) rather than one configuration.
        let mut context = HashSet::new();
        let pool_dir = dir
            .file_name()
            .is_some_and(|n| n == "php-fpm.d" || n == "pool.d" || n == "fpm.d");
        // Mounted files: the container's directory holds only what is mounted (and the image's stock files).
        if pool_dir && mounted.is_none() && !files.iter().any(|(p, _)| is_variant(p)) {
            let given: HashSet<Vec<u8>> = files.iter().map(|(p, _)| file_name_bytes(p)).collect();
            for path in sibling_pool_files(&dir, &given) {
                let name = crate::source::display_name(&path);
                if let Ok(id) = sources.load(&path, name) {
                    let p = parsed
                        .entry(id)
                        .or_insert_with(|| Rc::new(syntax::parse(id, &sources.get(id).text)));
                    // A main config beside the pool files is not one of them.
                    let is_main = path.file_name().is_some_and(|n| n == "php-fpm.conf")
                        || p.lines.iter().any(|l| {
                            matches!(&l.kind, LineKind::Entry(e) if e.key == "include" && e.index.is_none())
                        });
                    if !reached.contains(&id) && !is_main {
                        context.insert(id);
                        files.push((path, id));
                    }
                }
            }
        }
        files.sort_by_key(|f| name_of(&f.0, f.1));
        let mut l = SetLoader::new(
            sources,
            settings,
            env,
            env_defaults,
            &mut parsed,
            &mut loaded.diagnostics,
        );
        l.set.context = context;
        l.set.label = format!("{}/", crate::source::display_name(&dir));
        match &layout {
            None => {
                l.set.prefix = Some(
                    settings
                        .phpfpm
                        .prefix
                        .as_ref()
                        .unwrap_or(&dir)
                        .to_string_lossy()
                        .into_owned(),
                );
                // No main config: what includes these files, and which files php-fpm loads before each, is
                // unknown, so lines before a file's first section header belong to an unknown section (a
                // header-less fragment continues whatever section the file before it ended in).
                for (_, id) in &files {
                    l.section_unknown = true;
                    l.load_file(*id, 1);
                }
            }
            Some(layout) => {
                l.set.image = Some(ImageUse {
                    image: layout.image.clone(),
                    reason: layout.reason.clone(),
                });
                l.set.prefix = Some(layout.prefix.clone());
                l.container_prefix = true;
                let main = stock_file(l.sources, &mut stock_ids, layout, &layout.main);
                l.set.main = Some(main);
                l.complete = true;
                // The user's files sit in the image's pool directory: same-named stock files are replaced.
                let mut view: Vec<(String, ViewFile)> = files
                    .iter()
                    .map(|(p, id)| {
                        let name = String::from_utf8_lossy(&name_of(p, *id)).into_owned();
                        (format!("{}/{name}", layout.pool_dir), ViewFile::Loaded(*id))
                    })
                    .collect();
                for f in &layout.pool_files {
                    if !view.iter().any(|(c, _)| *c == f.container_path) {
                        let id = stock_file(l.sources, &mut stock_ids, layout, f);
                        view.push((f.container_path.clone(), ViewFile::Loaded(id)));
                    }
                }
                l.view = Some(View {
                    files: view,
                    complete_dirs: Vec::new(),
                    whole: mounted.is_some(),
                });
                l.load_file(main, 0);
            }
        }
        loaded.sets.push(l.finish());
    }
    let context: HashSet<FileId> = loaded
        .sets
        .iter()
        .flat_map(|s| s.context.iter().copied())
        .collect();
    loaded
        .diagnostics
        .retain(|d| !context.contains(&d.span.file));
    collect_files(&mut loaded);
    Ok(loaded)
}

/// Why loading could not start at all (exit status 2).
#[derive(Debug)]
pub enum LoadFailure {
    Io(crate::source::LoadError),
    Image(String),
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadFailure::Io(e) => write!(f, "{e}"),
            LoadFailure::Image(e) => write!(f, "--php-image {e}"),
        }
    }
}

/// The other php-fpm files an `include=DIR/*.conf` would load with the given ones.
fn sibling_pool_files(dir: &Path, given: &HashSet<Vec<u8>>) -> Vec<PathBuf> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| !given.contains(e.file_name().as_encoded_bytes()))
        // `*.conf` in glob(3) does not match a leading dot.
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .map(|e| {
            // Keep the user's spelling (`./x` or `x`) so names show as they gave them.
            if dir == Path::new(".") {
                PathBuf::from(e.file_name())
            } else {
                dir.join(e.file_name())
            }
        })
        .filter(|p| p.extension().is_some_and(|x| x == "conf") && !is_variant(p))
        .filter(|p| crate::discover::classify_path(p) == Some(crate::settings::Kind::PhpFpm))
        .collect();
    out.sort();
    out
}

fn file_name_bytes(p: &Path) -> Vec<u8> {
    p.file_name()
        .map(|n| n.to_string_lossy().as_bytes().to_vec())
        .unwrap_or_default()
}

/// php-fpm's own default is the config's prefix (`prefix/etc/php-fpm.conf`): a main file in a directory
/// named `etc` gets that directory's parent, any other its own directory.
fn default_prefix(main: &Path) -> String {
    let dir = main.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = if dir.file_name().is_some_and(|n| n == "etc") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    prefix.to_string_lossy().into_owned()
}

fn stock_file(
    sources: &mut SourceMap,
    cache: &mut HashMap<String, FileId>,
    layout: &image::Layout,
    file: &image::StockFile,
) -> FileId {
    let name = layout.source_name(file);
    *cache
        .entry(name.clone())
        .or_insert_with(|| sources.add(SourceFile::new(name, None, file.text.clone())))
}

struct SetLoader<'a> {
    sources: &'a mut SourceMap,
    settings: &'a Settings,
    env: Option<&'a Env>,
    parsed: &'a mut HashMap<FileId, Rc<Parsed>>,
    diagnostics: &'a mut Vec<Diagnostic>,
    set: PoolSet,
    /// Pool index by ASCII-lowercased name (php-fpm compares with `strcasecmp`).
    pool_index: HashMap<String, usize>,
    loaded_files: HashSet<FileId>,
    /// The pool the next entry belongs to (`current_wp`); `None` is `[global]`.
    current: Option<usize>,
    /// The section the next entry belongs to is unknown (a file without a header whose including order is
    /// unknown): its entries are not placed, nor judged by section.
    section_unknown: bool,
    /// The container's files, when php-fpm runs in a container: absolute includes are evaluated against it.
    view: Option<View>,
    /// The prefix is a path in the container (the image's), not in the repository.
    container_prefix: bool,
    /// Container directories an include loaded files from.
    included_dirs: HashSet<String>,
    /// The files are php-fpm's whole configuration (a `php-fpm.conf`, or an image's).
    complete: bool,
    /// An include reads files wirelint cannot see (an absolute container path not in the repository, a
    /// pattern from an unknown variable): they may set any pool's directives.
    unseen_include: bool,
}

impl<'a> SetLoader<'a> {
    fn new(
        sources: &'a mut SourceMap,
        settings: &'a Settings,
        env: Option<&'a Env>,
        env_defaults: EnvDefaults,
        parsed: &'a mut HashMap<FileId, Rc<Parsed>>,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> SetLoader<'a> {
        SetLoader {
            sources,
            settings,
            env,
            parsed,
            diagnostics,
            set: PoolSet {
                env: env.cloned(),
                env_defaults,
                ..PoolSet::default()
            },
            current: None,
            section_unknown: false,
            view: None,
            container_prefix: false,
            included_dirs: HashSet::new(),
            complete: false,
            unseen_include: false,
            pool_index: HashMap::new(),
            loaded_files: HashSet::new(),
        }
    }

    fn finish(mut self) -> PoolSet {
        // With the main config known, the set is complete: php-fpm's post-processing checks apply. Not when
        // an include reads files wirelint cannot see: they may complete any pool.
        if self.complete && !self.unseen_include {
            let problems: Vec<(Span, String)> =
                self.set.pools.iter().flat_map(pool_problems).collect();
            for (span, message) in problems {
                self.p000(
                    span,
                    message,
                    Some("php-fpm refuses to start: set the missing or inconsistent directive in this pool".into()),
                );
            }
        }
        self.set
    }

    fn p000(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new("P000", Severity::Error, span, message);
        d.help = help;
        self.diagnostics.push(d);
    }

    fn load_file(&mut self, id: FileId, depth: usize) {
        if self.loaded_files.insert(id) {
            self.set.files.push(id);
        }
        let parsed = match self.parsed.get(&id) {
            Some(p) => Rc::clone(p),
            None => {
                let p = Rc::new(syntax::parse(id, &self.sources.get(id).text));
                self.parsed.insert(id, Rc::clone(&p));
                p
            }
        };
        for e in &parsed.errors {
            self.p000(e.span, e.message.clone(), e.help.clone());
        }
        for line in &parsed.lines {
            match &line.kind {
                LineKind::Section { name, name_span } => {
                    if name.eq_ignore_ascii_case("global") {
                        self.current = None;
                        self.section_unknown = false;
                        continue;
                    }
                    let pools = &mut self.set.pools;
                    let i = *self
                        .pool_index
                        .entry(name.to_ascii_lowercase())
                        .or_insert_with(|| {
                            pools.push(EffectivePool {
                                name: name.clone(),
                                sections: Vec::new(),
                                directives: Vec::new(),
                            });
                            pools.len() - 1
                        });
                    self.set.pools[i].sections.push(*name_span);
                    self.current = Some(i);
                    self.section_unknown = false;
                }
                LineKind::Entry(entry) => {
                    for (name, span, default) in entry.value.env_refs() {
                        // Before PHP 8.3 the scanner reads a variable's name up to the `}`: a `$` in it
                        // is a syntax error.
                        if default
                            && name.contains("${")
                            && self.set.env_defaults == EnvDefaults::NotRead
                        {
                            self.p000(
                                span,
                                format!(
                                    "php-fpm before PHP 8.3 cannot read `${{{name}}}`: a `${{` inside `${{…}}` is a syntax error"
                                ),
                                Some("`${VAR:-default}` needs PHP 8.3 or later: write the value literally".into()),
                            );
                        }
                        self.set.env_refs.push(EnvRef {
                            name: name.to_string(),
                            span,
                            default,
                        });
                    }
                    if entry.key == "include" && entry.index.is_none() {
                        self.include(entry, depth);
                    } else {
                        self.entry(line.span, entry);
                    }
                }
            }
        }
    }

    fn entry(&mut self, line: Span, e: &syntax::Entry) {
        if self.section_unknown {
            return;
        }
        let mut value = if e.value.expression || is_templated(&e.value.raw) {
            None
        } else {
            e.value.resolve(self.env, self.set.env_defaults)
        };
        if let Some(v) = &value {
            if v.contains("$pool") {
                match self.current {
                    Some(i) => value = Some(v.replace("$pool", &self.set.pools[i].name.clone())),
                    None => {
                        self.p000(
                            e.value_span,
                            "`$pool` is used outside a pool section".into(),
                            Some(
                                "php-fpm refuses it: move the line into a `[pool]` section".into(),
                            ),
                        );
                        return;
                    }
                }
            }
        }
        let (key, ty) = match &e.index {
            Some((index, index_span)) => {
                let Some(d) = directives::find_array(&e.key) else {
                    self.unknown(
                        e,
                        if self.current.is_some() {
                            Section::Pool
                        } else {
                            Section::Global
                        },
                    );
                    return;
                };
                if self.current.is_none() {
                    self.p000(
                        e.key_span.to(*index_span),
                        format!("`{}[…]` is not allowed in the global section", e.key),
                        Some(
                            "php-fpm accepts arrays only in a pool section: move it under `[pool]`"
                                .into(),
                        ),
                    );
                    return;
                }
                if index.is_empty() && e.key != "access.suppress_path" {
                    self.p000(
                        e.key_span.to(*index_span),
                        format!("`{}[]` has no key", e.key),
                        Some(format!("name the setting: `{}[name] = value`", e.key)),
                    );
                    return;
                }
                if e.key == "env" && value.as_deref() == Some("") {
                    self.p000(
                        e.value_span,
                        format!("`env[{index}]` has an empty value"),
                        Some(
                            "php-fpm refuses an empty `env[…]`: give a value or remove the line"
                                .into(),
                        ),
                    );
                    return;
                }
                (format!("{}[{}]", e.key, index).into(), d.ty)
            }
            None => {
                let section = if self.current.is_some() {
                    Section::Pool
                } else {
                    Section::Global
                };
                let Some(d) = directives::find(section, &e.key) else {
                    self.unknown(e, section);
                    return;
                };
                (std::borrow::Cow::Borrowed(d.name), d.ty)
            }
        };
        if let Some(v) = &value {
            if let Some(why) = directives::check_value(ty, v) {
                self.p000(
                    e.value_span,
                    format!("php-fpm cannot parse `{}` for `{key}`: {why}", e.value.raw),
                    Some(value_help(ty).into()),
                );
                return;
            }
            // Store what `php-fpm -tt` prints, so equal settings compare equal (`on` and `yes`).
            value = Some(match ty {
                directives::ValueType::FlagArray => if v == "1" { "1" } else { "0" }.into(),
                directives::ValueType::Boolean => if v == "1" { "yes" } else { "no" }.into(),
                directives::ValueType::Pm => v.to_ascii_lowercase(),
                _ => v.clone(),
            });
        }
        let assignment = Assignment {
            key_span: e.key_span,
            value_span: e.value_span,
            line,
            raw: e.value.raw.clone(),
            value,
        };
        let list = match self.current {
            Some(i) => &mut self.set.pools[i].directives,
            None => &mut self.set.global,
        };
        // `access.suppress_path[]` entries do not replace each other: php-fpm keeps every one.
        let existing = if e.key == "access.suppress_path" {
            None
        } else {
            list.iter_mut()
                .find(|d| same_list(&d.key) == same_list(&key))
        };
        match existing {
            Some(d) => d.assignments.push(assignment),
            None => list.push(EffectiveDirective {
                key,
                assignments: vec![assignment],
            }),
        }
    }

    fn unknown(&mut self, e: &syntax::Entry, section: Section) {
        let span = match &e.index {
            Some((_, s)) => e
                .key_span
                .to(Span::new(s.file, s.start as usize, s.end as usize + 1)),
            None => e.key_span,
        };
        self.set.unknown.push(UnknownKey {
            span,
            key: e.key.clone(),
            section,
        });
    }

    /// Finds where an absolute container path lives in the repository: the files beside the main config
    /// usually mirror the container's tree (`repo/etc/php/8.2/fpm/php-fpm.conf` including
    /// `/etc/php/8.2/fpm/pool.d/*.conf`). Tries the ancestors of the main file's directory, nearest first,
    /// with the path's tails of two or more directories. The host's own root is used only when the path
    /// shares a directory with the main file (a config checked in place, e.g. under `/etc`).
    fn locate_container_path(&self, joined: &str) -> Option<PathBuf> {
        let main = self.set.main.or(self.set.files.first().copied())?;
        let main_path = self.sources.get(main).path.as_ref()?;
        let main_dir = crate::source::normalize(main_path.parent()?);
        let container = Path::new(joined);
        let dir = container.parent()?;
        let comps: Vec<_> = dir.components().skip(1).collect();
        let file_name = container.file_name()?;
        for ancestor in main_dir.ancestors().take(12) {
            if ancestor.parent().is_none() {
                let shared = main_dir.components().nth(1).is_some()
                    && main_dir.components().nth(1) == container.components().nth(1);
                if shared && dir.is_dir() {
                    return Some(container.to_path_buf());
                }
                break;
            }
            for start in 0..comps.len().saturating_sub(1) {
                let mut candidate = ancestor.to_path_buf();
                candidate.extend(&comps[start..]);
                if candidate.is_dir() {
                    return Some(candidate.join(file_name));
                }
            }
        }
        None
    }

    fn include(&mut self, e: &syntax::Entry, depth: usize) {
        let Some(pattern) = e.value.resolve(self.env, self.set.env_defaults) else {
            self.unseen_include = true;
            return;
        };
        if pattern.is_empty() {
            return;
        }
        if depth + 1 >= MAX_DEPTH {
            self.p000(
                e.value_span,
                format!("php-fpm refuses more than {MAX_DEPTH} nested files (an include cycle?)"),
                Some("include pool files from the main php-fpm.conf only".into()),
            );
            return;
        }
        let prefix = self.set.prefix.clone().unwrap_or_else(|| ".".into());
        let joined = if pattern.starts_with('/') {
            pattern.clone()
        } else {
            format!("{}/{}", prefix.trim_end_matches('/'), pattern)
        };
        if self.view.is_some() && joined.starts_with('/') {
            self.include_in_container(e, pattern, &joined, depth);
            return;
        }
        let mapped = if joined.starts_with('/') {
            PathMapping::resolve(&self.settings.path_map, Path::new(&joined))
                .or_else(|| self.locate_container_path(&joined))
        } else {
            None
        };
        // Whether a missing file is known to be missing: the path is in the repository (relative to a host
        // prefix, or found under it), or its directory is here. A bare container path may exist only in
        // the image.
        let checkable = mapped.is_some()
            || (!pattern.starts_with('/') && !self.container_prefix)
            || Path::new(&joined).parent().is_some_and(Path::is_dir);
        let is_mapped = mapped.is_some();
        let resolved = mapped.unwrap_or_else(|| PathBuf::from(&joined));
        let is_glob = pattern.contains(['*', '?', '[']);
        let mut matches = self.host_matches(&resolved, is_glob);
        // glob(3) sorts by bytes (LC_COLLATE=C in the container).
        matches.sort_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        // A glob's directory is known to be missing only where the repository is known to mirror the
        // container: through `--map`, or relative to a prefix that is given or laid out as php-fpm's
        // (`prefix/etc/php-fpm.conf`). A copy of the image's php-fpm.conf kept elsewhere runs with the
        // image's prefix, where the directory exists.
        let main_in_etc = self
            .set
            .main
            .and_then(|m| self.sources.get(m).path.as_deref())
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|n| n == "etc");
        let dir_checkable = is_mapped
            || (!pattern.starts_with('/')
                && !self.container_prefix
                && (self.settings.phpfpm.prefix.is_some() || main_in_etc));
        let missing_dir = glob_in_literal_dir(&pattern)
            && dir_checkable
            && resolved.parent().is_some_and(|d| !d.exists());
        self.set.includes.push(IncludeSite {
            value_span: e.value_span,
            pattern: pattern.clone(),
            resolved: resolved.clone(),
            // glob(3) returns a directory marked with `/`, which php-fpm skips: not missing.
            missing: !is_glob && matches.is_empty() && checkable && !resolved.is_dir(),
            missing_dir,
        });
        self.unseen_include |= matches.is_empty() && !checkable;
        for path in matches {
            let name = crate::source::display_name(&path);
            match self.sources.load(&path, name) {
                Ok(id) => self.load_file(id, depth + 1),
                Err(err) => self.p000(
                    e.value_span,
                    format!("cannot read included file: {err}"),
                    None,
                ),
            }
        }
    }
}

impl SetLoader<'_> {
    /// An include evaluated against the container's filesystem ([`View`]): every container path the pattern
    /// matches, in byte order, whichever host directory (or image) the file comes from. Repository files
    /// found through `--map` (or, outside the stack, beside the main config) join at their container paths.
    fn include_in_container(
        &mut self,
        e: &syntax::Entry,
        pattern: String,
        joined: &str,
        depth: usize,
    ) {
        let Some(view) = &self.view else { return };
        let is_glob = pattern.contains(['*', '?', '[']);
        // glob(3) as php-fpm calls it: `/` and a leading `.` only match literally.
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let compiled = if is_glob {
            glob::Pattern::new(joined).ok()
        } else {
            None
        };
        let matches = |c: &str| match &compiled {
            Some(p) => p.matches_with(c, opts),
            None => !is_glob && c == joined,
        };
        let mut found: std::collections::BTreeMap<Vec<u8>, ViewFile> = view
            .files
            .iter()
            .filter(|(c, _)| matches(c))
            .map(|(c, f)| (c.as_bytes().to_vec(), f.clone()))
            .collect();
        let under = |dir: &str, c: &str| c.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
        let complete = view.complete_dirs.iter().any(|d| under(d, joined));
        // A literal include of a directory: glob(3) marks it with `/` and php-fpm skips it, not missing.
        let view_dir = !is_glob
            && (view.files.iter().any(|(c, _)| under(joined, c))
                || view.complete_dirs.iter().any(|d| d == joined));
        // The stack's view already lists the configuration directories the repository fills (less what a
        // `.dockerignore` keeps out of a COPY): the mounts are asked only for directories it does not show.
        let literal_dir = joined[..joined.find(['*', '?', '[']).unwrap_or(joined.len())]
            .rsplit_once('/')
            .map_or("", |(d, _)| d);
        let shown = view.whole && view.files.iter().any(|(c, _)| under(literal_dir, c));
        let host = if shown {
            None
        } else {
            self.map_to_host(joined)
        };
        let mut resolved = PathBuf::from(joined);
        if let Some((container_base, host_base)) = &host {
            let rest = Path::new(joined)
                .strip_prefix(container_base)
                .unwrap_or(Path::new(""));
            resolved = host_base.join(rest);
            for h in self.host_matches(&resolved, is_glob) {
                if let Ok(rel) = h.strip_prefix(host_base) {
                    let c = container_base.join(rel).to_string_lossy().into_owned();
                    found.insert(c.into_bytes(), ViewFile::Host(h));
                }
            }
        }
        // A glob's directory under a bind-mounted directory exists exactly when the repository has it.
        let missing_dir = glob_in_literal_dir(&pattern)
            && complete
            && host.is_some()
            && !view.files.iter().any(|(c, _)| under(literal_dir, c))
            && !view
                .complete_dirs
                .iter()
                .any(|d| d == literal_dir || under(literal_dir, d))
            && resolved.parent().is_some_and(|d| !d.exists());
        self.set.includes.push(IncludeSite {
            value_span: e.value_span,
            pattern,
            resolved: resolved.clone(),
            missing: !is_glob
                && found.is_empty()
                && (complete || host.is_some())
                && !view_dir
                && !(host.is_some() && resolved.is_dir()),
            missing_dir,
        });
        self.unseen_include |= found.is_empty() && !complete && host.is_none() && !view_dir;
        for c in found.keys() {
            let c = String::from_utf8_lossy(c);
            if let Some((dir, _)) = c.rsplit_once('/') {
                self.included_dirs.insert(dir.to_string());
            }
        }
        for f in found.into_values() {
            let id = match f {
                ViewFile::Loaded(id) => id,
                ViewFile::Host(path) => {
                    let name = crate::source::display_name(&path);
                    match self.sources.load(&path, name) {
                        Ok(id) => id,
                        Err(err) => {
                            self.p000(
                                e.value_span,
                                format!("cannot read included file: {err}"),
                                None,
                            );
                            continue;
                        }
                    }
                }
            };
            self.load_file(id, depth + 1);
        }
    }

    /// The container directory and the repository directory that holds it, for a container path: through
    /// `--map` (longest prefix), else, outside the stack, found beside the main config.
    fn map_to_host(&self, joined: &str) -> Option<(PathBuf, PathBuf)> {
        let path = Path::new(joined);
        if let Some(m) = self
            .settings
            .path_map
            .iter()
            .filter(|m| path.starts_with(&m.container))
            .max_by_key(|m| m.container.components().count())
        {
            return Some((m.container.clone(), m.host.clone()));
        }
        if self.view.as_ref().is_some_and(|v| v.whole) {
            return None;
        }
        let host_file = self.locate_container_path(joined)?;
        Some((
            path.parent()?.to_path_buf(),
            host_file.parent()?.to_path_buf(),
        ))
    }

    /// Repository files a resolved include pattern matches (files only, as php-fpm skips directories).
    fn host_matches(&self, resolved: &Path, is_glob: bool) -> Vec<PathBuf> {
        if !is_glob {
            return if self.sources.exists(resolved) && !resolved.is_dir() {
                vec![resolved.to_path_buf()]
            } else {
                Vec::new()
            };
        }
        crate::fsglob::glob_sorted(&resolved.to_string_lossy())
            .into_iter()
            .map(|m| m.path)
            .filter(|p| p.is_file())
            .collect()
    }
}

/// The container's filesystem as php-fpm's includes see it.
#[derive(Clone, Debug)]
struct View {
    /// Container path → file.
    files: Vec<(String, ViewFile)>,
    /// Container directories whose whole content is known: a literal include missing there is missing.
    complete_dirs: Vec<String>,
    /// The view is all the repository shows of the container (the stack): host paths are not guessed from
    /// the directory layout beside the main config.
    whole: bool,
}

#[derive(Clone, Debug)]
enum ViewFile {
    Loaded(FileId),
    /// A repository file, read when an include reaches it.
    Host(PathBuf),
}

/// The key of the list an array entry goes to: `php_flag[…]` shares `php_value[…]`'s list and
/// `php_admin_flag[…]` `php_admin_value[…]`'s (`fpm_conf.c`; measured with php-fpm 8.2 through FastCGI: of
/// `php_value[display_errors] = stderr` then `php_flag[display_errors] = off`, the first line wins).
fn same_list(key: &str) -> std::borrow::Cow<'_, str> {
    match key.split_once('[') {
        Some(("php_flag", rest)) => format!("php_value[{rest}").into(),
        Some(("php_admin_flag", rest)) => format!("php_admin_value[{rest}").into(),
        _ => key.into(),
    }
}

/// What `fpm_conf_process_all_pools` refuses in a pool whose values are known, in php-fpm's words.
fn pool_problems(pool: &EffectivePool) -> Vec<(Span, String)> {
    let Some(&at) = pool.sections.first() else {
        return Vec::new();
    };
    let name = &pool.name;
    let value = |k: &str| pool.get(k).map(|d| d.winner().value.clone());
    // `atoi`: unset or unknown counts as 0 only when it is really unset.
    let int = |k: &str| -> Option<i64> {
        match value(k) {
            None => Some(0),
            Some(None) => None,
            Some(Some(v)) => Some(v.parse().unwrap_or(0)),
        }
    };
    let mut out = Vec::new();
    // A missing `user` is only refused when php-fpm runs as root; many images run it as their own user.
    match value("listen") {
        Some(None) => {} // depends on the environment
        Some(Some(v)) if !v.is_empty() => {}
        _ => out.push(format!("pool `{name}` has no listen address")),
    }
    let pm = value("pm");
    if pm.is_none() {
        out.push(format!(
            "pool `{name}` has no process manager (`pm = static`, `dynamic` or `ondemand`)"
        ));
    }
    let max_children = int("pm.max_children");
    if max_children.is_some_and(|n| n < 1) {
        out.push(format!(
            "pool `{name}`: pm.max_children must be a positive value"
        ));
    }
    if let (Some(Some(pm)), Some(max)) = (&pm, max_children) {
        if pm == "dynamic" {
            if let (Some(min_spare), Some(max_spare), Some(start)) = (
                int("pm.min_spare_servers"),
                int("pm.max_spare_servers"),
                int("pm.start_servers"),
            ) {
                if min_spare <= 0 {
                    out.push(format!(
                        "pool `{name}`: pm.min_spare_servers({min_spare}) must be a positive value"
                    ));
                } else if max_spare <= 0 {
                    out.push(format!(
                        "pool `{name}`: pm.max_spare_servers({max_spare}) must be a positive value"
                    ));
                } else if min_spare > max || max_spare > max {
                    out.push(format!(
                        "pool `{name}`: pm.min_spare_servers({min_spare}) and pm.max_spare_servers({max_spare}) cannot be greater than pm.max_children({max})"
                    ));
                } else if max_spare < min_spare {
                    out.push(format!(
                        "pool `{name}`: pm.max_spare_servers({max_spare}) must not be less than pm.min_spare_servers({min_spare})"
                    ));
                } else if start > 0 && (start < min_spare || start > max_spare) {
                    out.push(format!(
                        "pool `{name}`: pm.start_servers({start}) must not be less than pm.min_spare_servers({min_spare}) and not greater than pm.max_spare_servers({max_spare})"
                    ));
                }
            }
        }
    }
    out.into_iter().map(|m| (at, m)).collect()
}

/// A placeholder a template engine fills in before php-fpm reads the file (`{{ x }}`, `{% … %}`,
/// `@NAME@`): the value is unknown, not wrong.
pub fn is_templated(raw: &str) -> bool {
    if raw.contains("{{") || raw.contains("{%") {
        return true;
    }
    let mut parts = raw.split('@');
    parts.next();
    let inner: Vec<&str> = parts.collect();
    // `@NAME@`: an odd split with a non-empty identifier between two `@`.
    inner.len() >= 2
        && inner[..inner.len() - 1]
            .iter()
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// Files named as one variant of several (`zz-docker.production.conf`, `www.conf.example`) are
/// alternatives, not files php-fpm loads side by side: each is checked on its own.
fn is_variant(path: &Path) -> bool {
    const MARKERS: &[&str] = &[
        "example",
        "sample",
        "dist",
        "default",
        "template",
        "tpl",
        "orig",
        "bak",
        "production",
        "prod",
        "development",
        "dev",
        "staging",
        "test",
        "local",
    ];
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.split('.').skip(1).any(|part| MARKERS.contains(&part))
}

fn value_help(ty: directives::ValueType) -> &'static str {
    use directives::ValueType::*;
    match ty {
        Integer => "write a whole number, e.g. `5`",
        Time => "write a number of seconds, optionally with a unit: `30s`, `5m`, `1h`, `1d`",
        Boolean | FlagArray => {
            "write `yes` or `no` (php-fpm also takes `on`/`off`, `true`/`false`, `1`/`0`)"
        }
        Pm => "use `static`, `dynamic` or `ondemand`",
        LogLevel => "use `alert`, `error`, `warning`, `notice` or `debug`",
        RlimitCore => "write a number of bytes or `unlimited`",
        SyslogFacility => "use a syslog facility such as `daemon` or `local0`",
        String | Array => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_variants() {
        assert!(is_templated("{{PHP_MAX_CHILDREN}}"));
        assert!(is_templated("@FPM_PM_MAX_CHILDREN@"));
        assert!(is_templated("{% if x %}"));
        assert!(!is_templated("user@example.com"));
        assert!(!is_templated("9000"));
        assert!(is_variant(Path::new("x/zz-docker.production.conf")));
        assert!(is_variant(Path::new("x/www.conf.example")));
        assert!(!is_variant(Path::new("x/zz-docker.conf")));
        assert!(!is_variant(Path::new(
            "x/docker-php-serversideup-pool.conf"
        )));
    }

    #[test]
    fn listen_addresses() {
        let p = |s: &str| ListenAddress::parse(s, Some("/usr/local")).unwrap();
        assert_eq!(
            p("9000"),
            ListenAddress::AllAddresses {
                port: "9000".into()
            }
        );
        assert_eq!(
            p("[::]:9000"),
            ListenAddress::AllAddresses {
                port: "9000".into()
            }
        );
        assert_eq!(
            p("0.0.0.0:9000"),
            ListenAddress::AllAddresses {
                port: "9000".into()
            }
        );
        assert!(p("127.0.0.1:9000").is_loopback());
        assert!(p("localhost:9000").is_loopback());
        assert!(p("[::1]:9000").is_loopback());
        assert!(!p("10.0.0.2:9000").is_loopback());
        assert_eq!(
            p("run/a.sock"),
            ListenAddress::Unix {
                path: "/usr/local/run/a.sock".into()
            }
        );
    }
}
