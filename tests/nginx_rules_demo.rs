//! The README's first command, `wirelint check fixtures/demo`, reproduces the first seed incident: nginx
//! passes PHP to `legacy:9000`, a name it resolves once at start-up (N001).

use std::path::PathBuf;
use wirelint::settings::Settings;

#[test]
fn demo_reports_the_stale_fastcgi_target() {
    let outcome = wirelint::lint::check(
        &[PathBuf::from("fixtures/demo")],
        None,
        &Settings::default(),
    )
    .expect("lint runs");
    let n001: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "N001")
        .collect();
    assert_eq!(n001.len(), 1, "{:#?}", outcome.diagnostics);
    let d = n001[0];
    let loc = outcome.sources.location(d.span);
    assert_eq!(loc.file, "fixtures/demo/nginx/conf.d/default.conf");
    assert_eq!(outcome.sources.text(d.span), "legacy");
    let line = outcome.sources.get(d.span.file).line_text(loc.line);
    assert_eq!(line.trim(), "fastcgi_pass legacy:9000;");
    let help = d.help.as_deref().unwrap_or_default();
    // Both fixes, and why a resolver alone is not one.
    assert!(
        help.contains("`resolver` alone does not re-resolve"),
        "{help}"
    );
    assert!(help.contains("set $upstream_legacy legacy:9000;"), "{help}");
    assert!(help.contains("fastcgi_pass $upstream_legacy;"), "{help}");
    assert!(help.contains("resolver 127.0.0.11"), "{help}");
    assert!(help.contains("server legacy:9000 resolve;"), "{help}");
}

#[test]
fn old_nginx_gets_no_resolve_suggestion() {
    let mut settings = Settings::default();
    settings.nginx.version = wirelint::settings::Version::parse("1.22.1");
    let outcome = wirelint::lint::check(&[PathBuf::from("fixtures/demo")], None, &settings)
        .expect("lint runs");
    let d = outcome
        .diagnostics
        .iter()
        .find(|d| d.code == "N001")
        .expect("N001");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(!help.contains("server legacy:9000 resolve"), "{help}");
    assert!(help.contains("fastcgi_pass $upstream_legacy;"), "{help}");
}
