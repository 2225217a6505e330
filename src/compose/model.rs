//! The compose project model, as `docker compose config` builds it: services with the fields wirelint's
//! rules (and the stack join) read, each value with the span of the file and place it was written in.

use crate::compose::ports::{self, PortBinding};
use crate::compose::yaml::{Node, Resolved, Value};
use crate::source::{FileId, Span};
use std::collections::HashMap;
use std::path::PathBuf;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

fn text(n: &Node) -> Option<Spanned<String>> {
    let s = n.as_scalar()?;
    if n.is_null() {
        return None;
    }
    Some(Spanned::new(s.text.clone(), n.span))
}

#[derive(Clone, Debug)]
pub struct Build {
    pub context: Option<Spanned<String>>,
    pub dockerfile: Option<Spanned<String>>,
    /// The `build` value.
    pub span: Span,
}

/// `command`/`entrypoint`: a shell string or an exec list.
#[derive(Clone, Debug)]
pub enum Command {
    Shell(Spanned<String>),
    Exec(Vec<Spanned<String>>),
}

#[derive(Clone, Debug)]
pub struct EnvVar {
    pub name: Spanned<String>,
    /// `None`: taken from the environment compose runs in (`- NAME` or `NAME:` with no value).
    pub value: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountKind {
    /// A host path (`./data:/data`).
    Bind,
    /// A named volume (`db:/var/lib/postgresql/data`).
    Volume,
    /// No source: an anonymous volume.
    Anonymous,
    Tmpfs,
    Other,
}

#[derive(Clone, Debug)]
pub struct VolumeMount {
    pub kind: MountKind,
    pub source: Option<Spanned<String>>,
    pub target: Spanned<String>,
    pub read_only: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ServiceNetwork {
    pub name: Spanned<String>,
    pub aliases: Vec<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Dependency {
    pub service: Spanned<String>,
    /// `service_started` when not written.
    pub condition: Option<Spanned<String>>,
    pub required: bool,
}

#[derive(Clone, Debug)]
pub struct Service {
    /// The key under `services:`.
    pub name: Spanned<String>,
    /// Whether it runs without naming a profile (no `profiles`, or one of them is active).
    pub active: bool,
    pub image: Option<Spanned<String>>,
    pub build: Option<Build>,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    pub environment: Vec<EnvVar>,
    pub env_file: Vec<Spanned<String>>,
    pub volumes: Vec<VolumeMount>,
    pub configs: Vec<Spanned<String>>,
    pub secrets: Vec<Spanned<String>>,
    /// Networks the service joins; `default` when none is given and no `network_mode`.
    pub networks: Vec<ServiceNetwork>,
    pub network_mode: Option<Spanned<String>>,
    pub container_name: Option<Spanned<String>>,
    pub hostname: Option<Spanned<String>>,
    pub links: Vec<Spanned<String>>,
    pub extra_hosts: Vec<Spanned<String>>,
    pub expose: Vec<Spanned<String>>,
    pub ports: Vec<PortBinding>,
    /// The `ports` key, when present.
    pub ports_key: Option<Span>,
    pub depends_on: Vec<Dependency>,
    /// The `healthcheck` key when a health check is defined and not disabled.
    pub healthcheck: Option<Span>,
    pub profiles: Vec<Spanned<String>>,
    /// `volumes_from` entries (`service`, `service:ro`, `container:name`).
    pub volumes_from: Vec<Spanned<String>>,
    /// Values compose refuses (a malformed port or volume), with where they are.
    pub invalid: Vec<Spanned<String>>,
}

/// A compose project: its files merged in order, as compose runs them.
#[derive(Debug)]
pub struct Project {
    pub name: String,
    pub dir: PathBuf,
    pub files: Vec<FileId>,
    pub services: Vec<Service>,
    /// Top-level networks (plus `default` when a service uses it).
    pub networks: Vec<Spanned<String>>,
    pub volumes: Vec<Spanned<String>>,
    /// The merged tree, for rules that need what the model does not hold.
    pub root: Node,
    /// The variables interpolation used (environment over `.env`).
    pub environment: HashMap<String, String>,
    /// Per file, the directory relative paths written in it resolve against, where it is not [`Project::dir`]:
    /// compose resolves those of an included file against the include's project directory (the included
    /// file's directory unless `project_directory` says otherwise) and those of a file named by
    /// `extends: {file: …}` against that file's directory. The `-f` files use the project directory
    /// (`docker compose -f compose.yaml -f overrides/x.yaml` reads `overrides/x.yaml`'s `./a.env` as the
    /// project's `./a.env`).
    pub dirs: HashMap<FileId, PathBuf>,
}

impl Project {
    /// The directory a relative path written at `span` resolves against (see [`Project::dirs`]).
    pub fn dir_for(&self, span: Span) -> &std::path::Path {
        self.dirs.get(&span.file).unwrap_or(&self.dir)
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.value == name)
    }

    pub fn active_services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| s.active)
    }
}

