//! Output formats through the binary: SARIF validated against the SARIF 2.1.0 schema, GitHub annotations,
//! and `--output FILE`.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Findings on lines 2 and 4: W003 (error), W001 and W002 (warnings).
const SITE: &str = "server {\n    # wirelint: ignore[N0] typo, with a comma: and colon\n    listen 10.0.0.1:80;\n    listen 10.0.0.1:81;  # wirelint: ignore[N000]\n}\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nginx")).unwrap();
    std::fs::write(dir.path().join("nginx/site.conf"), SITE).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .current_dir(dir)
        .args(["check", "--no-config"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("grammar/sarif/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(doc: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
}

#[test]
fn the_schema_rejects_a_broken_log() {
    // The validator is live: a result without a message and with a bad level fails.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [ { "tool": { "driver": { "name": "x" } }, "results": [ { "level": "fatal" } ] } ]
    });
    assert!(!sarif_validator().is_valid(&bad));
}

#[test]
fn sarif_is_valid_and_complete() {
    let dir = project();
    let (code, out) = run(dir.path(), &["--format", "sarif", "nginx"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&doc);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), wirelint::rules::RULES.len());
    // Each rule links to its section of the generated reference (GitHub's heading anchors).
    let reference = std::fs::read_to_string("docs/rules.md").unwrap();
    let anchors: Vec<String> = reference
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.to_ascii_lowercase().replace(' ', "-"))
        .collect();
    let info = run["tool"]["driver"]["informationUri"].as_str().unwrap();
    assert!(
        info.starts_with("https://") && info.ends_with("/docs/rules.md"),
        "{info}"
    );
    for r in rules {
        assert!(r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix"));
        let uri = r["helpUri"].as_str().unwrap();
        let (base, anchor) = uri.split_once('#').unwrap();
        assert_eq!(base, info);
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{uri}: no such heading in docs/rules.md"
        );
        assert!(anchor.starts_with(&r["id"].as_str().unwrap().to_ascii_lowercase()));
    }
    let results = run["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["W003", "W002", "W001"]);
    let w003 = &results[0];
    assert_eq!(w003["level"], "error");
    assert_eq!(results[1]["level"], "warning");
    let index = w003["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "W003");
    let loc = &w003["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "nginx/site.conf");
    assert_eq!(
        (
            &loc["region"]["startLine"],
            &loc["region"]["startColumn"],
            &loc["region"]["endLine"],
            &loc["region"]["endColumn"]
        ),
        (&2.into(), &24.into(), &2.into(), &26.into())
    );
    // The unused suppression carries its fix as a SARIF fix.
    let fix = &results[2]["fixes"][0];
    assert_eq!(fix["description"]["text"], "remove the suppression comment");
}

#[test]
fn sarif_related_locations_and_fixes_validate() {
    // Cross-file findings come from the stack rules; render one synthetic finding with a related location
    // in another file and a fix, and validate the whole log.
    use wirelint::diagnostic::{Diagnostic, Edit, Fix, Severity};
    use wirelint::source::{SourceFile, SourceMap, Span};
    let mut m = SourceMap::new();
    let a = m.add(SourceFile::new(
        "nginx/default.conf".into(),
        None,
        "fastcgi_pass php:9000;\n",
    ));
    let b = m.add(SourceFile::new(
        "php/zz-docker.conf".into(),
        None,
        "[www]\nlisten = 127.0.0.1:9000\n",
    ));
    let d = Diagnostic::new(
        "N000",
        Severity::Error,
        Span::new(a, 13, 21),
        "php-fpm listens on loopback",
    )
    .with_help("listen on 9000")
    .with_related(Span::new(b, 15, 29), "the effective listen")
    .with_fix(Fix {
        title: "listen on all interfaces".into(),
        edits: vec![Edit {
            span: Span::new(b, 15, 25),
            replacement: String::new(),
        }],
        safe: false,
    });
    let doc: Value = serde_json::from_str(&wirelint::report::sarif::render(&m, &[d])).unwrap();
    assert_valid(&doc);
    let rel = &doc["runs"][0]["results"][0]["relatedLocations"][0];
    assert_eq!(
        rel["physicalLocation"]["artifactLocation"]["uri"],
        "php/zz-docker.conf"
    );
    assert_eq!(rel["physicalLocation"]["region"]["startLine"], 2);
    assert_eq!(rel["message"]["text"], "the effective listen");
}

#[test]
fn sarif_without_findings_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nginx")).unwrap();
    std::fs::write(
        dir.path().join("nginx/a.conf"),
        "server {\n    listen 10.0.0.1:80;\n}\n",
    )
    .unwrap();
    let (code, out) = run(dir.path(), &["--format=sarif", "nginx"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&doc);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn github_annotations() {
    let dir = project();
    let (code, out) = run(dir.path(), &["--format", "github", "nginx"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[0],
        "::error file=nginx/site.conf,line=2,col=24,endLine=2,endColumn=26,title=W003::unknown rule code `N0` in suppression%0Ahelp: `wirelint rules` lists the codes"
    );
    assert!(lines[1].starts_with(
        "::warning file=nginx/site.conf,line=4,col=26,endLine=4,endColumn=50,title=W002::"
    ));
    assert!(lines[2].starts_with("::warning file=nginx/site.conf,line=4,col=45,"));
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let dir = project();
    let (code, out) = run(
        dir.path(),
        &["--format=json", "--output", "report.json", "nginx"],
    );
    assert_eq!(code, 1);
    assert_eq!(out, "");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 3);
    let (code, _) = run(dir.path(), &["--output", "no/such/dir/x", "nginx"]);
    assert_eq!(code, 2);
}

#[test]
fn gitlab_code_quality_report() {
    let dir = project();
    let (code, out) = run(dir.path(), &["--format", "gitlab", "nginx"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), 3);
    assert_eq!(issues[0]["check_name"], "W003");
    assert_eq!(issues[0]["severity"], "major");
    assert_eq!(issues[0]["location"]["path"], "nginx/site.conf");
    assert_eq!(issues[0]["location"]["positions"]["begin"]["line"], 2);
    // Same input, same fingerprints: GitLab tracks findings across pipelines by them.
    let (_, again) = run(dir.path(), &["--format", "gitlab", "nginx"]);
    assert_eq!(out, again);
}

/// `wirelint check | head`: when the reader stops early, the rest of the output is dropped without an
/// error message, and the exit status still says there were findings.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    // Far more output than a pipe holds, so writing goes on after the reader is gone.
    let servers: String = (0..2000)
        .map(|i| format!("server {{ location / {{ proxy_pass http://app{i}:80; }} }}\n"))
        .collect();
    std::fs::write(dir.path().join("site.conf"), servers).unwrap();
    for format in ["human", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirelint"))
            .current_dir(dir.path())
            .args([
                "check",
                "--no-config",
                "--kind",
                "nginx",
                "--format",
                format,
                "site.conf",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is closed here, with the pipe full.
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{format}");
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
}
