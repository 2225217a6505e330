//! Runs every nginx file of the shared real-world corpus (`../shared/corpus`, beside the repository)
//! through wirelint: each file alone, then each project directory as a whole (so includes and roots are
//! exercised). Asserts zero panics; prints how many files get N000 and the messages, for the corpus
//! notes in `docs/corpus-nginx.md`. Skips with a message when the corpus is absent (fails under
//! `CI=true`, where it is always there).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use wirelint::settings::{Kind, Settings};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

#[test]
fn corpus_nginx_files_never_panic() {
    let Some(root) = corpus() else {
        eprintln!("nginx_corpus: ../shared/corpus not found; skipping");
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but ../shared/corpus is missing"
        );
        return;
    };
    let (inputs, _) = wirelint::discover::discover(std::slice::from_ref(&root), None).unwrap();
    let files: Vec<PathBuf> = inputs
        .into_iter()
        .filter(|i| i.kind == Kind::Nginx)
        .map(|i| i.path)
        .collect();
    assert!(!files.is_empty(), "the corpus holds nginx files");
    let settings = Settings::default();
    let mut panics = Vec::new();
    let mut n000_files = 0;
    let mut n000_messages: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_code: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut templates: BTreeMap<&'static str, usize> = BTreeMap::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if let Some(marker) = wirelint::nginx::parse(wirelint::source::FileId(0), &text).template {
            *templates.entry(marker).or_default() += 1;
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            let s = Settings {
                kind: Some(Kind::Nginx),
                ..settings.clone()
            };
            wirelint::lint::check(std::slice::from_ref(file), None, &s)
        }));
        match result {
            Err(_) => panics.push(file.display().to_string()),
            Ok(Err(e)) => eprintln!("nginx_corpus: {}: error: {e}", file.display()),
            Ok(Ok(outcome)) => {
                let mut has_n000 = false;
                for d in &outcome.diagnostics {
                    *by_code.entry(d.code).or_default() += 1;
                    let loc = outcome.sources.location(d.span);
                    eprintln!(
                        "nginx_corpus: {} {}:{}: {}",
                        d.code, loc.file, loc.line, d.message
                    );
                    if d.code == "N000" {
                        has_n000 = true;
                        *n000_messages.entry(d.message.clone()).or_default() += 1;
                    }
                }
                n000_files += usize::from(has_n000);
            }
        }
    }
    // Whole projects: roots, includes and contexts across files.
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for project in &projects {
        let result = catch_unwind(AssertUnwindSafe(|| {
            wirelint::lint::check(std::slice::from_ref(project), None, &settings)
        }));
        if result.is_err() {
            panics.push(project.display().to_string());
        }
    }
    eprintln!(
        "nginx_corpus: {} nginx files, {} projects; {n000_files} files with N000; findings by code: {by_code:?}",
        files.len(),
        projects.len()
    );
    eprintln!("nginx_corpus: templates not checked (by marker): {templates:?}");
    for (m, n) in &n000_messages {
        eprintln!("nginx_corpus:   {n} × {m}");
    }
    assert!(panics.is_empty(), "panicked on: {panics:?}");
}
