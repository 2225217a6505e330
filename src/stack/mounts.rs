//! Where a container path is stored: which volume or host directory backs it, so two services can be
//! asked whether they see the same file (a unix socket one creates and the other connects to).

use super::{clean, under, Stack};
use crate::compose::model::{MountKind, VolumeMount};
use crate::compose::yaml::{Node, Value};
use crate::source::{normalize, Span};
use std::path::PathBuf;

/// The storage behind a container path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backing {
    /// A path inside a named volume of the project (`volume`, path relative to its root).
    Volume(String, String),
    /// A host path (bind mounts).
    Host(PathBuf),
    /// The container's own layer, a tmpfs or an anonymous volume: no other container sees it.
    Private,
    /// A mount wirelint cannot place (`~` or variable sources, `volumes_from: container:…`, other types).
    Unknown,
}

/// A mount as a service has it (its own, or one through `volumes_from`).
struct Mount<'a> {
    kind: MountKind,
    source: Option<&'a str>,
    target: &'a str,
    span: Span,
    /// The project directory bind sources resolve against.
    dir: &'a std::path::Path,
}

/// The mounts of placement `i`: its own (`volumes`, and `tmpfs`, which the compose model does not keep),
/// then those of the services it names in `volumes_from` (docker gives them the same targets),
/// transitively. `None` when a `volumes_from` names something unknown.
fn mounts(stack: &Stack, i: usize) -> Option<Vec<Mount<'_>>> {
    let mut out = Vec::new();
    let mut seen = vec![i];
    let mut todo = vec![i];
    while let Some(j) = todo.pop() {
        let p = &stack.placements[j];
        let svc = stack.service(p);
        let project = stack.project(p);
        let dir = project.dir.as_path();
        out.extend(svc.volumes.iter().map(|v: &VolumeMount| Mount {
            kind: v.kind.clone(),
            source: v.source.as_ref().map(|s| s.value.as_str()),
            target: v.target.value.as_str(),
            span: v.span,
            dir: v.source.as_ref().map_or(dir, |s| project.dir_for(s.span)),
        }));
        let tmpfs = project
            .root
            .get("services")
            .and_then(|s| s.get(&svc.name.value))
            .and_then(|s| s.get("tmpfs"));
        let items: Vec<&Node> = match tmpfs.map(|t| &t.value) {
            Some(Value::Seq(items)) => items.iter().collect(),
            Some(Value::Scalar(_)) => tmpfs.into_iter().collect(),
            _ => Vec::new(),
        };
        for n in items {
            let Some(t) = n.as_str() else { continue };
            out.push(Mount {
                kind: MountKind::Tmpfs,
                source: None,
                target: t.split(':').next().unwrap_or_default(),
                span: n.head_span(),
                dir,
            });
        }
        for from in &svc.volumes_from {
            let name = from.value.split(':').next().unwrap_or_default();
            if from.value.starts_with("container:") {
                return None;
            }
            let k = stack.find(p.project, name)?;
            if !seen.contains(&k) {
                seen.push(k);
                todo.push(k);
            }
        }
    }
    Some(out)
}

/// What backs absolute container path `path` in placement `i`, with the mount's span: the innermost
/// mount holding it decides (the service's own mount wins over one through `volumes_from` at the same
/// target).
pub fn backing(stack: &Stack, i: usize, path: &str) -> (Backing, Option<Span>) {
    let Some(ms) = mounts(stack, i) else {
        return (Backing::Unknown, None);
    };
    let path = run_dir(path);
    let mut best: Option<(usize, &Mount<'_>, String)> = None;
    for m in &ms {
        let target = run_dir(m.target);
        if !target.starts_with('/') {
            continue;
        }
        let Some(rel) = under(&path, &target).map(str::to_string) else {
            continue;
        };
        let len = target.trim_end_matches('/').len();
        // strictly longer: at equal targets the service's own mount (listed first) wins
        if !matches!(best, Some((l, ..)) if l >= len) {
            best = Some((len, m, rel));
        }
    }
    let Some((_, m, rel)) = best else {
        return (Backing::Private, None);
    };
    let span = Some(m.span);
    let b = match (&m.kind, m.source) {
        (MountKind::Volume, Some(s)) => Backing::Volume(s.to_string(), rel),
        (MountKind::Bind, Some(s)) if !s.starts_with('~') && !s.contains('$') => {
            let host = clean(m.dir, s);
            let host = if rel.is_empty() { host } else { host.join(rel) };
            Backing::Host(normalize(&host))
        }
        (MountKind::Anonymous | MountKind::Tmpfs, _) => Backing::Private,
        _ => Backing::Unknown,
    };
    (b, span)
}

/// `/var/run` is a symlink to `/run` in Debian, Ubuntu and Alpine based images (`base-files`,
/// `alpine-baselayout`), and Docker resolves a mount target through it: both spell one directory.
pub fn run_dir(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/var/run") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/run{rest}").into(),
        _ => path.into(),
    }
}
