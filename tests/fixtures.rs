//! Rule fixtures: `fixtures/<family>/<CODE-name>/` holds `bad…` and `good…` cases, each a file
//! (`bad.conf`, `good.yml`, `bad-2.conf` …) or a directory (`bad/`, `good-template/` …) checked as a whole.
//! An optional `<case>.args` file holds extra command-line arguments, one per line.
//!
//! Every `bad…` case must produce at least one finding of the rule's code; every `good…` case none of it.
//! Both are snapshotted (human and JSON output), so a review shows exactly what a user sees.

use std::path::{Path, PathBuf};
use wirelint::cli::{Cli, Command};

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name.starts_with("bad") || name.starts_with("good")) && !name.ends_with(".args")
        })
        .collect();
    out.sort();
    out
}

fn run(case: &Path) -> (String, String) {
    let mut argv: Vec<String> = vec!["wirelint".into(), "check".into()];
    argv.push(case.to_string_lossy().into_owned());
    let args_file = PathBuf::from(format!("{}.args", case.display()));
    if let Ok(extra) = std::fs::read_to_string(&args_file) {
        argv.extend(
            extra
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string()),
        );
    }
    let mut human_argv = argv.clone();
    human_argv.push("--format=human".into());
    argv.push("--format=json".into());
    let parse = |argv: Vec<String>| match Cli::try_parse_from_args(argv) {
        Command::Check(args) => args,
        _ => unreachable!(),
    };
    let human = wirelint::cli::check(&parse(human_argv), false).unwrap().0;
    let json = wirelint::cli::check(&parse(argv), false).unwrap().0;
    (human, json)
}

trait ParseArgs {
    fn try_parse_from_args(argv: Vec<String>) -> Command;
}

impl ParseArgs for Cli {
    fn try_parse_from_args(argv: Vec<String>) -> Command {
        use clap::Parser;
        Cli::try_parse_from(argv)
            .expect("fixture args parse")
            .command
    }
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for family in std::fs::read_dir("fixtures").unwrap() {
        let family = family.unwrap().path();
        if !family.is_dir() || family.file_name().unwrap() == "demo" {
            continue;
        }
        for rule in std::fs::read_dir(&family).unwrap() {
            let rule = rule.unwrap().path();
            if rule.is_dir() {
                dirs.push(rule);
            }
        }
    }
    dirs.sort();
    dirs
}

#[test]
fn every_rule_has_bad_and_good_fixtures() {
    let dirs = fixture_dirs();
    for rule in wirelint::rules::RULES {
        let dir_name = format!("{}-{}", rule.code, rule.name);
        let dir = dirs
            .iter()
            .find(|d| d.file_name().unwrap().to_string_lossy() == dir_name)
            .unwrap_or_else(|| panic!("no fixtures/<family>/{dir_name}/"));
        let cases = cases(dir);
        let has = |prefix: &str| {
            cases
                .iter()
                .any(|c| c.file_name().unwrap().to_string_lossy().starts_with(prefix))
        };
        assert!(has("bad"), "{dir_name} has no bad case");
        assert!(has("good"), "{dir_name} has no good case");
    }
}

#[test]
fn fixtures() {
    for dir in fixture_dirs() {
        let dir_name = dir.file_name().unwrap().to_string_lossy().to_string();
        let code = dir_name.split('-').next().unwrap().to_string();
        for case in cases(&dir) {
            let (human, json) = run(&case);
            let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
            let count = doc["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["code"] == code.as_str())
                .count();
            let case_name = case.file_name().unwrap().to_string_lossy().to_string();
            if case_name.starts_with("bad") {
                assert!(
                    count > 0,
                    "{}: expected a {code} finding\n{human}",
                    case.display()
                );
            } else {
                assert_eq!(
                    count,
                    0,
                    "{}: expected no {code} finding\n{human}",
                    case.display()
                );
            }
            let snapshot_name = format!("{dir_name}__{}", case_name.replace('.', "_"));
            insta::assert_snapshot!(snapshot_name, format!("{human}\n---- json ----\n{json}"));
        }
    }
}
