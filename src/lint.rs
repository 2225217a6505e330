//! One run: discover inputs, load each language, run the enabled rules, filter and sort the findings.

use crate::diagnostic::Diagnostic;
use crate::discover::{self, Input};
use crate::rules::{self, Check, ComposeCx, NginxCx, PhpFpmCx, StackCx, StackView};
use crate::settings::{Kind, Settings};
use crate::source::{FileId, SourceMap};
use std::path::PathBuf;

/// From this much nginx text in one configuration, its rules run on all cores (below, starting threads costs
/// more than it saves).
const PARALLEL_RULES_BYTES: usize = 1 << 20;

/// Text to check in place of a file's disk content (`--stdin-filename`).
#[derive(Clone, Debug)]
pub struct StdinFile {
    pub path: PathBuf,
    pub text: String,
}

/// A usage or I/O problem: exit status 2.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub sources: SourceMap,
    /// Enabled findings, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were checked (including files reached through includes).
    pub files: usize,
    /// Named files whose kind could not be told.
    pub skipped: Vec<PathBuf>,
    /// The compose projects with their services placed (empty without compose files).
    pub stack: crate::stack::Stack,
}

/// Loads the compose projects among `paths` (or the `-f` files) and runs the compose rules on each.
pub fn check_compose(
    sources: &mut SourceMap,
    paths: &[PathBuf],
    settings: &Settings,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<FileId> {
    let (files, projects) = load_compose_projects(sources, paths, settings, diagnostics);
    run_compose_rules(sources, settings, &projects, None, diagnostics);
    files
}

/// Loads the compose projects among `paths` (or the `-f` files), with their loader findings: the projects'
/// files and the projects (for the stack, then [`run_compose_rules`]).
pub fn load_compose_projects(
    sources: &mut SourceMap,
    paths: &[PathBuf],
    settings: &Settings,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<FileId>, Vec<crate::compose::LoadedProject>) {
    if paths.is_empty() && settings.compose.files.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let compose = crate::compose::load(sources, paths, settings);
    diagnostics.extend(compose.diagnostics.iter().cloned());
    let files = compose
        .projects
        .iter()
        .flat_map(|p| p.project.files.iter().copied())
        .collect();
    (files, compose.projects)
}

/// Runs the compose rules on each project; `stack`, when given, holds `projects` placed (in that order).
pub fn run_compose_rules(
    sources: &SourceMap,
    settings: &Settings,
    projects: &[crate::compose::LoadedProject],
    stack: Option<&crate::stack::Stack>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let start = diagnostics.len();
    let mut of_overlays = Vec::new();
    for (i, loaded) in projects.iter().enumerate() {
        let cx = ComposeCx {
            sources,
            settings,
            project: &loaded.project,
            undefined: &loaded.undefined,
            stack: stack.map(|stack| (stack, i)),
        };
        let out = if loaded.overlay {
            &mut of_overlays
        } else {
            &mut *diagnostics
        };
        rules::run(&settings.rules, Check::compose, &cx, out);
    }
    // An overlay checked merged onto its base repeats the base's findings, some with project-wide
    // figures that differ ("used 12 times"): where the base project has one, it is the base's own.
    let of_bases: std::collections::HashSet<_> = diagnostics[start..]
        .iter()
        .map(|d| (d.code, d.span))
        .collect();
    diagnostics.extend(
        of_overlays
            .into_iter()
            .filter(|d| !of_bases.contains(&(d.code, d.span))),
    );
    // A file in two projects (a base and base + overlay) yields the same finding twice; keep the first.
    let mut seen = std::collections::HashSet::new();
    let found = diagnostics.split_off(start);
    diagnostics.extend(
        found
            .into_iter()
            .filter(|d| seen.insert((d.code, d.span, d.message.clone()))),
    );
}

pub fn check(
    paths: &[PathBuf],
    stdin: Option<StdinFile>,
    settings: &Settings,
) -> Result<Outcome, RunError> {
    check_with_overlays(paths, stdin, &[], settings)
}

/// Like [`check`], with `overlays` read in place of those files' disk content (an editor's unsaved buffers).
pub fn check_with_overlays(
    paths: &[PathBuf],
    stdin: Option<StdinFile>,
    overlays: &[StdinFile],
    settings: &Settings,
) -> Result<Outcome, RunError> {
    settings.rules.validate().map_err(RunError)?;
    crate::timing::phase("start");
    let mut sources = SourceMap::new();
    for o in overlays {
        sources.set_overlay(&o.path, o.text.clone());
    }
    let (mut inputs, skipped) = match &stdin {
        Some(file) => {
            sources.set_overlay(&file.path, file.text.clone());
            let kind = settings
                .kind
                .or_else(|| discover::classify(&file.path, &file.text))
                .or_else(|| {
                    discover::is_compose_name(&file.path.to_string_lossy()).then_some(Kind::Compose)
                })
                .ok_or_else(|| {
                    RunError(format!(
                        "{}: cannot tell whether this is an nginx, php-fpm or compose file; pass --kind",
                        file.path.display()
                    ))
                })?;
            (
                vec![Input {
                    path: file.path.clone(),
                    name: crate::source::display_name(&file.path),
                    kind,
                }],
                Vec::new(),
            )
        }
        None => {
            let (inputs, skipped, contents) = discover::discover_reading(paths, settings.kind)
                .map_err(|e| RunError(e.to_string()))?;
            sources.reserve(contents.len());
            for (path, bytes) in contents {
                sources.preload(&path, bytes);
            }
            (inputs, skipped)
        }
    };
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    crate::timing::phase("discover");

    let mut diagnostics = Vec::new();
    let of_kind = |k: Kind| {
        inputs
            .iter()
            .filter(move |i| i.kind == k)
            .collect::<Vec<_>>()
    };

    // Compose first: the stack decides which nginx and php-fpm files run in which service.
    let compose_paths: Vec<PathBuf> = of_kind(Kind::Compose)
        .iter()
        .map(|i| i.path.clone())
        .collect();
    let (compose_files, projects) =
        load_compose_projects(&mut sources, &compose_paths, settings, &mut diagnostics);
    let stack = crate::stack::build(&mut sources, projects, settings);
    diagnostics.extend(stack.diagnostics.iter().cloned());
    // After the stack: C007 asks which services a proxy's nginx passes to.
    run_compose_rules(
        &sources,
        settings,
        &stack.projects,
        Some(&stack),
        &mut diagnostics,
    );
    // Files placed into a service are linted there (stack mode), not again on their own.
    let standalone = |k: Kind| -> Vec<&Input> {
        of_kind(k)
            .into_iter()
            .filter(|i| {
                !stack
                    .placed_files
                    .contains(&crate::source::normalize(&i.path))
            })
            .collect()
    };

    let nginx = crate::nginx::load(&mut sources, &standalone(Kind::Nginx), settings)
        .map_err(|e| RunError(e.to_string()))?;
    diagnostics.extend(nginx.diagnostics.iter().cloned());
    crate::timing::phase("nginx load");
    let placed_nginx = stack
        .placements
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.nginx.as_ref().map(|c| (c, Some(i))));
    for (config, placement) in nginx.configs.iter().map(|c| (c, None)).chain(placed_nginx) {
        let cx = NginxCx::new(
            &sources,
            settings,
            config,
            placement.map(|placement| StackView {
                stack: &stack,
                placement,
            }),
        );
        // A large configuration (the parsed text, with its includes) gets its rules run on all cores.
        let bytes: usize = config.files().map(|f| sources.get(f).text.len()).sum();
        if bytes >= PARALLEL_RULES_BYTES {
            // The report needs the files' line starts; finding them fills the time the second
            // thread would wait for the first rule's walk of the configuration.
            let index_lines = || config.files().for_each(|f| sources.get(f).index_lines());
            rules::run_parallel_beside(
                &settings.rules,
                Check::nginx,
                &cx,
                &mut diagnostics,
                &index_lines,
            );
        } else {
            rules::run(&settings.rules, Check::nginx, &cx, &mut diagnostics);
        }
    }
    crate::timing::phase("nginx rules");

    let phpfpm = crate::phpfpm::load(&mut sources, &standalone(Kind::PhpFpm), settings)
        .map_err(|e| RunError(e.to_string()))?;
    diagnostics.extend(phpfpm.diagnostics.iter().cloned());
    let placed_fpm = stack
        .placements
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.fpm.as_ref().map(|s| (s, Some(i))));
    for (set, placement) in phpfpm.sets.iter().map(|s| (s, None)).chain(placed_fpm) {
        let first = diagnostics.len();
        let beside: Vec<&crate::nginx::Config> = if placement.is_none() {
            nginx
                .configs
                .iter()
                .chain(stack.placements.iter().filter_map(|p| {
                    let holds_pool = p.fs.files.iter().any(|(_, host)| {
                        set.files
                            .iter()
                            .any(|&f| sources.get(f).path.as_deref() == Some(host.as_path()))
                    });
                    p.nginx.as_ref().filter(|_| holds_pool)
                }))
                .collect()
        } else {
            Vec::new()
        };
        let cx = PhpFpmCx {
            sources: &sources,
            settings,
            set,
            stack: placement.map(|placement| StackView {
                stack: &stack,
                placement,
            }),
            nginx: &beside,
        };
        rules::run(&settings.rules, Check::phpfpm, &cx, &mut diagnostics);
        set.drop_context_findings(&mut diagnostics, first);
    }

    if !stack.placements.is_empty() {
        let cx = StackCx {
            sources: &sources,
            settings,
            stack: &stack,
        };
        rules::run(&settings.rules, Check::stack, &cx, &mut diagnostics);
    }

    // Every file of a known kind, for inline suppressions.
    let mut kinds: Vec<(FileId, Kind)> = nginx.files.iter().map(|&f| (f, Kind::Nginx)).collect();
    kinds.extend(phpfpm.files.iter().map(|&f| (f, Kind::PhpFpm)));
    for p in &stack.placements {
        kinds.extend(
            p.nginx
                .iter()
                .flat_map(|c| c.files())
                .map(|f| (f, Kind::Nginx)),
        );
        kinds.extend(
            p.fpm
                .iter()
                .flat_map(|s| s.files.iter())
                .map(|&f| (f, Kind::PhpFpm)),
        );
    }
    kinds.extend(compose_files.iter().map(|&f| (f, Kind::Compose)));
    // Dockerfiles (S004 reports a CMD) comment with `#` as compose files do.
    kinds.extend(
        stack
            .placements
            .iter()
            .filter_map(|p| p.dockerfile)
            .map(|f| (f, Kind::Compose)),
    );
    for input in &inputs {
        // Loading is idempotent: a file the language loaders read keeps its id.
        let id = sources
            .load(&input.path, input.name.clone())
            .map_err(|e| RunError(e.to_string()))?;
        kinds.push((id, input.kind));
    }
    kinds.sort();
    kinds.dedup_by_key(|(f, _)| *f);
    crate::timing::phase("other families");

    // Built-in sources (an image's stock files) have no path and are not files the user checks.
    let files = sources
        .iter()
        .filter(|(_, f)| {
            f.path
                .as_ref()
                .is_some_and(|p| crate::stack::is_repo_path(p))
        })
        .count();
    // Findings come in runs of one rule in one file: the last answer is asked again first.
    let mut last: Option<(&str, FileId, bool)> = None;
    diagnostics.retain(|d| match last {
        Some((code, file, enabled)) if std::ptr::eq(code, d.code) && file == d.span.file => enabled,
        _ => {
            let enabled = settings.enabled_in(d.code, sources.get(d.span.file).path.as_deref());
            last = Some((d.code, d.span.file, enabled));
            enabled
        }
    });
    let mut diagnostics = crate::suppress::apply(&sources, &kinds, diagnostics, settings);
    for d in &mut diagnostics {
        if let Some(severity) = settings.severity_of(d.code) {
            d.severity = severity;
        }
    }
    crate::report::sort(&sources, &mut diagnostics);
    // Equal findings have equal spans: that cheap comparison first (the messages and helps of
    // neighbouring findings of one rule often share long prefixes).
    diagnostics.dedup_by(|a, b| a.span == b.span && a == b);
    crate::timing::phase("filter, sort");
    Ok(Outcome {
        sources,
        diagnostics,
        files,
        skipped,
        stack,
    })
}
