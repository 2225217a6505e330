//! The paths taken for large inputs give the same findings as the ones for small inputs: the rules of one
//! configuration on all cores (`rules::run_parallel`, in the same order), and a large `include` glob (one
//! configuration of many files, its rules on all cores) against its files checked one by one.

use std::path::PathBuf;
use wirelint::rules::{self, Check, NginxCx};
use wirelint::settings::Settings;
use wirelint::source::SourceMap;

/// A configuration with N001, N002, N003 and N008 findings in many servers, split over `files` files
/// pulled in by `include conf.d/*.conf;`.
fn write_config(dir: &std::path::Path, servers: usize, files: usize) -> PathBuf {
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    let main = dir.join("nginx.conf");
    std::fs::write(
        &main,
        "events {}\nhttp {\n    upstream pool { server app.internal:8080 resolve; }\n    include conf.d/*.conf;\n}\n",
    )
    .unwrap();
    for f in 0..files {
        let mut text = String::new();
        for s in (f..servers).step_by(files) {
            text.push_str(&format!(
                "server {{\n    listen 127.0.0.1:{port};\n    location / {{ proxy_pass http://svc{s}.internal:8080; }}\n    \
                 location /v {{ set $b{s} app{s}:7000; proxy_pass http://$b{s}; }}\n    \
                 location /p {{ fastcgi_pass php{s}:9000; proxy_read_timeout 5s; }}\n}}\n",
                port = 8000 + s
            ));
        }
        std::fs::write(dir.join(format!("conf.d/site-{f:03}.conf")), text).unwrap();
    }
    main
}

/// The nginx configuration whose main file is `main`.
fn load(main: PathBuf, sources: &mut SourceMap, settings: &Settings) -> wirelint::nginx::Loaded {
    let input = wirelint::discover::Input {
        path: main,
        name: "nginx.conf".into(),
        kind: wirelint::settings::Kind::Nginx,
    };
    wirelint::nginx::load(sources, &[&input], settings).unwrap()
}

#[test]
fn parallel_rules_equal_sequential_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let main = write_config(tmp.path(), 200, 3);
    let settings = Settings::default();
    let mut sources = SourceMap::new();
    let loaded = load(main, &mut sources, &settings);
    assert_eq!(loaded.configs.len(), 1);
    let config = &loaded.configs[0];
    let cx = NginxCx::new(&sources, &settings, config, None);
    let mut sequential = Vec::new();
    rules::run(&settings.rules, Check::nginx, &cx, &mut sequential);
    let cx = NginxCx::new(&sources, &settings, config, None);
    let mut parallel = Vec::new();
    rules::run_parallel(&settings.rules, Check::nginx, &cx, &mut parallel);
    let codes: std::collections::BTreeSet<&str> = sequential.iter().map(|d| d.code).collect();
    assert!(
        ["N001", "N002", "N003", "N008"]
            .iter()
            .all(|c| codes.contains(c)),
        "{codes:?}"
    );
    assert!(sequential.len() > 600, "{}", sequential.len());
    assert_eq!(parallel, sequential);
}

#[test]
fn a_job_beside_the_rules_runs_once_and_changes_no_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let main = write_config(tmp.path(), 100, 2);
    let settings = Settings::default();
    let mut sources = SourceMap::new();
    let loaded = load(main, &mut sources, &settings);
    let config = &loaded.configs[0];
    let cx = NginxCx::new(&sources, &settings, config, None);
    let mut sequential = Vec::new();
    rules::run(&settings.rules, Check::nginx, &cx, &mut sequential);
    assert!(sequential.len() > 300, "{}", sequential.len());
    // All rules, and one rule alone (two jobs then: the rule and the side job).
    for selection in [settings.rules.clone(), select("N001")] {
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let beside = || {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let cx = NginxCx::new(&sources, &settings, config, None);
        let mut found = Vec::new();
        rules::run_parallel_beside(&selection, Check::nginx, &cx, &mut found, &beside);
        assert_eq!(runs.into_inner(), 1);
        let expected: Vec<_> = sequential
            .iter()
            .filter(|d| selection.enabled(d.code))
            .cloned()
            .collect();
        assert_eq!(found, expected);
    }
}

fn select(code: &str) -> rules::Selection {
    rules::Selection {
        select: vec![code.to_string()],
        ignore: Vec::new(),
    }
}

#[test]
fn a_large_glob_gives_the_findings_of_its_files_checked_one_by_one() {
    // 60 files of ~8 KB in one glob vs. each file in a configuration of its own: the same findings, file
    // for file.
    let big = tempfile::tempdir().unwrap();
    write_config(big.path(), 2400, 60);
    let settings = Settings::default();
    let run = |dir: &std::path::Path| {
        let out = wirelint::lint::check(&[dir.to_path_buf()], None, &settings).unwrap();
        let located: Vec<String> = out
            .diagnostics
            .iter()
            .map(|d| {
                let l = out.sources.location(d.span);
                format!(
                    "{} {}:{}:{} {}",
                    d.code,
                    l.file.rsplit('/').next().unwrap(),
                    l.line,
                    l.column,
                    d.message
                )
            })
            .collect();
        located
    };
    let bytes: u64 = std::fs::read_dir(big.path().join("conf.d"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(bytes > 256 * 1024, "{bytes}");
    let found = run(big.path());
    assert!(found.len() > 7000, "{}", found.len());
    // The same inputs one file at a time (each below every threshold).
    let mut one_by_one = Vec::new();
    for f in 0..60 {
        let small = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(small.path().join("conf.d")).unwrap();
        std::fs::write(
            small.path().join("nginx.conf"),
            "events {}\nhttp {\n    upstream pool { server app.internal:8080 resolve; }\n    include conf.d/*.conf;\n}\n",
        )
        .unwrap();
        std::fs::copy(
            big.path().join(format!("conf.d/site-{f:03}.conf")),
            small.path().join(format!("conf.d/site-{f:03}.conf")),
        )
        .unwrap();
        let mut part = run(small.path());
        if f > 0 {
            part.retain(|l| !l.contains("nginx.conf:"));
        }
        one_by_one.extend(part);
    }
    let mut a = found.clone();
    let mut b = one_by_one;
    a.sort();
    b.sort();
    assert_eq!(a, b);
}
