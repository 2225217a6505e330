//! `.wirelint.toml` through the binary: discovery, `--config`, `--no-config`, precedence of flags over the
//! file, overrides by path, severities, and clear errors for mistakes.
//!
//! Findings come from the suppression checks (W001 unused, W002 no reason), which fire on any nginx file
//! today; the same settings drive every other rule.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A suppression with no reason that silences nothing: one W001 and one W002.
const SITE: &str = "server {\n    listen 10.0.0.1:8080;  # wirelint: ignore[N000]\n}\n";

fn wirelint(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .arg("--format=json")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json, stderr)
}

fn codes(doc: &Value) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["file"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn project(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nginx")).unwrap();
    std::fs::create_dir_all(dir.path().join("legacy/nginx")).unwrap();
    std::fs::write(dir.path().join("nginx/site.conf"), SITE).unwrap();
    std::fs::write(dir.path().join("legacy/nginx/old.conf"), SITE).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join(".wirelint.toml"), config).unwrap();
    }
    dir
}

#[test]
fn without_config_both_findings() {
    let dir = project(None);
    let (code, doc, _) = wirelint(dir.path(), &["nginx"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&doc),
        ["nginx/site.conf:W001", "nginx/site.conf:W002"]
    );
}

#[test]
fn config_ignore_and_flag_replaces_it() {
    let dir = project(Some("[rules]\nignore = [\"W002\"]\n"));
    let (_, doc, _) = wirelint(dir.path(), &["nginx"]);
    assert_eq!(codes(&doc), ["nginx/site.conf:W001"]);
    // `--ignore` on the command line replaces the file's list.
    let (_, doc, _) = wirelint(dir.path(), &["nginx", "--ignore", "W001"]);
    assert_eq!(codes(&doc), ["nginx/site.conf:W002"]);
    // `--no-config` drops the file altogether.
    let (_, doc, _) = wirelint(dir.path(), &["nginx", "--no-config"]);
    assert_eq!(codes(&doc).len(), 2);
}

#[test]
fn config_select_and_flag_select() {
    // N000 stays selected so the suppression of it counts as unused.
    let dir = project(Some("[rules]\nselect = [\"N000\", \"W001\"]\n"));
    let (_, doc, _) = wirelint(dir.path(), &["nginx"]);
    assert_eq!(codes(&doc), ["nginx/site.conf:W001"]);
    let (_, doc, _) = wirelint(
        dir.path(),
        &["nginx", "--select", "N000,suppression-without-reason"],
    );
    assert_eq!(codes(&doc), ["nginx/site.conf:W002"]);
}

#[test]
fn severity_and_min_severity_with_flag_precedence() {
    let dir = project(Some(
        "min-severity = \"error\"\n[rules.severity]\nW001 = \"error\"\nsuppression-without-reason = \"info\"\n",
    ));
    let (code, doc, _) = wirelint(dir.path(), &["nginx"]);
    let sev: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}={}",
                d["code"].as_str().unwrap(),
                d["severity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(sev, ["W002=info", "W001=error"]);
    assert_eq!(code, 1, "W001 raised to error meets min-severity error");

    let dir = project(Some("min-severity = \"error\"\n"));
    let (code, _, _) = wirelint(dir.path(), &["nginx"]);
    assert_eq!(code, 0, "warnings only, min-severity error from the file");
    let (code, _, _) = wirelint(dir.path(), &["nginx", "--min-severity", "warning"]);
    assert_eq!(code, 1, "the flag wins over the file");
}

#[test]
fn overrides_ignore_by_path_relative_to_the_config() {
    let dir = project(Some(
        "[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"W\"]\n",
    ));
    let (_, doc, _) = wirelint(dir.path(), &["."]);
    assert_eq!(
        codes(&doc),
        ["nginx/site.conf:W001", "nginx/site.conf:W002"]
    );
    // From a subdirectory the globs still resolve against the config file's directory.
    let (_, doc, _) = wirelint(&dir.path().join("legacy"), &["."]);
    assert_eq!(codes(&doc), Vec::<String>::new());
    let (_, doc, _) = wirelint(&dir.path().join("nginx"), &["."]);
    assert_eq!(codes(&doc), ["site.conf:W001", "site.conf:W002"]);
}

#[test]
fn explicit_config_file_wins_over_discovery() {
    let dir = project(Some("[rules]\nignore = [\"W001\"]\n"));
    std::fs::write(dir.path().join("ci.toml"), "[rules]\nignore = [\"W002\"]\n").unwrap();
    let (_, doc, _) = wirelint(dir.path(), &["nginx", "--config", "ci.toml"]);
    assert_eq!(codes(&doc), ["nginx/site.conf:W001"]);
    let (code, _, err) = wirelint(dir.path(), &["nginx", "--config", "missing.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.toml: cannot read config file"),
        "{err}"
    );
}

#[test]
fn mistakes_are_errors_with_file_line_and_key() {
    let cases = [
        (
            "[rules]\nselect = [\"W\"]\nselct = [\"N\"]\n",
            ".wirelint.toml:3:1:",
            "selct",
        ),
        ("[rules]\nignore = [\"W9\"]\n", ".wirelint.toml:2:11:", "W9"),
        (
            "[rules.severity]\nW001 = \"loud\"\n",
            ".wirelint.toml:2:8:",
            "loud",
        ),
        (
            "[nginx]\nversion = \"latest\"\n",
            ".wirelint.toml:2:11:",
            "latest",
        ),
        ("[nginx\n", ".wirelint.toml:1:7:", "table"),
        (
            "[[overrides]]\nignore = [\"W001\"]\n",
            ".wirelint.toml:1:1:",
            "paths",
        ),
    ];
    for (text, place, needle) in cases {
        let dir = project(Some(text));
        let (code, _, err) = wirelint(dir.path(), &["nginx"]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains(place) && err.contains(needle), "{text}: {err}");
        // From a subdirectory the error still names the file that holds the mistake.
        let (code, _, err) = wirelint(&dir.path().join("nginx"), &["."]);
        assert_eq!(code, 2);
        assert!(err.contains(".wirelint.toml:"), "{err}");
    }
}
