//! `--format human`: miette's graphical report per finding, then a summary line.

use super::Summary;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::{SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::sync::Arc;

/// A finding in the shape miette renders: the primary label in its file, and each related location as an
/// advice with its own file.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Window,
    label: LabeledSpan,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// The lines of a file around one finding, for miette. miette's `str` source finds lines by scanning
/// from the start of the text on every read, which made a 5 MB file with 9,000 findings take minutes;
/// this gives it only a few lines around the span (found with the file's line index) and shifts offsets
/// and line numbers back, so the output is the same.
#[derive(Debug)]
struct Window {
    name: String,
    text: Arc<str>,
    /// Byte offset and 0-based line number of the window's first line.
    start: usize,
    end: usize,
    first_line: usize,
}

/// Lines kept on each side of a span beyond miette's context lines, so miette's own line walk inside
/// the window never reaches its edges.
const WINDOW_MARGIN: usize = 3;

fn source_of(sources: &SourceMap, span: Span, context: usize) -> Window {
    let file = sources.get(span.file);
    let first = file.line_index(span.start as usize);
    let last = file.line_index(span.end as usize);
    let first_line = first.saturating_sub(context + WINDOW_MARGIN);
    Window {
        name: file.name.clone(),
        text: file.text.clone(),
        start: file.line_start(first_line),
        end: file.line_start(last + context + WINDOW_MARGIN + 1),
        first_line,
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window = &self.text[self.start..self.end];
        let in_window = SourceSpan::new((span.offset() - self.start).into(), span.len());
        let inner = window.read_span(&in_window, context_lines_before, context_lines_after)?;
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + self.start).into(),
                inner.span().len(),
            ),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )
        .with_language("");
        Ok(Box::new(contents))
    }
}

fn label(span: Span, text: Option<String>) -> LabeledSpan {
    LabeledSpan::new_primary_with_span(
        text,
        SourceSpan::new((span.start as usize).into(), span.len()),
    )
}

/// Context lines around each span (`with_context_lines`).
const CONTEXT_LINES: usize = 1;

fn to_report(sources: &SourceMap, d: &Diagnostic) -> Report {
    let name = rules::by_code(d.code).map(|r| r.name).unwrap_or("");
    Report {
        message: d.message.clone(),
        code: Some(if name.is_empty() {
            d.code.to_string()
        } else {
            format!("{}({})", d.code, name)
        }),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: d.help.clone(),
        source: source_of(sources, d.span, CONTEXT_LINES),
        label: label(d.span, Some("here".into())),
        related: d
            .related
            .iter()
            .map(|r| Report {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                source: source_of(sources, r.span, CONTEXT_LINES),
                label: label(r.span, None),
                related: Vec::new(),
            })
            .collect(),
    }
}

pub fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    color: bool,
) -> String {
    let mut out = Vec::new();
    write(sources, diagnostics, summary, color, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("rendered text is UTF-8")
}

/// Writes the report to `out`. Each finding renders independently; with many findings they are split over
/// the cores and each part is written as soon as it and the parts before it are done, so the whole text is
/// never held in memory twice (miette's rendering is most of a run with thousands of findings).
pub fn write(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    super::write_chunks(diagnostics, out, |part| render_chunk(sources, part, color))?;
    out.write_all(summary_line(summary).as_bytes())
}

fn render_chunk(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(120)
        .with_context_lines(CONTEXT_LINES)
        // Break messages and help at spaces only: the default Unicode line breaking (ICU segmenter) was a
        // quarter of a run with 9,000 findings, and it broke code in backticks (`${TAG:?` ⏎ `message}`).
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        // …and never inside a word at a hyphen: paths and directive names stay whole.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = String::new();
    for d in diagnostics {
        let report = to_report(sources, d);
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering only fails on fmt errors of a String; fall back to a plain line.
            let loc = sources.location(d.span);
            out.push_str(&format!(
                "{}:{}:{}: {} {}\n",
                loc.file, loc.line, loc.column, d.code, d.message
            ));
        }
        out.push('\n');
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn summary_line(s: Summary) -> String {
    let total = s.errors + s.warnings + s.infos;
    if total == 0 {
        return format!("All checks passed ({}).\n", plural(s.files, "file"));
    }
    format!(
        "Found {} ({}, {}, {}) in {}.\n",
        plural(total, "finding"),
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.infos, "info"),
        plural(s.files, "file"),
    )
}

#[cfg(test)]
mod parallel_tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn parallel_rendering_equals_sequential() {
        let mut sources = SourceMap::new();
        let text: String = (0..400).map(|i| format!("listen 127.0.0.{i};\n")).collect();
        let id = sources.add(SourceFile::new("site.conf".into(), None, text.clone()));
        let diagnostics: Vec<Diagnostic> = text
            .match_indices("listen")
            .map(|(at, _)| {
                Diagnostic::new(
                    "N008",
                    Severity::Info,
                    Span::new(id, at, at + 6),
                    "loopback",
                )
                .with_help("bind every address")
            })
            .collect();
        assert!(diagnostics.len() >= crate::report::PARALLEL_MIN);
        let summary = Summary::new(1, &diagnostics);
        let sequential = render_chunk(&sources, &diagnostics, false) + &summary_line(summary);
        assert_eq!(render(&sources, &diagnostics, summary, false), sequential);
    }
}
