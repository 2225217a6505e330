//! Precision on real stacks: `wirelint check ../shared/corpus` completes without panics, and every warning
//! and error is listed (run with `--nocapture` to read them; `docs/corpus.md` records the hand review).
//! Skipped (with a note) where the corpus is not present; fails in CI (`CI=true`) then.

use std::collections::BTreeMap;
use std::path::PathBuf;
use wirelint::diagnostic::Severity;

#[test]
fn corpus_findings_listed() {
    let corpus = PathBuf::from("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipping: {} not found", corpus.display());
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpus missing in CI"
        );
        return;
    }
    let settings = wirelint::settings::Settings {
        min_severity: Severity::Info,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    let outcome = wirelint::lint::check(&[corpus], None, &settings).expect("corpus checks");
    let elapsed = start.elapsed();
    let stack = &outcome.stack;
    let nginx = stack
        .placements
        .iter()
        .filter(|p| p.nginx.is_some())
        .count();
    let fpm = stack.placements.iter().filter(|p| p.fpm.is_some()).count();
    println!(
        "{} compose projects, {} services, {} run a repository nginx config, {} a repository php-fpm config; {:?}",
        stack.projects.len(),
        stack.placements.len(),
        nginx,
        fpm,
        elapsed
    );
    let mut by_code: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for d in &outcome.diagnostics {
        *by_code.entry((d.code, d.severity.as_str())).or_default() += 1;
    }
    for ((code, sev), n) in &by_code {
        println!("{code} {sev:<7} {n}");
    }
    for d in &outcome.diagnostics {
        if d.severity < Severity::Warning {
            continue;
        }
        let l = outcome.sources.location(d.span);
        println!(
            "{} {} {}:{} {}",
            d.code,
            d.severity.as_str(),
            l.file,
            l.line,
            d.message
        );
    }
    assert!(
        stack.placements.len() > 100,
        "the corpus has compose stacks"
    );
}
