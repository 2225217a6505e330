//! `--format json`: one document per run, `{"version":1,"diagnostics":[…],"summary":{…}}`.

use super::Summary;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::source::SourceMap;
use serde::Serialize;

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

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], summary: Summary) -> String {
    let doc = Document {
        version: 1,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
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
            })
            .collect(),
        summary,
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
    out.push('\n');
    out
}
