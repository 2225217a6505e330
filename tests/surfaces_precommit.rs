//! The pre-commit hook, run the way pre-commit runs it: the hook's `files` pattern picks the staged files,
//! then `entry` + `args` + those file names run from the repository root.

use serde::Deserialize;
use std::path::Path;
use std::process::Command;

#[derive(Deserialize)]
struct Hook {
    id: String,
    name: String,
    entry: String,
    language: String,
    files: String,
    #[serde(default)]
    args: Vec<String>,
    pass_filenames: bool,
    require_serial: bool,
}

fn hook() -> Hook {
    let text = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    let mut hooks: Vec<Hook> = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1);
    hooks.remove(0)
}

/// pre-commit's `files` is a Python regex searched in each path; Rust's regex reads this one alike.
fn selected<'a>(hook: &Hook, staged: &[&'a str]) -> Vec<&'a str> {
    let re = regex::Regex::new(&hook.files).unwrap();
    staged.iter().copied().filter(|f| re.is_match(f)).collect()
}

/// Runs the hook like pre-commit: entry split on whitespace, the first word resolved to the installed
/// binary (here the one cargo built), then args, then the file names.
fn run_hook(root: &Path, staged: &[&str]) -> (i32, Vec<String>) {
    let hook = hook();
    let files = selected(&hook, staged);
    let mut words = hook.entry.split_whitespace();
    assert_eq!(words.next(), Some("wirelint"));
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(root)
        .args(words)
        .args(&hook.args)
        .args(["--format", "json"])
        .args(&files)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let mut found: Vec<String> = doc["diagnostics"]
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
        .collect();
    found.sort();
    (out.status.code().unwrap(), found)
}

#[test]
fn hook_entry_is_declared_for_rust() {
    let hook = hook();
    assert_eq!(hook.id, "wirelint");
    assert_eq!(hook.name, "wirelint");
    assert_eq!(hook.language, "rust");
    assert!(hook.pass_filenames && hook.require_serial);
    assert!(hook.entry.starts_with("wirelint check"));
}

#[test]
fn file_pattern_covers_the_three_languages() {
    let hook = hook();
    let yes = [
        "docker/nginx/conf.d/site.conf",
        "nginx.conf",
        "nginx/templates/default.conf.template",
        "etc/nginx/sites-enabled/default",
        "php/php-fpm.d/www.conf",
        "compose.yml",
        "deploy/docker-compose.prod.yaml",
        "compose.override.yaml",
        ".env",
        "deploy/.env.production",
        ".wirelint.toml",
    ];
    let no = [
        "README.md",
        "src/app.py",
        "helm/values.yaml",
        "composer.json",
        "Dockerfile",
    ];
    assert_eq!(selected(&hook, &yes), yes);
    assert_eq!(selected(&hook, &no), Vec::<&str>::new());
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["nginx", "php/php-fpm.d", "other/nginx"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(
        root.join("compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    std::fs::write(root.join(".env"), "TAG=1\n").unwrap();
    // Each file holds one suppression that silences nothing (W001).
    std::fs::write(
        root.join("nginx/site.conf"),
        "server {\n    listen 10.0.0.1:80;  # wirelint: ignore[N000] stale\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("php/php-fpm.d/www.conf"),
        "[www]\nuser = www-data\n; wirelint: ignore[N000] stale\nlisten = 9000\npm = static\n",
    )
    .unwrap();
    std::fs::write(root.join("README.md"), "# app\n").unwrap();
    dir
}

#[test]
fn changed_pool_file_reports_its_findings_only() {
    let dir = repo();
    let (code, found) = run_hook(dir.path(), &["php/php-fpm.d/www.conf", "README.md"]);
    assert_eq!(code, 1);
    assert_eq!(found, ["php/php-fpm.d/www.conf:W001"]);
    let (_, found) = run_hook(dir.path(), &["nginx/site.conf"]);
    assert_eq!(found, ["nginx/site.conf:W001"]);
}

#[test]
fn changed_env_file_reports_the_whole_stack() {
    let dir = repo();
    let (code, found) = run_hook(dir.path(), &[".env"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["nginx/site.conf:W001", "php/php-fpm.d/www.conf:W001"]
    );
}

#[test]
fn clean_change_passes() {
    let dir = repo();
    std::fs::write(
        dir.path().join("other/nginx/ok.conf"),
        "server {\n    listen 10.0.0.1:8080;\n}\n",
    )
    .unwrap();
    let (code, found) = run_hook(dir.path(), &["other/nginx/ok.conf", "README.md"]);
    assert_eq!((code, found), (0, vec![]));
}
