//! `--format gitlab`: a GitLab Code Quality report (Code Climate JSON), shown in merge requests.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use serde_json::json;

/// FNV-1a, 64 bits: a fingerprint that stays the same across runs, versions and platforms.
fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let issues: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let loc = sources.location(d.span);
            let file = sources.get(d.span.file);
            // The line's text rather than its number, so the finding keeps its identity when lines move;
            // a counter separates identical findings in one file.
            let line = file.line_text(loc.line).trim();
            let base = fnv1a(&[d.code, &loc.file, &d.message, line]);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let fingerprint = if *n == 1 {
                base
            } else {
                fnv1a(&[&base, &n.to_string()])
            };
            json!({
                "description": format!("{}: {}", d.code, d.message),
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": {
                    "path": loc.file,
                    "positions": {
                        "begin": { "line": loc.line, "column": loc.column },
                        "end": { "line": loc.end_line, "column": loc.end_column },
                    },
                },
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("JSON of plain data");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn code_quality_issues_with_stable_distinct_fingerprints() {
        let mut m = SourceMap::new();
        let a = m.add(SourceFile::new("a.conf".into(), None, "x;\nx;\n"));
        let d1 = Diagnostic::new("N000", Severity::Error, Span::new(a, 0, 1), "m");
        let d2 = Diagnostic::new("N000", Severity::Error, Span::new(a, 3, 4), "m");
        let v: serde_json::Value = serde_json::from_str(&render(&m, &[d1, d2])).unwrap();
        assert_eq!(v[0]["check_name"], "N000");
        assert_eq!(v[0]["severity"], "major");
        assert_eq!(v[1]["location"]["positions"]["begin"]["line"], 2);
        assert_ne!(v[0]["fingerprint"], v[1]["fingerprint"]);
        assert_eq!(fnv1a(&["N000"]), fnv1a(&["N000"]));
        // FNV-1a 64 of the single byte 0 (the separator), from the FNV reference.
        assert_eq!(fnv1a(&[""]), "af63bd4c8601b7df");
    }
}
