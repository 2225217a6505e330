//! Applying the fixes findings carry (`--fix`, `--diff`): byte-exact text edits, every byte outside an edit
//! kept as it was. A fix is all or nothing: when one of its edits overlaps an edit already accepted in this
//! round, the whole fix waits for the next round (after re-linting). Unsafe fixes (that change behaviour)
//! are applied only with `--unsafe-fixes`.

use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::source::{FileId, SourceMap};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The new text of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    pub file: FileId,
    /// As shown to the user.
    pub name: String,
    /// Where to write it (`None` for text that has no file, such as standard input).
    pub path: Option<PathBuf>,
    pub old: String,
    pub new: String,
}

/// What one round of fixing would do.
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<FixedFile>,
    /// Findings whose fix is in `files`.
    pub applied: usize,
    /// Fixable findings left for a later round (overlapping another fix).
    pub deferred: usize,
    /// Findings with an unsafe fix not applied (no `--unsafe-fixes`).
    pub unsafe_skipped: usize,
}

fn overlaps(a: &Edit, b: &Edit) -> bool {
    a.span.file == b.span.file
        && ((a.span.start < b.span.end && b.span.start < a.span.end)
            // Two insertions at one point, or an insertion at the edge of a replacement: order is unclear.
            || (a.span.start == b.span.start && (a.span.is_empty() || b.span.is_empty())))
}

/// Chooses the fixes to apply this round and computes the new texts.
pub fn plan(sources: &SourceMap, diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Plan {
    let mut plan = Plan::default();
    let mut accepted: Vec<Edit> = Vec::new();
    for d in diagnostics {
        let Some(fix) = &d.fix else { continue };
        if !fix.safe && !unsafe_fixes {
            plan.unsafe_skipped += 1;
            continue;
        }
        if !fixable(sources, fix) {
            continue;
        }
        if fix
            .edits
            .iter()
            .any(|e| accepted.iter().any(|a| overlaps(a, e)))
        {
            plan.deferred += 1;
            continue;
        }
        // The same fix attached to two findings (one comment, several unused codes) applies once.
        if fix.edits.iter().all(|e| accepted.contains(e)) && !fix.edits.is_empty() {
            plan.applied += 1;
            continue;
        }
        accepted.extend(fix.edits.iter().cloned());
        plan.applied += 1;
    }
    let mut by_file: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
    for e in &accepted {
        by_file.entry(e.span.file).or_default().push(e);
    }
    for (file, mut edits) in by_file {
        let source = sources.get(file);
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        edits.dedup();
        let new = apply_edits(&source.text, &edits);
        if new != *source.text {
            plan.files.push(FixedFile {
                file,
                name: source.name.clone(),
                path: source.path.clone(),
                old: source.text.to_string(),
                new,
            });
        }
    }
    plan
}

/// Whether every edit of `fix` can be applied: in range, on character boundaries, and in a file whose text
/// is exactly what is on disk (not a lossy decoding of invalid UTF-8).
fn fixable(sources: &SourceMap, fix: &Fix) -> bool {
    fix.edits.iter().all(|e| {
        let f = sources.get(e.span.file);
        f.invalid_utf8_at.is_none()
            && (e.span.end as usize) <= f.text.len()
            && e.span.start <= e.span.end
            && f.text.is_char_boundary(e.span.start as usize)
            && f.text.is_char_boundary(e.span.end as usize)
    })
}

/// Applies sorted, non-overlapping edits to `text`.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        out.push_str(&text[at..start]);
        out.push_str(&e.replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// A unified diff of one file, `a/NAME` → `b/NAME`.
pub fn unified_diff(file: &FixedFile) -> String {
    similar::TextDiff::from_lines(&file.old, &file.new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", file.name), &format!("b/{}", file.name))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::{SourceFile, Span};

    fn diag(file: FileId, edits: &[(usize, usize, &str)], safe: bool) -> Diagnostic {
        Diagnostic::new("N000", Severity::Warning, Span::new(file, 0, 0), "m").with_fix(Fix {
            title: "t".into(),
            edits: edits
                .iter()
                .map(|&(s, e, r)| Edit {
                    span: Span::new(file, s, e),
                    replacement: r.into(),
                })
                .collect(),
            safe,
        })
    }

    fn one(text: &str) -> (SourceMap, FileId) {
        let mut m = SourceMap::new();
        let id = m.add(SourceFile::new(
            "c.yml".into(),
            Some("c.yml".into()),
            text.to_string(),
        ));
        (m, id)
    }

    #[test]
    fn edits_keep_every_other_byte() {
        let text = "ports:\r\n  - 22:22   # ssh\r\n\t- 80:80\r\n";
        let (m, id) = one(text);
        let d = diag(id, &[(12, 17, "\"22:22\""), (30, 35, "\"80:80\"")], true);
        let p = plan(&m, &[d], false);
        assert_eq!(p.applied, 1);
        assert_eq!(
            p.files[0].new,
            "ports:\r\n  - \"22:22\"   # ssh\r\n\t- \"80:80\"\r\n"
        );
    }

    #[test]
    fn unsafe_fixes_need_the_flag() {
        let (m, id) = one("- 5432:5432\n");
        let d = diag(id, &[(2, 2, "127.0.0.1:")], false);
        let p = plan(&m, std::slice::from_ref(&d), false);
        assert_eq!((p.applied, p.unsafe_skipped, p.files.len()), (0, 1, 0));
        let p = plan(&m, &[d], true);
        assert_eq!(p.files[0].new, "- 127.0.0.1:5432:5432\n");
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round_as_a_whole() {
        let (m, id) = one("abcdef\n");
        let first = diag(id, &[(0, 2, "X")], true);
        // Its second edit overlaps the first fix: neither of its edits is applied.
        let second = diag(id, &[(4, 5, "Y"), (1, 3, "Z")], true);
        let third = diag(id, &[(5, 6, "W")], true);
        let p = plan(&m, &[first, second, third], false);
        assert_eq!((p.applied, p.deferred), (2, 1));
        assert_eq!(p.files[0].new, "XcdeW\n");
    }

    #[test]
    fn two_insertions_at_one_point_conflict() {
        let (m, id) = one("ab\n");
        let p = plan(
            &m,
            &[
                diag(id, &[(1, 1, "x")], true),
                diag(id, &[(1, 1, "y")], true),
            ],
            false,
        );
        assert_eq!((p.applied, p.deferred), (1, 1));
        assert_eq!(p.files[0].new, "axb\n");
    }

    #[test]
    fn invalid_utf8_files_are_not_rewritten() {
        let mut m = SourceMap::new();
        let id = m.add(SourceFile::from_bytes(
            "x".into(),
            None,
            b"a\xffb\n".to_vec(),
        ));
        assert!(plan(&m, &[diag(id, &[(0, 1, "z")], true)], false)
            .files
            .is_empty());
    }

    #[test]
    fn diff_names_both_sides() {
        let (m, id) = one("a\nb\nc\n");
        let p = plan(&m, &[diag(id, &[(2, 4, "")], true)], false);
        let diff = unified_diff(&p.files[0]);
        assert_eq!(
            diff,
            "--- a/c.yml\n+++ b/c.yml\n@@ -1,3 +1,2 @@\n a\n-b\n c\n"
        );
    }
}
