//! A pre-commit hook passes only the changed file, an editor only the open one: the rest of php-fpm's pool
//! directory still decides the effective values, without its own findings being reported.

use std::path::PathBuf;
use wirelint::lint::{self, StdinFile};
use wirelint::settings::Settings;

fn pool_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("php-fpm.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("www.conf"),
        "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 5\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("zz-docker.conf"),
        "[global]\ndaemonize = no\n[www]\nlisten = 9000\nbogus = 1\n",
    )
    .unwrap();
    (tmp, dir)
}

fn codes(outcome: &lint::Outcome) -> Vec<(&'static str, String)> {
    outcome
        .diagnostics
        .iter()
        .map(|d| {
            let f = outcome.sources.get(d.span.file);
            (d.code, f.name.rsplit('/').next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn one_changed_file_is_checked_with_its_pool_directory() {
    let (_tmp, dir) = pool_dir();
    let settings = Settings::default();
    // www.conf alone: zz-docker.conf still overrides its listen, so no P001; P002 says so.
    let outcome = lint::check(&[dir.join("www.conf")], None, &settings).unwrap();
    assert_eq!(codes(&outcome), vec![("P002", "www.conf".to_string())]);
    // zz-docker.conf alone: its unknown key is reported, www.conf's P002 is not (www.conf was not given).
    let outcome = lint::check(&[dir.join("zz-docker.conf")], None, &settings).unwrap();
    assert_eq!(
        codes(&outcome),
        vec![("P006", "zz-docker.conf".to_string())]
    );
    // The whole directory: both.
    let outcome = lint::check(std::slice::from_ref(&dir), None, &settings).unwrap();
    assert_eq!(codes(&outcome).len(), 2);
}

#[test]
fn editor_buffer_replaces_the_file_on_disk() {
    let (_tmp, dir) = pool_dir();
    let settings = Settings::default();
    let stdin = StdinFile {
        path: dir.join("zz-docker.conf"),
        text: "[global]\ndaemonize = no\n".into(),
    };
    // Without zz-docker.conf's listen (unsaved edit), www.conf's loopback listen is effective; the finding
    // is in www.conf, which was not given, so only the buffer's own findings show: none.
    let outcome = lint::check(&[], Some(stdin), &settings).unwrap();
    assert!(codes(&outcome).is_empty(), "{:?}", codes(&outcome));
    let stdin = StdinFile {
        path: dir.join("www.conf"),
        text: "[www]\nuser = www-data\nlisten = localhost:9000\npm = static\npm.max_children = 5\n"
            .into(),
    };
    let outcome = lint::check(&[], Some(stdin), &settings).unwrap();
    assert_eq!(codes(&outcome), vec![("P002", "www.conf".to_string())]);
}
