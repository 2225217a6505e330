//! The stack: compose services joined with the nginx and php-fpm configurations that run in them.
//!
//! For each active service of each compose project wirelint works out the container's filesystem as far as
//! the repository shows it ([`ContainerFiles`]: bind mounts, `configs:`/`secrets:` with `file:`, the files a
//! `build:` Dockerfile copies in, and the stock files of known images under all of them), then which nginx
//! main configuration and which php-fpm pool set the container runs, loaded through that filesystem. Files
//! placed into a service are linted there, in stack context, and not again on their own.

pub mod build;
pub mod dockerfile;
pub mod explain;
pub mod graph;
pub mod images;
pub mod mounts;
pub mod resolve;
pub mod targets;

use crate::compose::model::{MountKind, Service};
use crate::compose::yaml::Node;
use crate::compose::{LoadedProject, Project};
use crate::diagnostic::Diagnostic;
use crate::discover::Input;
use crate::settings::{ContainerFiles, Kind, Settings};
use crate::source::{normalize, FileId, SourceMap, Span};
use images::{Family, ImageRef};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Where a container path came from (for related locations and `explain`).
#[derive(Clone, Debug)]
pub struct Origin {
    /// The container path (a file, or a directory for a directory mount).
    pub container: String,
    pub host: Option<PathBuf>,
    /// The compose line (or Dockerfile line) that put it there; `None` for an image's stock file.
    pub span: Option<Span>,
    pub what: String,
}

/// One compose service with what runs in it.
#[derive(Debug)]
pub struct Placement {
    pub project: usize,
    pub service: usize,
    pub fs: ContainerFiles,
    pub origins: Vec<Origin>,
    pub image: Option<ImageRef>,
    /// The environment the container starts with as the repository shows it (the image's `ENV` from a
    /// `build:` Dockerfile, `env_file`, `environment`); `None` when an `env_file` cannot be read.
    pub env: Option<HashMap<String, String>>,
    /// Whether [`Placement::env`] is all of it: the image at the root is one whose own `ENV` is known
    /// ([`ImageRef::env_known`]). Only then is a variable missing from it unset.
    pub env_complete: bool,
    /// The directory the container's command starts in (`working_dir`, else the Dockerfile's `WORKDIR`),
    /// when known.
    pub workdir: Option<String>,
    /// The `CMD` of the image a `build:` Dockerfile makes, when the file shows it (see
    /// [`dockerfile::Dockerfile::effective_cmd`]).
    pub image_cmd: Option<dockerfile::Command>,
    /// The Dockerfile a `build:` reads, when it is in the repository.
    pub dockerfile: Option<FileId>,
    /// The nginx configuration the service runs.
    pub nginx: Option<crate::nginx::Config>,
    /// The php-fpm configuration the service runs.
    pub fpm: Option<crate::phpfpm::PoolSet>,
    /// Whether `fpm` holds the image's stock files too, so its effective values are the container's.
    pub fpm_complete: bool,
    /// A `RUN` of the image's Dockerfile touches php-fpm's configuration (`sed -i … www.conf`, `echo … >
    /// php-fpm.d/zz.conf`): the files the repository shows are not what php-fpm reads.
    pub fpm_edited: bool,
}

/// Every compose project of a run with its services placed.
#[derive(Debug, Default)]
pub struct Stack {
    pub projects: Vec<LoadedProject>,
    pub placements: Vec<Placement>,
    /// Loader findings (N000, N004, P000 …) of the placed configurations.
    pub diagnostics: Vec<Diagnostic>,
    /// Repository files linted as part of a service (not again on their own).
    pub placed_files: HashSet<PathBuf>,
}

impl Stack {
    pub fn project(&self, p: &Placement) -> &Project {
        &self.projects[p.project].project
    }

    pub fn service(&self, p: &Placement) -> &Service {
        &self.projects[p.project].project.services[p.service]
    }

    pub fn name(&self, i: usize) -> &str {
        &self.service(&self.placements[i]).name.value
    }

    /// The placement of service `name` in the project of placement `near`.
    pub fn find(&self, project: usize, name: &str) -> Option<usize> {
        self.placements.iter().position(|p| {
            p.project == project
                && self.projects[project].project.services[p.service]
                    .name
                    .value
                    .eq_ignore_ascii_case(name)
        })
    }

    /// Whether the service publishes container port `port` on the host.
    pub fn publishes(&self, i: usize, port: u16) -> Option<Span> {
        self.service(&self.placements[i])
            .ports
            .iter()
            .find(|b| b.target == port)
            .map(|b| b.span)
    }

