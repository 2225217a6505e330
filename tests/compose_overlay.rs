//! Overlay files (`docker compose -f compose.yaml -f this.yaml`): a file compose rejects alone is checked
//! merged onto its base; what the merge still gets wrong is reported, each finding once, where it comes from.
//! (Agreement with compose itself: `tests/compose_differential.rs`.)

use clap::Parser;
use std::path::Path;
use wirelint::cli::{Cli, Command};

fn check(args: &[&str]) -> serde_json::Value {
    let mut argv = vec!["wirelint", "check", "--format=json", "--min-severity=info"];
    argv.extend_from_slice(args);
    let Command::Check(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let (text, _) = wirelint::cli::check(&args, false).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (code, file name, line, message) of every finding.
fn findings(v: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                Path::new(d["file"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const BASE: &str = "\
services:
  web:
    image: \"example/web:${TAG}\"
    ports:
      - \"127.0.0.1:8080:80\"
    networks: [app]
networks:
  app: {}
";

#[test]
fn overlay_findings_are_its_own_and_reported_once() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "compose.yaml", BASE);
    // Uses the base's network and `TAG` (both the base's business), adds its own unset variable and
    // publishes the port `web` already publishes.
    write(
        d.path(),
        "compose.admin.yaml",
        "services:\n  admin:\n    image: \"example/admin:${TAG}-${ADMIN_TAG}\"\n    ports:\n      - \"127.0.0.1:8080:80\"\n    networks: [app]\n",
    );
    let dir = d.path().to_string_lossy().to_string();
    let all = findings(&check(&[&dir]));
    let of = |code: &str| -> Vec<_> { all.iter().filter(|f| f.0 == code).cloned().collect() };
    assert!(of("C000").is_empty(), "{all:#?}");
    // `TAG` once, at the base's use; `ADMIN_TAG` at the overlay's.
    let c005 = of("C005");
    assert_eq!(c005.len(), 2, "{all:#?}");
    assert!(c005
        .iter()
        .any(|f| f.1 == "compose.yaml" && f.3.contains("TAG") && !f.3.contains("ADMIN_TAG")));
    assert!(c005
        .iter()
        .any(|f| f.1 == "compose.admin.yaml" && f.3.contains("ADMIN_TAG")));
    // The collision exists only in the merged project: reported, at the overlay's port.
    let c002 = of("C002");
    assert_eq!(c002.len(), 1, "{all:#?}");
    assert_eq!(c002[0].1, "compose.admin.yaml");
}

#[test]
fn overlay_still_wrong_when_merged_is_reported() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "compose.yaml", BASE);
    write(
        d.path(),
        "compose.worker.yaml",
        "services:\n  worker:\n    image: example/worker\n    networks: [app, queue]\n",
    );
    let dir = d.path().to_string_lossy().to_string();
    let all = findings(&check(&[&dir]));
    let c000: Vec<_> = all.iter().filter(|f| f.0 == "C000").collect();
    // `app` is the base's: only `queue` is undefined.
    assert_eq!(c000.len(), 1, "{all:#?}");
    assert_eq!(c000[0].1, "compose.worker.yaml");
    assert!(c000[0].3.contains("\"queue\""), "{all:#?}");
}

#[test]
fn a_file_valid_alone_is_not_merged() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "compose.yaml", BASE);
    // A second, independent project next to the base (its own network): it stays its own project, so
    // the base's `web` and its port are not counted against it.
    write(
        d.path(),
        "compose.tools.yaml",
        "services:\n  tool:\n    image: example/tool\n    ports:\n      - \"127.0.0.1:8080:80\"\n",
    );
    let dir = d.path().to_string_lossy().to_string();
    let all = findings(&check(&[&dir]));
    assert!(
        all.iter().all(|f| f.0 != "C000" && f.0 != "C002"),
        "{all:#?}"
    );
}

#[test]
fn overlay_in_a_subdirectory_merges_onto_the_compose_file_above() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "compose.yaml", BASE);
    write(d.path(), "app.env", "SITE=example.test\n");
    // `env_file` relative to the project directory (the base's), as compose reads every `-f` file.
    write(
        d.path(),
        "overrides/compose.migrator.yaml",
        "services:\n  migrator:\n    image: example/web\n    env_file: app.env\n    depends_on: [web]\n",
    );
    let dir = d.path().to_string_lossy().to_string();
    let all = findings(&check(&[&dir]));
    assert!(all.iter().all(|f| f.0 != "C000"), "{all:#?}");
}

#[test]
fn a_changed_overlay_is_checked_with_its_base_in_stack_mode() {
    // What the pre-commit hook runs when only the overlay changed: its stack is the base's directory.
    for overlay in [
        "fixtures/compose/C000-invalid-compose/good-overlay/docker-compose-inits.yml",
        "fixtures/compose/C000-invalid-compose/good-overlay-subdir/overrides/compose.migrator.yaml",
    ] {
        let all = findings(&check(&["--stack", overlay]));
        assert!(all.iter().all(|f| f.0 != "C000"), "{overlay}: {all:#?}");
    }
    let all = findings(&check(&[
        "--stack",
        "fixtures/compose/C000-invalid-compose/bad-overlay/compose.worker.yaml",
    ]));
    assert_eq!(all.iter().filter(|f| f.0 == "C000").count(), 2, "{all:#?}");
}
