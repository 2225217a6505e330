//! Generated docs must be committed fresh: `docs/rules.md` equals `wirelint rules --format md`, and the
//! README's rule table (between `<!-- rules:begin -->` and `<!-- rules:end -->`) equals the registry's.
//! Run with `WIRELINT_UPDATE_DOCS=1` to rewrite both. Also: completions and the man page.

use std::process::Command;

fn wirelint(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn update() -> bool {
    std::env::var_os("WIRELINT_UPDATE_DOCS").is_some()
}

#[test]
fn docs_rules_md_is_fresh() {
    let (code, generated) = wirelint(&["rules", "--format", "md"]);
    assert_eq!(code, 0);
    if update() {
        std::fs::write("docs/rules.md", &generated).unwrap();
    }
    let committed = std::fs::read_to_string("docs/rules.md").unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `WIRELINT_UPDATE_DOCS=1 cargo test --test surfaces_docs` and commit it"
    );
}

#[test]
fn readme_rule_table_is_fresh() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let table = wirelint::docs::readme_table();
    let spliced = wirelint::docs::splice_readme(&readme, &table)
        .expect("README.md lacks the <!-- rules:begin --> / <!-- rules:end --> markers");
    if update() && spliced != readme {
        std::fs::write("README.md", &spliced).unwrap();
        return;
    }
    assert!(
        spliced == readme,
        "README.md's rule table is stale: run `WIRELINT_UPDATE_DOCS=1 cargo test --test surfaces_docs` and commit it"
    );
}

#[test]
fn every_rule_is_documented_in_the_reference() {
    let (_, generated) = wirelint(&["rules", "--format", "md"]);
    for rule in wirelint::rules::RULES {
        let (code, one) = wirelint(&["rule", rule.code]);
        assert_eq!(code, 0);
        assert!(one.contains(rule.summary));
        assert!(generated.contains(&format!("## {} {}", rule.code, rule.name)));
    }
}

#[test]
fn completions_for_each_shell() {
    for (shell, needle) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef wirelint"),
        ("fish", "complete -c wirelint"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let (code, out) = wirelint(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(out.contains(needle), "{shell}: {out}");
        assert!(
            out.contains("min-severity"),
            "{shell} completes check's flags"
        );
    }
    let (code, _) = wirelint(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn man_page() {
    let (code, out) = wirelint(&["man"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(".ie \\n(.g .ds Aq") || out.contains(".TH wirelint"),
        "{out}"
    );
    assert!(out.contains(".TH wirelint 1"));
    assert!(out.contains("completions"));
}
