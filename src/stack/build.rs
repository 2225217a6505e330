//! What a `build:` service's Dockerfile tells the stack: the image its target stage ends in and the
//! repository files it copies into the image. The Dockerfile is read by [`super::dockerfile`]; this module
//! only supplies the compose side (context, `dockerfile`, `args`, `target`) and lists the repository files
//! each placement covers, less what `.dockerignore` keeps out of the context.

use super::dockerfile::{self, PlacedCopy, SourceShape};
use super::images::ImageRef;
use crate::compose::yaml::Node;
use crate::compose::{Project, Service};
use crate::source::{display_name, SourceMap, Span};
use std::collections::HashMap;
use std::path::PathBuf;

/// Repository files one COPY/ADD places into the image.
#[derive(Clone, Debug)]
pub struct Copy {
    /// The container path of what was copied (a file, or the directory a directory's contents land in).
    pub container: String,
    /// The repository path of what was copied (a file or directory; the context for a glob).
    pub host: PathBuf,
    /// `(container path, repository file)` of every file placed.
    pub files: Vec<(String, PathBuf)>,
    /// The COPY/ADD line in the Dockerfile.
    pub span: Span,
}

/// What the Dockerfile makes of a service.
#[derive(Clone, Debug)]
pub struct Built {
    /// The image at the root of the target stage's `FROM` chain, when it is not `scratch` or unknown.
    pub base: Option<ImageRef>,
    pub copies: Vec<Copy>,
    /// The target stage's `ENV` (with what it inherits from the stages it is built `FROM`), in order.
    pub env: Vec<(String, String)>,
    /// The target stage's `WORKDIR`, when known.
    pub workdir: Option<String>,
    /// The command the image runs when the service gives none ([`dockerfile::Dockerfile::effective_cmd`]).
    pub cmd: Option<dockerfile::Command>,
    /// The Dockerfile.
    pub file: crate::source::FileId,
    /// The `RUN` commands the image is built with ([`dockerfile::Dockerfile::chain_runs`]).
    pub runs: Vec<String>,
}

/// Compose `build.args` (map or `KEY=value` list; a key without a value is left to the ARG default).
fn build_args(node: Option<&Node>) -> HashMap<String, String> {
    let mut args = HashMap::new();
    let Some(a) = node.and_then(|n| n.get("args")) else {
        return args;
    };
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
    args
}

/// Reads the service's Dockerfile, if it has a `build:` and the file is in the repository. The Dockerfile
/// is loaded into `sources` so the spans of its lines can be shown.
pub fn for_service(sources: &mut SourceMap, project: &Project, svc: &Service) -> Option<Built> {
    let build = svc.build.as_ref()?;
    let context = build.context.as_ref().map_or(".", |c| c.value.as_str());
    if context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let context = super::build_context(project, build);
    let dockerfile = build
        .dockerfile
        .as_ref()
        .map_or("Dockerfile", |d| d.value.as_str());
    let path = context.join(dockerfile);
    if !path.is_file() {
        return None;
    }
    let node = project
        .root
        .get("services")?
        .get(&svc.name.value)?
        .get("build");
    let target = node.and_then(|n| n.get("target")).and_then(Node::as_str);
    let id = sources.load(&path, display_name(&path)).ok()?;
    let text = sources.get(id).text.clone();
    let (df, _problems) = dockerfile::parse(id, &text, &build_args(node));
    let base = df.final_base_stage(target).and_then(|stage| {
        let (name, tag) = df.final_base(target)?;
        let reference = match tag {
            Some(t) => format!("{name}:{t}"),
            None => name.to_string(),
        };
        Some(ImageRef::parse(&reference, stage.from_span, true))
    });
    let ignore = dockerfile::dockerignore_for(&context, &path);
    let copies = df
        .context_copies_in(target, &context)
        .iter()
        .filter_map(|pc| placed_files(pc, &context, &ignore))
        .collect();
    let stage = df.target_stage(target);
    Some(Built {
        base,
        copies,
        env: stage.map(|s| s.env.clone()).unwrap_or_default(),
        workdir: stage.and_then(|s| s.workdir.clone()),
        cmd: df.effective_cmd(target).cloned(),
        file: id,
        runs: df
            .chain_runs(target)
            .into_iter()
            .map(str::to_string)
            .collect(),
    })
}

