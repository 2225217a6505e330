//! What a `build:` service's Dockerfile tells the stack: the image its target stage ends in (through a
//! multi-stage `FROM … AS` chain, with `ARG` defaults and compose `build.args`) and the repository files it
//! copies into the image (`COPY`/`ADD` from the build context, not `--from` another stage).
//!
//! A small reader of the lines the stack needs; instructions it does not know are skipped.

use super::images::ImageRef;
use crate::compose::yaml::Node;
use crate::compose::{Project, Service};
use crate::source::Span;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A repository file or directory copied into the image.
#[derive(Clone, Debug)]
pub struct Copy {
    pub container: String,
    pub host: PathBuf,
    pub span: Span,
}

/// What the Dockerfile makes of a service.
#[derive(Clone, Debug, Default)]
pub struct Built {
    /// The image at the root of the target stage's `FROM` chain, when it is not `scratch` or unknown.
    pub base: Option<ImageRef>,
    pub copies: Vec<Copy>,
}

struct Stage {
    name: Option<String>,
    from: String,
    from_span: Span,
    copies: Vec<Copy>,
}

fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in args {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

/// Reads the service's Dockerfile, if it has a `build:` and the file is in the repository.
pub fn for_service(project: &Project, svc: &Service) -> Option<Built> {
    let build = svc.build.as_ref()?;
    let context = build.context.as_ref().map_or(".", |c| c.value.as_str());
    if context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let context = super::clean(&project.dir, context);
    let dockerfile = build
        .dockerfile
        .as_ref()
        .map_or("Dockerfile", |d| d.value.as_str());
    let path = context.join(dockerfile);
    let node = project
        .root
        .get("services")?
        .get(&svc.name.value)?
        .get("build");
    let mut args: HashMap<String, String> = HashMap::new();
    if let Some(a) = node.and_then(|n| n.get("args")) {
        if let Some(m) = a.as_map() {
            for e in m {
                if let Some(v) = e.value.as_str() {
                    args.insert(e.key.text.clone(), v.to_string());
                }
            }
        } else if let Some(items) = a.as_seq() {
            for i in items {
                if let Some((k, v)) = i.as_str().and_then(|s| s.split_once('=')) {
                    args.insert(k.to_string(), v.to_string());
                }
            }
        }
    }
    let target = node
        .and_then(|n| n.get("target"))
        .and_then(Node::as_str)
        .map(str::to_string);
    let span = build
        .dockerfile
        .as_ref()
        .or(build.context.as_ref())
        .map_or(svc.name.span, |s| s.span);
    let text = std::fs::read_to_string(&path).ok()?;
    Some(read(&text, &context, &args, target.as_deref(), span))
}

/// Joins continuation lines; yields instruction text.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if cur.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            cur.push_str(body);
            cur.push(' ');
        } else if !t.starts_with('#') {
            cur.push_str(t);
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn read(
    text: &str,
    context: &Path,
    build_args: &HashMap<String, String>,
    target: Option<&str>,
    span: Span,
) -> Built {
    let mut args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut workdir = String::from("/");
    for ins in instructions(text) {
        let mut words = ins.split_whitespace();
        let Some(op) = words.next() else { continue };
        let rest: Vec<&str> = words.collect();
        match op.to_ascii_uppercase().as_str() {
            "ARG" => {
                for a in &rest {
                    let (k, v) = a.split_once('=').unwrap_or((a, ""));
                    let v = build_args
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| v.trim_matches('"').to_string());
                    if !v.is_empty() || !args.contains_key(k) {
                        args.insert(k.to_string(), v);
                    }
                }
            }
            "FROM" => {
                let plain: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(image) = plain.first() else { continue };
                let name = match plain.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_string()),
                    _ => None,
                };
                workdir = "/".into();
                stages.push(Stage {
                    name,
                    from: substitute(image, &args),
                    from_span: span,
                    copies: Vec::new(),
                });
            }
            "WORKDIR" => {
                if let Some(d) = rest.first() {
                    workdir = super::container_join(&workdir, &substitute(d, &args));
                }
            }
            "COPY" | "ADD" => {
                if rest.iter().any(|w| w.starts_with("--from")) || rest.len() < 2 {
                    continue;
                }
                let plain: Vec<String> = rest
                    .iter()
                    .filter(|w| !w.starts_with("--"))
                    .map(|w| substitute(w.trim_matches(['"', '[', ']', ',']), &args))
                    .collect();
                let Some((dest, srcs)) = plain.split_last() else {
                    continue;
                };
                let dest_dir = dest.ends_with('/') || srcs.len() > 1;
                let dest = super::container_join(&workdir, dest);
                let Some(stage) = stages.last_mut() else {
                    continue;
                };
                for src in srcs {
                    if src.contains("://") || src.contains(['*', '?']) {
                        continue;
                    }
                    let host = super::clean(context, src);
                    let container = if host.is_dir() {
                        dest.trim_end_matches('/').to_string()
                    } else if dest_dir {
                        let name = host.file_name().map(|n| n.to_string_lossy().into_owned());
                        format!(
                            "{}/{}",
                            dest.trim_end_matches('/'),
                            name.unwrap_or_default()
                        )
                    } else {
                        dest.clone()
                    };
                    if host.exists() {
                        stage.copies.push(Copy {
                            container,
                            host,
                            span,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    // The target stage (or the last), then its FROM chain through earlier stages.
    let mut idx = match target {
        Some(t) => stages
            .iter()
            .position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(t))),
        None => stages.len().checked_sub(1),
    };
    let mut copies_rev: Vec<Vec<Copy>> = Vec::new();
    let mut base = None;
    let mut guard = 0;
    while let Some(i) = idx {
        guard += 1;
        if guard > 64 {
            break;
        }
        let st = &stages[i];
        copies_rev.push(st.copies.clone());
        let earlier = stages[..i].iter().rposition(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&st.from))
        });
        match earlier {
            Some(e) => idx = Some(e),
            None => {
                if !st.from.eq_ignore_ascii_case("scratch") && !st.from.contains('$') {
                    base = Some(ImageRef::parse(&st.from, st.from_span, true));
                }
                idx = None;
            }
        }
    }
    Built {
        base,
        copies: copies_rev.into_iter().rev().flatten().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn from_chain_args_and_target() {
        let df = "ARG PHP=8.2\nFROM php:${PHP}-fpm AS base\nFROM base AS app\nWORKDIR /srv\nFROM nginx:1.27 AS web\n";
        let span = Span::point(FileId(0), 0);
        let b = read(df, Path::new("."), &HashMap::new(), Some("app"), span);
        assert_eq!(b.base.unwrap().reference, "php:8.2-fpm");
        let args: HashMap<String, String> = [("PHP".to_string(), "8.3".to_string())].into();
        let b = read(df, Path::new("."), &args, Some("app"), span);
        assert_eq!(b.base.unwrap().reference, "php:8.3-fpm");
        let b = read(df, Path::new("."), &HashMap::new(), None, span);
        assert_eq!(b.base.unwrap().reference, "nginx:1.27");
    }
}