fn list_or_scalar(n: Option<&Node>) -> Vec<Spanned<String>> {
    match n.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(text).collect(),
        Some(Value::Scalar(_)) => n.and_then(text).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn command(n: Option<&Node>) -> Option<Command> {
    let n = n?;
    match &n.value {
        Value::Seq(items) => Some(Command::Exec(items.iter().filter_map(text).collect())),
        Value::Scalar(_) => text(n).map(Command::Shell),
        Value::Map(_) => None,
    }
}

/// `KEY=VALUE` lists and `KEY: VALUE` maps.
fn env_list(n: Option<&Node>) -> Vec<EnvVar> {
    let Some(n) = n else { return Vec::new() };
    match &n.value {
        Value::Map(entries) => entries
            .iter()
            .map(|e| EnvVar {
                name: Spanned::new(e.key.text.clone(), e.key.span),
                value: if e.value.is_null() {
                    None
                } else {
                    e.value
                        .as_scalar()
                        .map(|s| Spanned::new(scalar_string(&e.value, &s.text), e.value.span))
                },
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let t = text(item)?;
                Some(match t.value.split_once('=') {
                    Some((k, v)) => EnvVar {
                        name: Spanned::new(k.to_string(), t.span),
                        value: Some(Spanned::new(v.to_string(), t.span)),
                    },
                    None => EnvVar {
                        name: t.clone(),
                        value: None,
                    },
                })
            })
            .collect(),
        Value::Scalar(_) => Vec::new(),
    }
}

/// Compose writes booleans and numbers of a map-form environment as text (`true`, `1`).
fn scalar_string(n: &Node, raw: &str) -> String {
    match n.resolved() {
        Resolved::Int(i) => i.to_string(),
        _ => raw.to_string(),
    }
}

fn volume(item: &Node) -> Option<VolumeMount> {
    match &item.value {
        Value::Scalar(_) => {
            let t = text(item)?;
            // SOURCE:TARGET[:MODE]; a Windows drive letter would add a colon, which compose handles; here
            // the common forms.
            let parts: Vec<&str> = t.value.split(':').collect();
            let (source, target, mode) = match parts.as_slice() {
                [target] => (None, *target, ""),
                [s, target] => (Some(*s), *target, ""),
                [s, target, mode, ..] => (Some(*s), *target, *mode),
                [] => return None,
            };
            let kind = match source {
                None => MountKind::Anonymous,
                Some(s) if is_path(s) => MountKind::Bind,
                Some(_) => MountKind::Volume,
            };
            Some(VolumeMount {
                kind,
                source: source.map(|s| Spanned::new(s.to_string(), t.span)),
                target: Spanned::new(target.to_string(), t.span),
                read_only: mode.split(',').any(|m| m == "ro"),
                span: t.span,
            })
        }
        Value::Map(_) => {
            let ty = item.get("type").and_then(Node::as_str).unwrap_or("volume");
            let source = item.get("source").and_then(text);
            let kind = match ty {
                "bind" => MountKind::Bind,
                "volume" if source.is_some() => MountKind::Volume,
                "volume" => MountKind::Anonymous,
                "tmpfs" => MountKind::Tmpfs,
                _ => MountKind::Other,
            };
            Some(VolumeMount {
                kind,
                source,
                target: item
                    .get("target")
                    .and_then(text)
                    .unwrap_or_else(|| Spanned::new(String::new(), item.head_span())),
                read_only: item.get("read_only").and_then(Node::compose_bool) == Some(true),
                span: item.head_span(),
            })
        }
        Value::Seq(_) => None,
    }
}

/// Whether a volume source is a host path rather than a volume name.
pub fn is_path(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with('.')
        || s.starts_with('~')
        || s.starts_with('$')
        || s.contains('/')
        || s.contains('\\')
}

fn name_list(n: Option<&Node>) -> Vec<Spanned<String>> {
    let Some(n) = n else { return Vec::new() };
    match &n.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match &i.value {
                Value::Map(_) => i.get("source").and_then(text),
                _ => text(i),
            })
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|e| Spanned::new(e.key.text.clone(), e.key.span))
            .collect(),
        Value::Scalar(_) => text(n).into_iter().collect(),
    }
}

