//! `--format human`: miette's graphical report per finding, then a summary line.

use super::Summary;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::{SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
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
    source: NamedSource<Arc<str>>,
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

fn source_of(sources: &SourceMap, span: Span) -> NamedSource<Arc<str>> {
    let file = sources.get(span.file);
    NamedSource::new(file.name.clone(), file.text.clone()).with_language("")
}

fn label(span: Span, text: Option<String>) -> LabeledSpan {
    LabeledSpan::new_primary_with_span(
        text,
        SourceSpan::new((span.start as usize).into(), span.len()),
    )
}

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
        source: source_of(sources, d.span),
        label: label(d.span, Some("here".into())),
        related: d
            .related
            .iter()
            .map(|r| Report {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                source: source_of(sources, r.span),
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
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(120)
        .with_context_lines(1);
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
    out.push_str(&summary_line(summary));
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
