//! `--format json`: one document per run, `{"version":1,"diagnostics":[…],"summary":{…}}`.

use super::Summary;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::source::SourceMap;
use serde::Serialize;

#[cfg(test)]
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

fn to_json<'a>(sources: &SourceMap, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let loc = sources.location(d.span);
    JsonDiagnostic {
        code: d.code,
        name: rules::by_code(d.code).map(|r| r.name).unwrap_or(""),
        severity: d.severity.as_str(),
        message: &d.message,
        help: d.help.as_deref(),
        file: loc.file,
        line: loc.line,
        column: loc.column,
        end_line: loc.end_line,
        end_column: loc.end_column,
        byte_start: loc.byte_start,
        byte_end: loc.byte_end,
        related: d
            .related
            .iter()
            .map(|r| {
                let rl = sources.location(r.span);
                JsonRelated {
                    file: rl.file,
                    line: rl.line,
                    column: rl.column,
                    end_line: rl.end_line,
                    end_column: rl.end_column,
                    message: &r.message,
                }
            })
            .collect(),
    }
}

/// `value` pretty-printed as serde_json prints it `depth` levels deep (every line after the first
/// indented by two spaces per level).
fn pretty_at<T: Serialize>(value: &T, depth: usize, out: &mut String) {
    let text = serde_json::to_string_pretty(value).expect("JSON of plain data");
    let indent = "  ".repeat(depth);
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for line in lines {
        out.push('\n');
        out.push_str(&indent);
        out.push_str(line);
    }
}

/// `,\n    {…}` for each finding (without the comma before the document's first finding).
fn render_chunk(sources: &SourceMap, diagnostics: &[Diagnostic], first: bool) -> String {
    let mut out = String::with_capacity(diagnostics.len() * 1024);
    for (i, d) in diagnostics.iter().enumerate() {
        out.push_str(if first && i == 0 { "\n    " } else { ",\n    " });
        pretty_at(&to_json(sources, d), 2, &mut out);
    }
    out
}

/// The document, byte for byte as `serde_json::to_string_pretty` prints [`Document`].
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], summary: Summary) -> String {
    let mut out = Vec::new();
    write(sources, diagnostics, summary, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Writes the document to `out`, the findings serialised on all cores when there are many (a run with
/// 9,000 findings spent a fifth of its time here) and written part by part.
pub fn write(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(b"{\n  \"version\": 1,\n  \"diagnostics\": [")?;
    // Each finding is written as `,\n    {…}`; the very first without its comma.
    super::write_chunks(diagnostics, out, |part| {
        let first = std::ptr::eq(part.as_ptr(), diagnostics.as_ptr());
        render_chunk(sources, part, first)
    })?;
    let mut tail = String::new();
    tail.push_str(if diagnostics.is_empty() { "]" } else { "\n  ]" });
    tail.push_str(",\n  \"summary\": ");
    pretty_at(&summary, 1, &mut tail);
    tail.push_str("\n}\n");
    out.write_all(tail.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::{SourceFile, Span};

    /// The reference: the whole document through serde_json at once.
    fn reference(sources: &SourceMap, diagnostics: &[Diagnostic], summary: Summary) -> String {
        let doc = Document {
            version: 1,
            diagnostics: diagnostics.iter().map(|d| to_json(sources, d)).collect(),
            summary,
        };
        serde_json::to_string_pretty(&doc).unwrap() + "\n"
    }

    #[test]
    fn chunked_rendering_equals_serde_json() {
        let mut sources = SourceMap::new();
        let text: String = (0..600)
            .map(|i| format!("listen 127.0.0.{};\n", i % 250))
            .collect();
        let id = sources.add(SourceFile::new(
            "site \"q\".conf".into(),
            None,
            text.clone(),
        ));
        for n in [0, 1, 2, 599] {
            let diagnostics: Vec<Diagnostic> = text
                .match_indices("listen")
                .take(n)
                .enumerate()
                .map(|(i, (at, _))| {
                    let d = Diagnostic::new(
                        "N008",
                        Severity::Info,
                        Span::new(id, at, at + 6),
                        "loopback \"x\"\n\tü",
                    );
                    let d = if i % 2 == 0 {
                        d.with_help("bind every address")
                    } else {
                        d
                    };
                    if i % 3 == 0 {
                        d.with_related(Span::new(id, 0, 6), "first")
                    } else {
                        d
                    }
                })
                .collect();
            let summary = Summary::new(1, &diagnostics);
            assert_eq!(
                render(&sources, &diagnostics, summary),
                reference(&sources, &diagnostics, summary),
                "{n} findings"
            );
        }
    }
}