    /// The origin of a container path: the mount or copy that placed it (or a directory above it).
    pub fn origin<'a>(&'a self, p: &'a Placement, container: &str) -> Option<&'a Origin> {
        p.origins
            .iter()
            .filter(|o| under(container, &o.container).is_some())
            .max_by_key(|o| o.container.len())
    }

    /// The container path of a repository file placed in the service.
    pub fn container_path_of(&self, p: &Placement, host: &Path) -> Option<String> {
        let host = normalize(host);
        p.fs.files
            .iter()
            .find(|(_, h)| normalize(h) == host)
            .map(|(c, _)| c.clone())
    }
}

/// The rest of container path `path` below directory `dir` (`""` for `dir` itself), or `None` when
/// `path` is not at or under `dir`. Both are clean absolute paths; `dir` may end with `/`.
pub fn under<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    let dir = dir.trim_end_matches('/');
    if path == dir {
        return Some("");
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// The build context directory of `build` (relative contexts resolve against the directory of the file
/// that wrote them, see [`Project::dir_for`]).
pub fn build_context(project: &Project, build: &crate::compose::model::Build) -> PathBuf {
    let (context, span) = match (&build.context, &build.dockerfile) {
        (Some(c), _) => (c.value.as_str(), c.span),
        (None, Some(d)) => (".", d.span),
        (None, None) => (".", build.span),
    };
    clean(project.dir_for(span), context)
}

/// `dir/rel` with `.` and inner `..` removed lexically, kept relative when `dir` is (for display; compare
/// with [`normalize`]).
pub fn clean(dir: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in dir.join(rel).components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                let last_is_parent = matches!(
                    out.components().next_back(),
                    None | Some(std::path::Component::ParentDir)
                );
                if last_is_parent {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The raw node of a service in the merged compose tree.
fn join_container(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut s = dir.trim_end_matches('/').to_string();
    s.push('/');
    s.push_str(rel.trim_start_matches("./"));
    s
}

/// Deepest and widest a mounted directory is listed.
const MAX_DIR_DEPTH: usize = 6;
const MAX_DIR_FILES: usize = 4000;

/// Container directories where nginx and php-fpm configuration lives: only mounts at, above or under
/// them are listed (an application's code mounted at `/var/www/html` is not).
const CONFIG_ROOTS: &[&str] = &[
    "/etc",
    "/usr/local/etc",
    "/usr/local/openresty",
    "/opt/bitnami",
];

fn config_dir(container: &str) -> bool {
    let c = container.trim_end_matches('/');
    CONFIG_ROOTS.iter().any(|r| {
        c.is_empty()
            || r.strip_prefix(c)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            || c.strip_prefix(r)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Lists the files under `host` as container paths under `container`.
fn list_dir(host: &Path, container: &str, out: &mut Vec<(String, PathBuf)>) {
    fn walk(h: &Path, c: &str, depth: usize, out: &mut Vec<(String, PathBuf)>) {
        if depth > MAX_DIR_DEPTH || out.len() >= MAX_DIR_FILES {
            return;
        }
        let Ok(rd) = std::fs::read_dir(h) else { return };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if matches!(name.as_str(), ".git" | "node_modules" | "vendor") {
                continue;
            }
            let path = e.path();
            let cpath = format!("{}/{}", c.trim_end_matches('/'), name);
            let Ok(ty) = e.file_type() else { continue };
            // A symlink is followed the way the container would (cheaply: one stat).
            let ty_dir = ty.is_dir() || (ty.is_symlink() && path.is_dir());
            if ty_dir {
                if config_dir(&cpath) {
                    walk(&path, &cpath, depth + 1, out);
                }
            } else {
                out.push((cpath, path));
            }
        }
    }
    walk(host, container, 0, out);
}

struct FsBuilder {
    /// Later entries replace earlier ones at the same container path.
    files: Vec<(String, PathBuf)>,
    complete: Vec<String>,
    origins: Vec<Origin>,
}

impl FsBuilder {
    fn add_file(&mut self, container: String, host: PathBuf) {
        self.files.retain(|(c, _)| *c != container);
        self.files.push((container, host));
    }

    /// A mount hides what the image had at and under `container`.
    fn mount_dir(&mut self, container: &str, host: &Path) {
        let prefix = format!("{}/", container.trim_end_matches('/'));
        self.files.retain(|(c, _)| !c.starts_with(&prefix));
        let mut listed = Vec::new();
        list_dir(host, container, &mut listed);
        self.files.extend(listed);
        self.complete
            .push(container.trim_end_matches('/').to_string());
    }

    fn finish(mut self) -> (ContainerFiles, Vec<Origin>) {
        self.files
            .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        self.files.dedup_by(|a, b| a.0 == b.0);
        (
            ContainerFiles {
                files: self.files,
                complete_dirs: self.complete,
            },
            self.origins,
        )
    }
}

/// The service's environment: the `ENV` of the image its Dockerfile builds, then `env_file`s, then
/// `environment` (values from the project's variables when only a name is given). `None` when some part
/// is unknown.
fn service_env(
    project: &Project,
    svc: &Service,
    image_env: &[(String, String)],
) -> Option<HashMap<String, String>> {
    let mut env: HashMap<String, String> = image_env.iter().cloned().collect();
    for f in &svc.env_file {
        let path = project.dir_for(f.span).join(&f.value);
        let text = crate::source::read_to_string(&path).ok()?;
        for (k, v) in crate::compose::load::parse_env_file(&text, &project.environment).ok()? {
            env.insert(k, v);
        }
    }
    for v in &svc.environment {
        let value = match &v.value {
            Some(s) => s.value.clone(),
            None => project.environment.get(&v.name.value)?.clone(),
        };
        env.insert(v.name.value.clone(), value);
    }
    Some(env)
}

/// What `envsubst "$defined_envs"` makes of a template: `$NAME` and `${NAME}` replaced for the names set
/// in the environment, everything else (nginx's own `$host` …) left alone.
pub fn envsubst(text: &str, env: &HashMap<String, String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let (name, end) = if bytes.get(i + 1) == Some(&b'{') {
                match text[i + 2..].find('}') {
                    Some(close) => (&text[i + 2..i + 2 + close], i + 3 + close),
                    None => ("", i + 1),
                }
            } else {
                let len = text[i + 1..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                (&text[i + 1..i + 1 + len], i + 1 + len)
            };
            if let Some(v) = (!name.is_empty()).then(|| env.get(name)).flatten() {
                out.push_str(v);
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

fn container_fs(
    sources: &mut SourceMap,
    project: &Project,
    svc: &Service,
    node: Option<&Node>,
    image: &Option<ImageRef>,
    copies: &[build::Copy],
    env: &Option<HashMap<String, String>>,
) -> (ContainerFiles, Vec<Origin>) {
    let mut b = FsBuilder {
        files: Vec::new(),
        complete: Vec::new(),
        origins: Vec::new(),
    };
    // The image's stock files first: everything else is placed over them.
    if let Some(img) = image {
        for (container, text) in images::stock_files(img) {
            let overlay = PathBuf::from(format!("<{}>{}", img.reference, container));
            sources.set_overlay(&overlay, text.to_string());
            b.add_file(container.to_string(), overlay);
            b.origins.push(Origin {
                container: container.to_string(),
                host: None,
                span: None,
                what: format!("stock file of `{}`", img.reference),
            });
        }
    }
    for c in copies {
        // A COPY adds to what the image has at the destination (unlike a mount, it hides nothing).
        for (container, host) in &c.files {
            b.add_file(container.clone(), host.clone());
        }
        b.origins.push(Origin {
            container: c.container.clone(),
            host: Some(c.host.clone()),
            span: Some(c.span),
            what: "the Dockerfile's COPY/ADD (build context)".into(),
        });
    }
    // configs:/secrets: with `file:`.
    for (key, default_dir) in [("configs", "/"), ("secrets", "/run/secrets/")] {
        let Some(items) = node.and_then(|n| n.get(key)).and_then(Node::as_seq) else {
            continue;
        };
        for item in items {
            let (source, target) = match item.as_str() {
                Some(s) => (s.to_string(), None),
                None => (
                    item.get("source")
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    item.get("target")
                        .and_then(Node::as_str)
                        .map(str::to_string),
                ),
            };
            let Some((file, file_span)) = project
                .root
                .get(key)
                .and_then(|c| c.get(&source))
                .and_then(|c| c.get("file"))
                .and_then(|n| Some((n.as_str()?, n.span)))
            else {
                continue;
            };
            let target = match target {
                Some(t) if t.starts_with('/') => t,
                Some(t) => format!("{default_dir}{t}"),
                None => format!("{default_dir}{source}"),
            };
            let host = clean(project.dir_for(file_span), file);
            b.add_file(target.clone(), host.clone());
            b.origins.push(Origin {
                container: target,
                host: Some(host),
                span: Some(item.head_span()),
                what: format!("`{key}: {source}`"),
            });
        }
    }
    for v in &svc.volumes {
        if v.kind != MountKind::Bind {
            continue;
        }
        let Some(src) = &v.source else { continue };
        let target = v.target.value.trim_end_matches('/').to_string();
        if src.value.starts_with('~') || !target.starts_with('/') {
            continue;
        }
        let host = clean(project.dir_for(src.span), &src.value);
        if host.is_dir() {
            b.mount_dir(&target, &host);
        } else {
            b.add_file(target.clone(), host.clone());
        }
        b.origins.push(Origin {
            container: target,
            host: Some(host),
            span: Some(v.span),
            what: format!(
                "a bind mount{}",
                if v.read_only { " (read-only)" } else { "" }
            ),
        });
    }
    // The official nginx image renders templates into conf.d at start.
    let runs_nginx_entrypoint = image.as_ref().is_some_and(|i| i.family == Family::Nginx);
    if runs_nginx_entrypoint {
        let empty = HashMap::new();
        let env_map = env.as_ref().unwrap_or(&empty);
        let templates: Vec<(String, PathBuf)> = b
            .files
            .iter()
            .filter(|(c, _)| c.starts_with("/etc/nginx/templates/") && c.ends_with(".template"))
            .cloned()
            .collect();
        for (c, host) in templates {
            let Ok(text) = crate::source::read_to_string(&host) else {
                continue;
            };
            let rel = &c["/etc/nginx/templates/".len()..c.len() - ".template".len()];
            let out = format!("/etc/nginx/conf.d/{rel}");
            let rendered = PathBuf::from(format!("{} (rendered)", host.display()));
            sources.set_overlay(&rendered, envsubst(&text, env_map));
            b.add_file(out.clone(), rendered);
            b.origins.push(Origin {
                container: out,
                host: Some(host.clone()),
                span: None,
                what: "rendered from its template by the image's envsubst".into(),
            });
        }
    }
    b.finish()
}

const FPM_POOL_DIR: &str = "/usr/local/etc/php-fpm.d/";
const FPM_MAIN: &str = "/usr/local/etc/php-fpm.conf";

fn is_repo_file(p: &Path) -> bool {
    is_repo_path(p)
}

/// Whether a source path is a repository file (not an image's stock file or a rendered template).
pub fn is_repo_path(p: &Path) -> bool {
    let s = p.to_string_lossy();
    !s.starts_with('<') && !s.ends_with(" (rendered)")
}

/// Builds the stack of every project. Loader findings of the placed configurations go to
/// [`Stack::diagnostics`].
pub fn build(sources: &mut SourceMap, projects: Vec<LoadedProject>, settings: &Settings) -> Stack {
    let mut stack = Stack {
        projects,
        ..Stack::default()
    };
    for pi in 0..stack.projects.len() {
        // Each service's node, found once: looking it up in the mapping per service was quadratic
        // (10,000 services: 0.4 s).
        let mut nodes: std::collections::HashMap<&str, &Node> = std::collections::HashMap::new();
        if let Some(map) = stack.projects[pi]
            .project
            .root
            .get("services")
            .and_then(Node::as_map)
        {
            for e in map.iter().rev() {
                nodes.insert(&e.key.text, &e.value);
            }
        }
        for si in 0..stack.projects[pi].project.services.len() {
            let project = &stack.projects[pi].project;
            let svc = &project.services[si];
            let node = nodes.get(svc.name.value.as_str()).copied();
            if !svc.active {
                continue;
            }
            let built = build::for_service(sources, project, svc);
            let env = service_env(
                project,
                svc,
                built.as_ref().map_or(&[][..], |b| b.env.as_slice()),
            );
            let workdir = node
                .and_then(|n| n.get("working_dir"))
                .and_then(Node::as_str)
                .map(str::to_string)
                .or_else(|| built.as_ref().and_then(|b| b.workdir.clone()));
            let image_cmd = built.as_ref().and_then(|b| b.cmd.clone());
            let dockerfile = built.as_ref().map(|b| b.file);
            let fpm_edited = built
                .as_ref()
                .is_some_and(|b| b.runs.iter().any(|r| edits_fpm_config(r)));
            let image = match (&svc.image, &built) {
                (_, Some(b)) if b.base.is_some() => b.base.clone(),
                (Some(img), _) => Some(ImageRef::parse(&img.value, img.span, false)),
                _ => None,
            };
            let copies = built.map(|b| b.copies).unwrap_or_default();
            let (fs, origins) = container_fs(sources, project, svc, node, &image, &copies, &env);
            let mut placement = Placement {
                project: pi,
                service: si,
                fs,
                origins,
                env_complete: env.is_some() && image.as_ref().is_some_and(ImageRef::env_known),
                image,
                env,
                workdir,
                image_cmd,
                dockerfile,
                nginx: None,
                fpm: None,
                fpm_complete: false,
                fpm_edited,
            };
            place_nginx(sources, settings, &mut placement, &mut stack.diagnostics);
            place_fpm(sources, settings, &mut placement, &mut stack.diagnostics);
            if fpm_edited {
                placement.fpm_complete = false;
            }
            for f in placed_repo_files(sources, &placement) {
                stack.placed_files.insert(f);
            }
            stack.placements.push(placement);
        }
    }
    stack
}

fn placed_repo_files(sources: &SourceMap, p: &Placement) -> Vec<PathBuf> {
    let mut ids: Vec<FileId> = Vec::new();
    if let Some(c) = &p.nginx {
        ids.extend(c.files());
    }
    if let Some(s) = &p.fpm {
        ids.extend(s.files.iter().copied());
    }
    let mut out: Vec<PathBuf> = ids
        .into_iter()
        .filter_map(|id| sources.get(id).path.clone())
        .filter(|p| is_repo_file(p))
        .map(|p| normalize(&p))
        .collect();
    // A rendered template stands for its template file.
    for o in &p.origins {
        if o.what.starts_with("rendered") {
            if let Some(h) = &o.host {
                out.push(normalize(h));
            }
        }
    }
    out
}

fn place_nginx(
    sources: &mut SourceMap,
    settings: &Settings,
    p: &mut Placement,
    diags: &mut Vec<Diagnostic>,
) {
    let user_nginx_files =
        p.fs.files
            .iter()
            .any(|(c, h)| c.starts_with("/etc/nginx/") && is_repo_file(h));
    if !user_nginx_files {
        return; // stock configuration only: nothing of the repository runs here
    }
    let main = match p.fs.get("/etc/nginx/nginx.conf") {
        Some(h) => h.to_path_buf(),
        None => {
            // nginx files mounted into an image wirelint does not know: assume the usual layout.
            let overlay = PathBuf::from("<nginx>/etc/nginx/nginx.conf");
            sources.set_overlay(&overlay, images::NGINX_CONF.to_string());
            overlay
        }
    };
    let mut s = settings.clone();
    s.nginx.container = Some(p.fs.clone());
    s.nginx.prefix = None;
    let input = Input {
        path: main.clone(),
        name: if is_repo_file(&main) {
            crate::source::display_name(&main)
        } else {
            main.to_string_lossy().into_owned()
        },
        kind: Kind::Nginx,
    };
    if let Ok(mut loaded) = crate::nginx::load(sources, &[&input], &s) {
        diags.append(&mut loaded.diagnostics);
        p.nginx = loaded.configs.pop();
    }
}

fn place_fpm(
    sources: &mut SourceMap,
    settings: &Settings,
    p: &mut Placement,
    diags: &mut Vec<Diagnostic>,
) {
    let pool_files: Vec<(String, PathBuf)> =
        p.fs.files
            .iter()
            .filter(|(c, h)| {
                is_repo_file(h)
                    && ((c.starts_with(FPM_POOL_DIR)
                        && c.ends_with(".conf")
                        && !c[FPM_POOL_DIR.len()..].contains('/')
                        // `*.conf` does not match a hidden file.
                        && !c[FPM_POOL_DIR.len()..].starts_with('.'))
                        || c == FPM_MAIN)
            })
            .map(|(c, h)| (c.clone(), h.clone()))
            .collect();
    let layout_image = p
        .image
        .as_ref()
        .filter(|i| i.family == Family::PhpFpm)
        .map(|i| i.reference.clone());
    if pool_files.is_empty() {
        return;
    }
    let mut s = settings.clone();
    let main_mounted = p.fs.get(FPM_MAIN).is_some_and(is_repo_file);
    s.phpfpm.image = layout_image.clone();
    // A variable the environment may hold but the repository does not show is not known to be unset.
    // Docker's own variables and the image's `ENV` are set although no file shows them.
    s.phpfpm.env = p.env.clone().filter(|_| p.env_complete).map(|mut env| {
        for (name, value) in p.image.as_ref().map(ImageRef::own_env).unwrap_or_default() {
            env.entry(name.to_string())
                .or_insert_with(|| value.unwrap_or(crate::phpfpm::UNKNOWN_VALUE).to_string());
        }
        env
    });
    let loaded = if main_mounted || layout_image.is_some() {
        // php-fpm's main config is known (mounted, or the image's): its includes are evaluated against the
        // container's files, the image's stock files where no mount replaces or hides them.
        s.phpfpm.prefix = Some(PathBuf::from("/usr/local"));
        // Includes reaching outside the listed configuration directories resolve through the mounts.
        for o in &p.origins {
            if let Some(h) = &o.host {
                s.path_map.push(crate::settings::PathMapping {
                    container: PathBuf::from(&o.container),
                    host: h.clone(),
                });
            }
        }
        let tree = crate::phpfpm::ContainerTree {
            files: &p.fs.files,
            complete_dirs: &p.fs.complete_dirs,
            main: FPM_MAIN,
        };
        crate::phpfpm::load_container(
            sources,
            tree,
            &s,
            layout_image.as_deref(),
            s.phpfpm.env.as_ref(),
        )
    } else {
        // Pool files in an image wirelint does not know: their own values, in container-name order.
        crate::phpfpm::load_mounted(sources, &pool_files, &s, None, s.phpfpm.env.as_ref())
    };
    let Ok(mut loaded) = loaded else {
        return;
    };
    diags.append(&mut loaded.diagnostics);
    // Mounted pool files without a known main config form one set.
    if !loaded.sets.is_empty() {
        p.fpm_complete = main_mounted || layout_image.is_some();
        p.fpm = Some(loaded.sets.remove(0));
    }
}

/// Whether a Dockerfile `RUN` command names php-fpm's configuration files or directories.
fn edits_fpm_config(run: &str) -> bool {
    [
        "php-fpm.d",
        "php-fpm.conf",
        "pool.d",
        "www.conf",
        "zz-docker.conf",
    ]
    .iter()
    .any(|f| run.contains(f))
}

/// Whether the service runs php-fpm: a php-fpm image or pool files placed in it.
pub fn runs_fpm(p: &Placement) -> bool {
    p.fpm.is_some() || p.image.as_ref().is_some_and(|i| i.family == Family::PhpFpm)
}

/// Whether another service of the project joins this one's network namespace (`network_mode:
/// service:NAME`, or `container:` its `container_name`): its loopback and published ports are shared with
/// what that service runs.
pub fn joined_by_others(stack: &Stack, p: &Placement) -> bool {
    let svc = stack.service(p);
    let by_service = format!("service:{}", svc.name.value);
    let by_container = svc
        .container_name
        .as_ref()
        .map(|c| format!("container:{}", c.value));
    stack.project(p).services.iter().any(|s| {
        s.active
            && s.name.value != svc.name.value
            && s.network_mode.as_ref().is_some_and(|m| {
                m.value == by_service || by_container.as_deref() == Some(m.value.as_str())
            })
    })
}

/// Whether the service runs nginx.
pub fn runs_nginx(p: &Placement) -> bool {
    p.nginx.is_some() || p.image.as_ref().is_some_and(|i| i.family == Family::Nginx)
}

/// A path joined as the container sees it.
pub fn container_join(dir: &str, rel: &str) -> String {
    join_container(dir, rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_a_directory() {
        assert_eq!(under("/app", "/app"), Some(""));
        assert_eq!(under("/app/x/y", "/app"), Some("x/y"));
        assert_eq!(under("/app/x", "/app/"), Some("x"));
        assert_eq!(under("/app2/x", "/app"), None);
        assert_eq!(under("/etc", "/app"), None);
        // The root holds everything (a `COPY . /` origin).
        assert_eq!(under("/x/y", "/"), Some("x/y"));
        assert_eq!(under("/", "/"), Some(""));
    }

    #[test]
    fn envsubst_replaces_only_defined_names() {
        let env: HashMap<String, String> = [("BACKEND".to_string(), "app:5000".to_string())].into();
        assert_eq!(
            envsubst("proxy_pass http://${BACKEND}; set $x $host; $BACKEND", &env),
            "proxy_pass http://app:5000; set $x $host; app:5000"
        );
        assert_eq!(envsubst("${UNSET} é", &env), "${UNSET} é");
    }
}
