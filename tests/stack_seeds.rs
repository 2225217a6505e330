//! Both seed incidents, end to end, as the demo stacks in `fixtures/` (the README's first command is
//! `wirelint check fixtures/demo`), plus `explain SERVICE` and `graph` over them.

use std::path::PathBuf;
use wirelint::diagnostic::Severity;
use wirelint::settings::Settings;

fn codes(dir: &str) -> (wirelint::lint::Outcome, Vec<(&'static str, Severity)>) {
    let outcome = wirelint::lint::check(&[PathBuf::from(dir)], None, &Settings::default())
        .expect("lint runs");
    let codes = outcome
        .diagnostics
        .iter()
        .map(|d| (d.code, d.severity))
        .collect();
    (outcome, codes)
}

#[test]
fn floating_tag_reports_stale_dns_and_unreachable_fpm() {
    let (outcome, codes) = codes("fixtures/demo");
    assert_eq!(
        codes,
        vec![("N001", Severity::Error), ("S003", Severity::Error)],
        "{:#?}",
        outcome.diagnostics
    );
    let n001 = &outcome.diagnostics[0];
    assert!(
        n001.message.contains("compose service `legacy`"),
        "{}",
        n001.message
    );
    assert!(n001
        .help
        .as_deref()
        .unwrap()
        .contains("resolver 127.0.0.11 valid=10s;"));
    let s003 = &outcome.diagnostics[1];
    assert_eq!(outcome.sources.text(s003.span), "legacy");
    let related: Vec<String> = s003
        .related
        .iter()
        .map(|r| outcome.sources.location(r.span).file)
        .collect();
    // The pool file's `listen` line, the stock file it beats, the mount that placed it, the image.
    assert!(
        related.contains(&"fixtures/demo/php/www.conf".to_string()),
        "{related:?}"
    );
    assert!(
        related.iter().any(|f| f == "fixtures/demo/compose.yaml"),
        "{related:?}"
    );
    let listen = s003
        .related
        .iter()
        .find(|r| outcome.sources.location(r.span).file == "fixtures/demo/php/www.conf")
        .unwrap();
    assert_eq!(outcome.sources.text(listen.span), "127.0.0.1:9000");
}

#[test]
fn pinned_tag_reports_stale_dns_and_the_overridden_listen() {
    let (outcome, codes) = codes("fixtures/demo-pinned");
    assert_eq!(
        codes,
        vec![("N001", Severity::Error), ("P002", Severity::Info)],
        "{:#?}",
        outcome.diagnostics
    );
    let p002 = &outcome.diagnostics[1];
    assert!(p002.message.contains("zz-docker.conf"), "{}", p002.message);
}

#[test]
fn flask_stack_reports_fixed_dev_ports_and_the_open_datastore() {
    let (outcome, _) = codes("fixtures/demo-flask");
    let has = |code: &str, needle: &str| {
        outcome
            .diagnostics
            .iter()
            .any(|d| d.code == code && d.message.contains(needle))
    };
    assert!(has("C001", "5000"), "{:#?}", outcome.diagnostics);
    assert!(has("C001", "8080"));
    assert!(has("C003", "5432"));
    assert!(has("N001", "compose service `darts-app`"));
    assert!(
        !outcome.diagnostics.iter().any(|d| d.code.starts_with('S')),
        "{:#?}",
        outcome.diagnostics
    );
}

#[test]
fn explain_service_shows_the_wiring() {
    let args = wirelint::cli::ExplainArgs {
        path: PathBuf::from("nginx"),
        dir: Some(PathBuf::from("fixtures/demo")),
        format: wirelint::cli::ExplainFormat::Human,
        phpfpm: Default::default(),
        kind: None,
        maps: Vec::new(),
    };
    let text = wirelint::cli::explain(&args).unwrap();
    assert!(text.contains("<nginx:1.27>/etc/nginx/nginx.conf"), "{text}");
    assert!(
        text.contains("fixtures/demo/nginx/conf.d/default.conf  → /etc/nginx/conf.d/default.conf"),
        "{text}"
    );
    assert!(text.contains("fastcgi_pass legacy:9000"), "{text}");
    assert!(
        text.contains("service `legacy` (service name via Docker DNS 127.0.0.11"),
        "{text}"
    );
    assert!(text.contains("127.0.0.1:8088:8080"), "{text}");
    let args = wirelint::cli::ExplainArgs {
        path: PathBuf::from("legacy"),
        ..args
    };
    let text = wirelint::cli::explain(&args).unwrap();
    assert!(text.contains("loopback 127.0.0.1:9000"), "{text}");
    assert!(text.contains("post-2026"), "{text}");
}

#[test]
fn graph_draws_services_edges_and_findings() {
    let args = wirelint::cli::GraphArgs {
        paths: vec![PathBuf::from("fixtures/demo")],
        format: wirelint::stack::graph::GraphFormat::Mermaid,
    };
    let text = wirelint::cli::graph(&args).unwrap();
    assert!(text.starts_with("flowchart LR"), "{text}");
    assert!(
        text.contains("demo_nginx -->|\"fastcgi_pass legacy:9000 N001 S003\"| demo_legacy"),
        "{text}"
    );
    assert!(
        text.contains("demo_legacy[\"legacy<br/>php:8.3-fpm\"]:::error"),
        "{text}"
    );
    let dot = wirelint::cli::graph(&wirelint::cli::GraphArgs {
        format: wirelint::stack::graph::GraphFormat::Dot,
        ..args
    })
    .unwrap();
    assert!(dot.contains("demo_nginx -> demo_legacy"), "{dot}");
}
