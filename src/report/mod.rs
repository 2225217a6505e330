//! Output formats. Each renders the same [`Diagnostic`]s; line/column are computed here, late.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, help and related locations.
    Human,
    /// One JSON document per run (schema in the README).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations (`::error file=…`).
    Github,
    /// GitLab Code Quality report (Code Climate JSON).
    Gitlab,
}

/// Counts for the run's summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn new(files: usize, diagnostics: &[Diagnostic]) -> Summary {
        let mut s = Summary {
            files,
            ..Summary::default()
        };
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// Sorts findings by file name, then position, then code — the order every format prints.
pub fn sort(sources: &SourceMap, diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let fa = &sources.get(a.span.file).name;
        let fb = &sources.get(b.span.file).name;
        fa.cmp(fb)
            .then(a.span.start.cmp(&b.span.start))
            .then(a.span.end.cmp(&b.span.end))
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
    });
}

/// Below this many findings, rendering on one thread is faster than starting others.
pub(crate) const PARALLEL_MIN: usize = 256;

pub fn render(
    format: Format,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    color: bool,
) -> String {
    match format {
        Format::Human => human::render(sources, diagnostics, summary, color),
        Format::Json => json::render(sources, diagnostics, summary),
        Format::Sarif => sarif::render(sources, diagnostics),
        Format::Github => github::render(sources, diagnostics),
        Format::Gitlab => gitlab::render(sources, diagnostics),
    }
}
