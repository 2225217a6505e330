//! Every php-fpm file of the shared corpus (`../shared/corpus`, real files from public repositories) goes
//! through `wirelint check` without a panic or an error exit, alone and under the official image's stock
//! files; the run reports how many pools it read.

use std::path::PathBuf;
use wirelint::settings::{Kind, Settings};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("WIRELINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    dir.is_dir().then_some(dir)
}

#[test]
fn corpus_php_fpm_files_check_without_panic() {
    let Some(dir) = corpus() else {
        let msg = "../shared/corpus not found: the php-fpm corpus test did not run";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let (inputs, _) = wirelint::discover::discover(std::slice::from_ref(&dir), None).unwrap();
    let fpm: Vec<_> = inputs.iter().filter(|i| i.kind == Kind::PhpFpm).collect();
    assert!(!fpm.is_empty(), "the corpus holds php-fpm files");
    let mut files_with_findings = 0;
    for image in [None, Some("php:8.2.20-fpm"), Some("php:8.3-fpm")] {
        for input in &fpm {
            let mut settings = Settings::default();
            settings.phpfpm.image = image.map(str::to_string);
            let path = input.path.clone();
            let outcome = std::panic::catch_unwind(|| {
                wirelint::lint::check(std::slice::from_ref(&path), None, &settings)
            });
            let outcome = outcome
                .unwrap_or_else(|_| panic!("panic on {} (image {image:?})", path.display()))
                .unwrap_or_else(|e| panic!("error on {}: {e}", path.display()));
            if image.is_none() && !outcome.diagnostics.is_empty() {
                files_with_findings += 1;
            }
        }
    }
    // All php-fpm files of the corpus in one run, grouped into pool sets as php-fpm would load them.
    let settings = Settings::default();
    let mut sources = wirelint::source::SourceMap::new();
    let loaded = wirelint::phpfpm::load(&mut sources, &fpm, &settings).unwrap();
    let pools: usize = loaded.sets.iter().map(|s| s.pools.len()).sum();
    eprintln!(
        "php-fpm corpus: {} files, {} pool sets, {} pools read; {} files with findings",
        fpm.len(),
        loaded.sets.len(),
        pools,
        files_with_findings
    );
    assert!(pools > 0);
}
