//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps). Every registered rule is
//! in `tool.driver.rules` with its docs as help; each result points at its rule by id and index, carries an
//! exact region (columns in Unicode code points, like every other output), related locations in other
//! files, and the fix when there is one.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{self, Rule};
use crate::source::{Location, SourceMap, Span};
use serde_json::{json, Value};

/// Where the generated rule reference lives, when the package names its repository.
fn rules_doc_url() -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY");
    (!repo.is_empty()).then(|| format!("{}/blob/main/docs/rules.md", repo.trim_end_matches('/')))
}

use crate::docs::anchor;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative file name as a URI reference (percent-encoded, `/` kept); absolute paths become `file://`.
fn uri(name: &str) -> (String, bool) {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if name.starts_with('/') {
        (format!("file://{out}"), true)
    } else {
        (out, false)
    }
}

fn artifact(name: &str) -> Value {
    let (uri, absolute) = uri(name);
    if absolute {
        json!({ "uri": uri })
    } else {
        json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
    }
}

fn region(loc: &Location) -> Value {
    json!({
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column,
        "charOffset": loc.byte_start,
        "charLength": loc.byte_end - loc.byte_start,
    })
}

fn physical(sources: &SourceMap, span: Span) -> Value {
    let loc = sources.location(span);
    let mut region = region(&loc);
    // charOffset/charLength count characters in SARIF; ours are bytes, so only give them for ASCII text.
    if !sources.get(span.file).text.is_ascii() {
        region.as_object_mut().unwrap().remove("charOffset");
        region.as_object_mut().unwrap().remove("charLength");
    }
    json!({ "artifactLocation": artifact(&loc.file), "region": region })
}

fn rule_descriptor(rule: &Rule) -> Value {
    let docs = rule.docs_markdown();
    let mut v = json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.summary },
        "help": { "text": docs, "markdown": docs },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": [rule.family()] },
    });
    if let Some(url) = rules_doc_url() {
        v["helpUri"] = json!(format!("{url}#{}", anchor(rule)));
    }
    v
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut r = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [ { "physicalLocation": physical(sources, d.span) } ],
            });
            if let Some(i) = rules::RULES.iter().position(|r| r.code == d.code) {
                r["ruleIndex"] = json!(i);
            }
            if !d.related.is_empty() {
                r["relatedLocations"] = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        json!({
                            "id": i,
                            "physicalLocation": physical(sources, rel.span),
                            "message": { "text": rel.message },
                        })
                    })
                    .collect();
            }
            if let Some(fix) = &d.fix {
                let mut changes: Vec<Value> = Vec::new();
                for edit in &fix.edits {
                    let loc = sources.location(edit.span);
                    changes.push(json!({
                        "artifactLocation": artifact(&loc.file),
                        "replacements": [ {
                            "deletedRegion": region(&loc),
                            "insertedContent": { "text": edit.replacement },
                        } ],
                    }));
                }
                r["fixes"] =
                    json!([ { "description": { "text": fix.title }, "artifactChanges": changes } ]);
            }
            r
        })
        .collect();
    let mut driver = json!({
        "name": "wirelint",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules::RULES.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
    });
    if let Some(url) = rules_doc_url() {
        driver["informationUri"] = json!(url);
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "./" } },
            "results": results,
        } ],
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("a b/c.conf"), ("a%20b/c.conf".into(), false));
        assert_eq!(uri("/etc/x.conf"), ("file:///etc/x.conf".into(), true));
    }
}
