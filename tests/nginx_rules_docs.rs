//! The docs of N001, N002, N003 and N008 cannot drift from behaviour: the first `nginx` block under
//! *Example* must produce the rule's finding, the first one under *How to fix* must not.

use wirelint::settings::Settings;

fn first_nginx_block<'d>(docs: &'d str, section: &str) -> &'d str {
    let after = &docs[docs.find(section).expect("section") + section.len()..];
    let start = after.find("```nginx\n").expect("an nginx block") + "```nginx\n".len();
    let end = after[start..].find("```").expect("closed block");
    &after[start..start + end]
}

fn codes(text: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.conf");
    std::fs::write(&path, text).unwrap();
    let outcome = wirelint::lint::check(&[path], None, &Settings::default()).expect("lint runs");
    outcome.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn examples_fire_and_fixes_do_not() {
    for code in ["N001", "N002", "N003", "N008"] {
        let rule = wirelint::rules::by_code(code).unwrap();
        let docs = rule.docs_markdown();
        let example = first_nginx_block(&docs, "## Example");
        assert!(
            codes(example).contains(&code),
            "{code}: its Example does not produce it:\n{example}"
        );
        let fix = first_nginx_block(&docs, "## How to fix");
        assert!(
            !codes(fix).contains(&code),
            "{code}: its How to fix still produces it:\n{fix}"
        );
    }
}
