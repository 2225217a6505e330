//! Differential test: wirelint's verdict on `fixtures/nginx-syntax/` agrees with `nginx -t`.
//!
//! Each case is a full main configuration, `ok-*.conf` / `bad-*.conf`, or a directory `ok-*/` / `bad-*/`
//! holding `nginx.conf` and the files it includes. wirelint "rejects" a case when it reports any of
//! N000, N004, N005, N006, N007. The name states the expected verdict, which wirelint must match always
//! and `nginx -t` must match when nginx is installed (skipped with a message otherwise; a failure under
//! `CI=true`).

use std::path::{Path, PathBuf};
use std::process::Command;
use wirelint::settings::{Kind, Settings};

const REJECTING: &[&str] = &["N000", "N004", "N005", "N006", "N007"];

fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir("fixtures/nginx-syntax")
        .expect("fixtures/nginx-syntax exists")
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

fn main_file(case: &Path) -> PathBuf {
    if case.is_dir() {
        case.join("nginx.conf")
    } else {
        case.to_path_buf()
    }
}

fn wirelint_rejects(case: &Path) -> (bool, Vec<String>) {
    let settings = Settings {
        kind: Some(Kind::Nginx),
        ..Settings::default()
    };
    let outcome =
        wirelint::lint::check(&[case.to_path_buf()], None, &settings).expect("check runs");
    let codes: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| REJECTING.contains(&d.code))
        .map(|d| {
            let loc = outcome.sources.location(d.span);
            format!("{} {}:{}: {}", d.code, loc.file, loc.line, d.message)
        })
        .collect();
    (!codes.is_empty(), codes)
}

/// `Some((accepted, output))`, or `None` when nginx is not installed.
fn nginx_accepts(main: &Path) -> Option<(bool, String)> {
    let main = std::fs::canonicalize(main).unwrap();
    let prefix = main.parent().unwrap();
    let pid =
        std::env::temp_dir().join(format!("wirelint-differential-{}.pid", std::process::id()));
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-c")
        .arg(&main)
        .arg("-p")
        .arg(prefix)
        .arg("-g")
        .arg(format!("error_log stderr; pid {};", pid.display()))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    Some((out.status.success(), text))
}

#[test]
fn nginx_syntax_cases_agree_with_nginx_t() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} differential cases", cases.len());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let have_nginx = Command::new("nginx").arg("-v").output().is_ok();
    if !have_nginx {
        eprintln!("nginx_differential: `nginx` (the oracle) is not installed; checking wirelint against the case names only");
        assert!(!ci, "CI=true but the nginx oracle is missing");
    }
    let mut failures = Vec::new();
    let mut agreed = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let expect_reject = if name.starts_with("bad-") {
            true
        } else if name.starts_with("ok-") {
            false
        } else {
            panic!("{name}: case names start with ok- or bad-");
        };
        let (rejects, codes) = wirelint_rejects(case);
        if rejects != expect_reject {
            failures.push(format!(
                "{name}: wirelint rejects={rejects}, expected {expect_reject}: {codes:?}"
            ));
        }
        if have_nginx {
            let (accepts, out) = nginx_accepts(&main_file(case)).expect("nginx runs");
            if accepts == expect_reject {
                failures.push(format!("{name}: nginx -t accepts={accepts}, case expects reject={expect_reject}:\n{out}"));
            } else if rejects == expect_reject {
                agreed += 1;
            }
        }
    }
    eprintln!(
        "nginx_differential: {} cases, {agreed} agree with nginx -t",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