/// The repository files `pc` places, with their container paths; `None` when it places none.
fn placed_files(
    pc: &PlacedCopy,
    context: &std::path::Path,
    ignore: &dockerfile::DockerIgnore,
) -> Option<Copy> {
    if pc.archive {
        return None;
    }
    // Where to look for the files the placement covers: the source itself, or for a glob the directory
    // before its first wildcard.
    let root = match pc.source_is_dir_glob_or_file {
        SourceShape::Glob => {
            let literal: Vec<&str> = pc
                .source
                .split('/')
                .take_while(|c| !c.contains(['*', '?', '[']))
                .collect();
            literal.join("/")
        }
        _ => pc.source.clone(),
    };
    let host = if root.is_empty() || root == "." {
        context.to_path_buf()
    } else {
        super::clean(context, &root)
    };
    let mut candidates = Vec::new();
    if host.is_dir() {
        // Listed under the destination so only configuration directories are walked (as for a mount).
        super::list_dir(&host, &pc.dest, &mut candidates);
    } else if host.is_file() {
        candidates.push((String::new(), host.clone()));
    } else {
        return None;
    }
    let files: Vec<(String, PathBuf)> = candidates
        .into_iter()
        .filter_map(|(_, file)| {
            let rel = file
                .strip_prefix(context)
                .ok()?
                .to_string_lossy()
                .into_owned();
            if ignore.is_excluded(&rel) {
                return None;
            }
            Some((pc.container_path(&rel)?, file))
        })
        .collect();
    if files.is_empty() && !host.is_dir() {
        return None;
    }
    let dest = pc.dest.trim_end_matches('/');
    Some(Copy {
        container: if dest.is_empty() { "/" } else { dest }.to_string(),
        host,
        files,
        span: pc.span,
    })
}

#[cfg(test)]
mod tests {
    use crate::source::FileId;
    use crate::stack::dockerfile;
    use std::collections::HashMap;

    #[test]
    fn from_chain_args_and_target() {
        let df = "ARG PHP=8.2\nFROM php:${PHP}-fpm AS base\nFROM base AS app\nWORKDIR /srv\nFROM nginx:1.27 AS web\n";
        let (d, _) = dockerfile::parse(FileId(0), df, &HashMap::new());
        assert_eq!(d.final_base(Some("app")), Some(("php", Some("8.2-fpm"))));
        let stage = d.final_base_stage(Some("app")).unwrap();
        assert_eq!(&df[stage.from_span.range()], "FROM php:${PHP}-fpm AS base");
        let args: HashMap<String, String> = [("PHP".to_string(), "8.3".to_string())].into();
        let (d, _) = dockerfile::parse(FileId(0), df, &args);
        assert_eq!(d.final_base(Some("app")), Some(("php", Some("8.3-fpm"))));
        assert_eq!(d.final_base(None), Some(("nginx", Some("1.27"))));
    }

    /// A context with a pool directory, an ignored file in it and an app directory, copied in several ways.
    fn placed(dockerfile: &str, ignore: &str) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        let ctx = dir.path();
        std::fs::create_dir_all(ctx.join("php/pool.d")).unwrap();
        std::fs::write(ctx.join("php/pool.d/www.conf"), "[www]\n").unwrap();
        std::fs::write(ctx.join("php/pool.d/old.conf"), "[old]\n").unwrap();
        std::fs::write(ctx.join("php/extra.conf"), "[extra]\n").unwrap();
        std::fs::write(ctx.join(".dockerignore"), ignore).unwrap();
        let (d, _) = dockerfile::parse(FileId(0), dockerfile, &HashMap::new());
        let ig = dockerfile::dockerignore_for(ctx, &ctx.join("Dockerfile"));
        let mut out: Vec<(String, String)> = d
            .context_copies_in(None, ctx)
            .iter()
            .filter_map(|pc| super::placed_files(pc, ctx, &ig))
            .flat_map(|c| c.files)
            .map(|(c, h)| (c, h.strip_prefix(ctx).unwrap().display().to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn directory_copy_lists_its_files_less_dockerignore() {
        let got = placed(
            "FROM php:8.3-fpm\nCOPY php/pool.d/ /usr/local/etc/php-fpm.d/\n",
            "php/pool.d/old.conf\n",
        );
        assert_eq!(
            got,
            [(
                "/usr/local/etc/php-fpm.d/www.conf".to_string(),
                "php/pool.d/www.conf".to_string()
            )]
        );
    }

    #[test]
    fn glob_and_workdir_relative_copies() {
        let got = placed(
            "FROM php:8.3-fpm\nWORKDIR /usr/local/etc\nCOPY php/*.conf php-fpm.d/\n",
            "",
        );
        assert_eq!(
            got,
            [(
                "/usr/local/etc/php-fpm.d/extra.conf".to_string(),
                "php/extra.conf".to_string()
            )]
        );
    }
}
