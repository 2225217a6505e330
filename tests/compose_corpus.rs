//! Robustness over real compose files: every compose file under `../shared/corpus/` (and truncated copies
//! of each, to exercise broken input) is loaded and linted without a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use wirelint::lint::check_compose;
use wirelint::settings::Settings;
use wirelint::source::SourceMap;

fn compose_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    let name = p.file_name().unwrap().to_string_lossy().to_string();
                    if wirelint::discover::is_compose_name(&name) {
                        out.push(p);
                    }
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Lints `path`, reading `text` in place of its content when given. Returns whether it panicked.
fn lint_one(path: &Path, text: Option<String>) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        let mut sources = SourceMap::new();
        if let Some(t) = text {
            sources.set_overlay(path, t);
        }
        let mut diags = Vec::new();
        check_compose(
            &mut sources,
            &[path.to_path_buf()],
            &Settings::default(),
            &mut diags,
        );
        // Rendering touches every span: it must stay inside its file.
        for d in &diags {
            let _ = sources.location(d.span);
            let _ = sources.text(d.span);
        }
    }))
    .is_err()
}

#[test]
fn no_panics_over_corpus_compose_files() {
    let corpus = PathBuf::from("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: ../shared/corpus not present");
        return;
    }
    let files = compose_files(&corpus);
    assert!(!files.is_empty());
    let mut panics = Vec::new();
    let mut runs = 0;
    for f in &files {
        runs += 1;
        if lint_one(f, None) {
            panics.push(f.display().to_string());
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for cut in [text.len() / 3, text.len() / 2, text.len() * 2 / 3] {
            let mut cut = cut;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            runs += 1;
            if lint_one(f, Some(text[..cut].to_string())) {
                panics.push(format!("{} cut at {cut}", f.display()));
            }
        }
    }
    eprintln!(
        "{} compose files, {runs} runs, {} panics",
        files.len(),
        panics.len()
    );
    assert!(panics.is_empty(), "panics: {panics:#?}");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    let cases = [
        "",
        "---\n",
        "[]",
        "services: 5",
        "services:\n  a: [1]\n",
        "services:\n  a:\n    ports: [\"99999:1\", \"a:b:c:d:e\", \"[::1\", \"1-\", {target: x}, [1]]\n",
        "services:\n  a:\n    image: \"${\"\n",
        "services:\n  a:\n    extends: a\n",
        "services:\n  a:\n    extends: {service: b, file: missing.yml}\n",
        "include: [missing.yml]\nservices: {}\n",
        "a: &a [*a]\n",
        "services:\n  a: &x\n    image: x\n  b:\n    <<: [*x, *x]\n",
        "services:\n  a:\n    image: x\n    ports: !reset\n",
        "\u{feff}services:\n  é:\n    image: ü\n",
    ];
    for c in cases {
        assert!(!lint_one(&path, Some(c.to_string())), "panicked on {c:?}");
    }
}
