//! `--fix` and `--diff` through the binary. The fix used here is W001's (remove a suppression that silences
//! nothing); the fix engine is the same for every rule's fix (unit tests in `fix` cover unsafe fixes and
//! overlapping edits with synthetic fixes).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// CRLF line ends, tabs and trailing spaces elsewhere must survive byte for byte.
const BEFORE: &str = "server {\r\n\t# wirelint: ignore[N000] stale\r\n\tlisten 10.0.0.1:80;   \r\n\tlisten 10.0.0.1:81; # wirelint: ignore[N000] stale too\r\n\tserver_name a.example;\r\n}\r\n";
const AFTER: &str = "server {\r\n\tlisten 10.0.0.1:80;   \r\n\tlisten 10.0.0.1:81;\r\n\tserver_name a.example;\r\n}\r\n";

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir)
        .args(["check", "--no-config"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nginx")).unwrap();
    std::fs::write(dir.path().join("nginx/site.conf"), BEFORE).unwrap();
    dir
}

#[test]
fn fix_rewrites_byte_exact_and_relints_clean() {
    let dir = project();
    let (code, out, err) = run(dir.path(), &["--fix", "--format=json", "nginx"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("fixed 2 findings"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("nginx/site.conf")).unwrap(),
        AFTER
    );
    // A fresh run agrees: nothing left.
    let (code, _, _) = run(dir.path(), &["nginx"], None);
    assert_eq!(code, 0);
}

#[test]
fn diff_prints_and_does_not_write() {
    let dir = project();
    let (code, out, err) = run(dir.path(), &["--diff", "nginx"], None);
    assert_eq!(code, 1);
    assert!(err.contains("would fix 2 findings"), "{err}");
    assert!(
        out.starts_with("--- a/nginx/site.conf\n+++ b/nginx/site.conf\n"),
        "{out}"
    );
    assert!(
        out.contains("-\t# wirelint: ignore[N000] stale\r\n"),
        "{out:?}"
    );
    assert!(out.contains("+\tlisten 10.0.0.1:81;\r\n"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("nginx/site.conf")).unwrap(),
        BEFORE
    );
    std::fs::write(dir.path().join("nginx/site.conf"), AFTER).unwrap();
    let (code, out, _) = run(dir.path(), &["--diff", "nginx"], None);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn stdin_diff_works_and_stdin_fix_is_refused() {
    let dir = project();
    let (code, out, _) = run(
        dir.path(),
        &["--diff", "--stdin-filename", "nginx/other.conf"],
        Some(BEFORE),
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("--- a/nginx/other.conf\n"), "{out}");
    let (code, _, err) = run(
        dir.path(),
        &["--fix", "--stdin-filename", "nginx/other.conf"],
        Some(BEFORE),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--fix cannot rewrite standard input"), "{err}");
}

#[test]
fn fix_and_diff_conflict() {
    let dir = project();
    let (code, _, err) = run(dir.path(), &["--fix", "--diff", "nginx"], None);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
}