fn service(name: Spanned<String>, n: &Node, active_profiles: &[String]) -> Service {
    let get = |k: &str| n.get(k);
    let build = get("build").map(|b| match &b.value {
        Value::Scalar(_) => Build {
            context: text(b),
            dockerfile: None,
            span: b.span,
        },
        _ => Build {
            context: b.get("context").and_then(text),
            dockerfile: b.get("dockerfile").and_then(text),
            span: b.span,
        },
    });
    let mut invalid = Vec::new();
    let mut ports_out = Vec::new();
    if let Some(Value::Seq(items)) = get("ports").map(|p| &p.value) {
        for item in items {
            match ports::binding_from_node(item) {
                Ok(bs) => ports_out.extend(bs),
                Err((span, msg)) => invalid.push(Spanned::new(msg, span)),
            }
        }
    }
    let ports_out = ports::dedup(ports_out);
    let network_mode = get("network_mode").and_then(text);
    let mut networks: Vec<ServiceNetwork> = match get("networks").map(|x| &x.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(text)
            .map(|name| ServiceNetwork {
                name,
                aliases: Vec::new(),
            })
            .collect(),
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| ServiceNetwork {
                name: Spanned::new(e.key.text.clone(), e.key.span),
                aliases: list_or_scalar(e.value.get("aliases")),
            })
            .collect(),
        _ => Vec::new(),
    };
    // A `provider` service is run by a plugin, not as a container: compose joins it to no network.
    if networks.is_empty() && network_mode.is_none() && get("provider").is_none() {
        networks.push(ServiceNetwork {
            name: Spanned::new("default".into(), name.span),
            aliases: Vec::new(),
        });
    }
    let depends_on = match get("depends_on").map(|x| &x.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(text)
            .map(|service| Dependency {
                service,
                condition: None,
                required: true,
            })
            .collect(),
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| Dependency {
                service: Spanned::new(e.key.text.clone(), e.key.span),
                condition: e.value.get("condition").and_then(text),
                required: !matches!(
                    e.value.get("required").map(Node::resolved),
                    Some(Resolved::Bool(false))
                ),
            })
            .collect(),
        _ => Vec::new(),
    };
    // links, volumes_from and network_mode: service: make compose start the other service first.
    let mut depends_on = depends_on;
    let implicit = list_or_scalar(get("links"))
        .into_iter()
        .map(|l| (l.value.split(':').next().unwrap_or("").to_string(), l.span))
        .chain(
            list_or_scalar(get("volumes_from"))
                .into_iter()
                .filter(|v| !v.value.starts_with("container:"))
                .map(|v| (v.value.split(':').next().unwrap_or("").to_string(), v.span)),
        )
        .chain(network_mode.iter().filter_map(|m| {
            m.value
                .strip_prefix("service:")
                .map(|t| (t.to_string(), m.span))
        }))
        .collect::<Vec<_>>();
    for (target, span) in implicit {
        if !target.is_empty() && !depends_on.iter().any(|d| d.service.value == target) {
            depends_on.push(Dependency {
                service: Spanned::new(target, span),
                condition: None,
                required: true,
            });
        }
    }
    let healthcheck = n.entry("healthcheck").and_then(|e| {
        let disabled = e.value.get("disable").and_then(Node::compose_bool) == Some(true)
            || e.value
                .get("test")
                .and_then(|t| match &t.value {
                    Value::Seq(items) => items.first().and_then(Node::as_str).map(|s| s == "NONE"),
                    Value::Scalar(_) => Some(t.as_str() == Some("NONE")),
                    _ => None,
                })
                .unwrap_or(false);
        let has_test = e.value.get("test").is_some();
        (!disabled && has_test).then_some(e.key.span)
    });
    let profiles = list_or_scalar(get("profiles"));
    let active = profiles.is_empty()
        || profiles
            .iter()
            .any(|p| active_profiles.iter().any(|a| a == &p.value || a == "*"));
    let mut volumes: Vec<VolumeMount> = match get("volumes").map(|x| &x.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(volume).collect(),
        _ => Vec::new(),
    };
    if let Some(Value::Seq(items)) = get("volumes").map(|x| &x.value) {
        for item in items {
            if let Some(t) = item.as_scalar().filter(|_| !item.is_null()) {
                let parts: Vec<&str> = t.text.split(':').collect();
                if parts.len() > 1 && parts[..2].iter().any(|p| p.is_empty()) {
                    invalid.push(Spanned::new(
                        format!(
                            "invalid volume \"{}\": empty section between colons",
                            t.text
                        ),
                        item.span,
                    ));
                }
            }
        }
    }
    // Merged files de-duplicate mounts on their target; the later one wins.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut deduped: Vec<VolumeMount> = Vec::with_capacity(volumes.len());
    for v in volumes.drain(..) {
        match seen.get(&v.target.value) {
            Some(&i) if !v.target.value.is_empty() => deduped[i] = v,
            _ => {
                seen.insert(v.target.value.clone(), deduped.len());
                deduped.push(v);
            }
        }
    }
    let extra_hosts = match get("extra_hosts").map(|x| &x.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| {
                Spanned::new(
                    format!("{}={}", e.key.text, e.value.as_str().unwrap_or_default()),
                    e.key.span,
                )
            })
            .collect(),
        _ => list_or_scalar(get("extra_hosts")),
    };
    let expose = match get("expose").map(|x| &x.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| {
                let t = text(i)?;
                Some(Spanned::new(scalar_string(i, &t.value), t.span))
            })
            .collect(),
        _ => Vec::new(),
    };
    Service {
        name,
        active,
        image: get("image").and_then(text),
        build,
        command: command(get("command")),
        entrypoint: command(get("entrypoint")),
        environment: env_list(get("environment")),
        env_file: match get("env_file").map(|x| &x.value) {
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|i| match &i.value {
                    Value::Map(_) => i.get("path").and_then(text),
                    _ => text(i),
                })
                .collect(),
            _ => list_or_scalar(get("env_file")),
        },
        volumes: deduped,
        configs: name_list(get("configs")),
        secrets: name_list(get("secrets")),
        networks,
        network_mode,
        container_name: get("container_name").and_then(text),
        hostname: get("hostname").and_then(text),
        links: list_or_scalar(get("links")),
        extra_hosts,
        expose,
        ports: ports_out,
        ports_key: n.entry("ports").map(|e| e.key.span),
        depends_on,
        healthcheck,
        profiles,
        volumes_from: list_or_scalar(get("volumes_from")),
        invalid,
    }
}

/// Builds the model from a merged, interpolated root mapping.
pub fn build(
    root: Node,
    name: String,
    dir: PathBuf,
    files: Vec<FileId>,
    environment: HashMap<String, String>,
    active_profiles: &[String],
) -> Project {
    let mut services = Vec::new();
    if let Some(Value::Map(entries)) = root.get("services").map(|s| &s.value) {
        for e in entries {
            if e.value.as_map().is_some() || e.value.is_null() {
                services.push(service(
                    Spanned::new(e.key.text.clone(), e.key.span),
                    &e.value,
                    active_profiles,
                ));
            }
        }
    }
    let top_names = |k: &str| -> Vec<Spanned<String>> {
        match root.get(k).map(|x| &x.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .map(|e| Spanned::new(e.key.text.clone(), e.key.span))
                .collect(),
            _ => Vec::new(),
        }
    };
    let networks = top_names("networks");
    let volumes = top_names("volumes");
    Project {
        name,
        dir,
        files,
        services,
        networks,
        volumes,
        root,
        environment,
        dirs: HashMap::new(),
    }
}
