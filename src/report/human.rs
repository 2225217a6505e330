//! `--format human`: miette's graphical report per finding (the common shape without colour written directly by
//! [`super::snippet`], byte for byte the same), then a summary line.

use super::{snippet, Recent, Summary};
use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::rules;
use crate::source::{SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// A finding in the shape miette renders: the primary label in its file, and each related location as an
/// advice with its own file.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    /// None only in the probes that render one section alone (see [`Renderer`]).
    source: Option<Window>,
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
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
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
    text: crate::source::SourceText,
    /// Byte offset and 0-based line number of the window's first line.
    start: usize,
    end: usize,
    first_line: usize,
    /// The last read: miette reads the same span with the same context twice per report.
    /// (A mutex only because miette's sources must be `Sync`; one thread uses a window.)
    last: Mutex<Option<Read>>,
}

/// What one `read_span` found, in the file's offsets and lines.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Read {
    /// The span and context lines asked for.
    asked: (usize, usize, usize, usize),
    data: (usize, usize),
    line: usize,
    column: usize,
    line_count: usize,
}

/// Lines kept on each side of a span beyond miette's context lines, so miette's own line walk inside
/// the window never reaches its edges (unless they are the file's). miette scans the window from its
/// start on each of its three reads per report, so every extra line is paid for: one is enough, as
/// miette looks back no further than the context lines (it counts `\r` as a line break too, which
/// only makes its lines shorter than ours).
const WINDOW_MARGIN: usize = 1;

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
        last: Mutex::new(None),
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let asked = (
            span.offset(),
            span.len(),
            context_lines_before,
            context_lines_after,
        );
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let read = match *last {
            Some(read) if read.asked == asked => read,
            _ => {
                let window = &self.text[self.start..self.end];
                let in_window = SourceSpan::new((span.offset() - self.start).into(), span.len());
                let inner =
                    window.read_span(&in_window, context_lines_before, context_lines_after)?;
                let read = Read {
                    asked,
                    data: (inner.span().offset() + self.start, inner.span().len()),
                    line: inner.line() + self.first_line,
                    column: inner.column(),
                    line_count: inner.line_count(),
                };
                *last = Some(read);
                read
            }
        };
        let (at, len) = read.data;
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[at..at + len],
            SourceSpan::new(at.into(), len),
            read.line,
            read.column,
            read.line_count,
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

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// A related location as miette shows it under a finding.
fn related_report(sources: &SourceMap, r: &Related) -> Report {
    Report {
        message: r.message.clone(),
        code: None,
        severity: miette::Severity::Advice,
        help: None,
        source: Some(source_of(sources, r.span, CONTEXT_LINES)),
        label: label(r.span, None),
        related: Vec::new(),
    }
}

/// The whole finding as one miette report (what [`Renderer`] reproduces).
fn to_report(sources: &SourceMap, d: &Diagnostic) -> Report {
    Report {
        related: d
            .related
            .iter()
            .map(|r| related_report(sources, r))
            .collect(),
        help: d.help.clone(),
        ..main_report(sources, d)
    }
}

/// The header's code: the rule's code and name.
fn code(d: &Diagnostic) -> String {
    match rules::by_code(d.code).map(|r| r.name) {
        Some(name) if !name.is_empty() => format!("{}({})", d.code, name),
        _ => d.code.to_string(),
    }
}

/// The finding without its help and related locations: header, message and source excerpt.
fn main_report(sources: &SourceMap, d: &Diagnostic) -> Report {
    Report {
        message: d.message.clone(),
        code: Some(code(d)),
        severity: severity(d.severity),
        help: None,
        source: Some(source_of(sources, d.span, CONTEXT_LINES)),
        label: label(d.span, Some("here".into())),
        related: Vec::new(),
    }
}

/// A report with no code, an empty message and no source: miette renders its message line, then
/// whatever help or related reports it is given. Rendering one with and one without those isolates
/// miette's own text for them.
fn probe(severity: miette::Severity, help: Option<String>, related: Vec<Report>) -> Report {
    Report {
        message: String::new(),
        code: None,
        severity,
        help,
        source: None,
        label: LabeledSpan::new_primary_with_span(None, SourceSpan::new(0.into(), 0)),
        related,
    }
}

/// miette's severity as a hashable key.
fn key(s: miette::Severity) -> u8 {
    match s {
        miette::Severity::Advice => 0,
        miette::Severity::Warning => 1,
        miette::Severity::Error => 2,
    }
}

/// How many recent sections a [`Renderer`] keeps of each kind: findings that share a help or a
/// related location are mostly near each other in the sorted output, and a few kept entries cost
/// no memory to speak of (keeping every distinct one was megabytes on a big config).
const RECENT: usize = 16;

/// Renders findings with one miette handler, reusing miette's text for the sections that repeat.
///
/// miette renders a report as header, message, source excerpt, help, then each related report, each
/// section independent of the others. Wrapping the help (hundreds of characters, textwrap word by
/// word) was a third of the human output's cost, and thousands of findings share a help text or a
/// related location. So a finding goes to miette without help and related reports, and miette's
/// rendering of each distinct help and related report (isolated with [`probe`]s) is kept for the
/// next findings ([`Recent`]) and appended. A test checks the result against miette rendering whole reports.
///
/// Without colour, the common shape of a finding and its sections is written by [`snippet`] instead,
/// byte for byte what miette writes (`fast_path_tests`); miette draws the rest.
struct Renderer<'a> {
    handler: GraphicalReportHandler,
    color: bool,
    /// What miette prints for an empty probe, per severity.
    empty: HashMap<u8, String>,
    footers: Recent<&'a str, RECENT>,
    related: Recent<(u8, Span, &'a str), RECENT>,
    /// [`code`] of each rule code met (`format!` for each finding was an eighth of the rendering).
    codes: Vec<(&'static str, String)>,
    /// The file and 0-based line of the last finding drawn: findings come sorted, and the next one's
    /// line is searched from there.
    line: Option<(crate::source::FileId, usize)>,
}

impl<'a> Renderer<'a> {
    fn new(color: bool) -> Renderer<'a> {
        Renderer {
            handler: handler(color),
            color,
            empty: HashMap::new(),
            footers: Recent::default(),
            related: Recent::default(),
            codes: Vec::new(),
            line: None,
        }
    }

    /// [`code`] of `d`, kept for the next findings of its rule.
    fn code(&mut self, d: &Diagnostic) -> &str {
        let i = match self.codes.iter().position(|(c, _)| *c == d.code) {
            Some(i) => i,
            None => {
                self.codes.push((d.code, code(d)));
                self.codes.len() - 1
            }
        };
        &self.codes[i].1
    }

    /// miette's text for `probe` beyond an empty probe's.
    fn section(&mut self, probe: &Report) -> Result<String, fmt::Error> {
        let k = key(probe.severity);
        if !self.empty.contains_key(&k) {
            let mut empty = String::new();
            self.handler
                .render_report(&mut empty, &self::probe(probe.severity, None, Vec::new()))?;
            self.empty.insert(k, empty);
        }
        let mut text = String::new();
        self.handler.render_report(&mut text, probe)?;
        text.strip_prefix(self.empty[&k].as_str())
            .map(str::to_string)
            .ok_or(fmt::Error)
    }

    /// Appends the finding as miette renders it (nothing if rendering fails).
    fn render(
        &mut self,
        sources: &SourceMap,
        d: &'a Diagnostic,
        out: &mut String,
    ) -> Result<(), fmt::Error> {
        let mark = out.len();
        let result = self.render_to(sources, d, out);
        if result.is_err() {
            out.truncate(mark);
        }
        result
    }

    fn render_to(
        &mut self,
        sources: &SourceMap,
        d: &'a Diagnostic,
        out: &mut String,
    ) -> Result<(), fmt::Error> {
        let severity = severity(d.severity);
        let drawn = !self.color && {
            let file = sources.get(d.span.file);
            let (start, end) = (d.span.start as usize, d.span.end as usize);
            let mut line = match self.line {
                Some((f, line)) if f == d.span.file => line,
                _ => usize::MAX,
            };
            let code = self.code(d);
            let drawn =
                snippet::finding(out, file, start, end, code, severity, &d.message, &mut line);
            self.line = Some((d.span.file, line));
            drawn
        };
        if !drawn {
            self.handler.render_report(out, &main_report(sources, d))?;
        }
        if let Some(help) = d.help.as_deref() {
            match self.footers.get(&help) {
                Some(footer) => out.push_str(footer),
                None => {
                    let footer = match self.color {
                        false => snippet::help(help),
                        true => {
                            self.section(&probe(severity, Some(help.to_string()), Vec::new()))?
                        }
                    };
                    out.push_str(&footer);
                    self.footers.insert(help, footer);
                }
            }
        }
        for r in &d.related {
            let k = (key(severity), r.span, r.message.as_str());
            match self.related.get(&k) {
                Some(section) => out.push_str(section),
                None => {
                    let fast = match self.color {
                        false => {
                            let file = sources.get(r.span.file);
                            let (start, end) = (r.span.start as usize, r.span.end as usize);
                            snippet::related(file, start, end, &r.message)
                        }
                        true => None,
                    };
                    let section = match fast {
                        Some(section) => section,
                        None => {
                            let related = vec![related_report(sources, r)];
                            self.section(&probe(severity, None, related))?
                        }
                    };
                    out.push_str(&section);
                    self.related.insert(k, section);
                }
            }
        }
        Ok(())
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
    super::write_parts(
        diagnostics,
        out,
        || Renderer::new(color),
        |renderer, part, text| render_part(renderer, sources, part, text),
    )?;
    out.write_all(summary_line(summary).as_bytes())
}

/// miette's settings for human output. report/snippet.rs writes the same text for the common finding
/// without colour: a change here must be made there too (`fast_path_tests` fails otherwise).
fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(120)
        .with_context_lines(CONTEXT_LINES)
        // Break messages and help at spaces only: the default Unicode line breaking (ICU segmenter) was a
        // quarter of a run with 9,000 findings, and it broke code in backticks (`${TAG:?` ⏎ `message}`).
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        // …and never inside a word at a hyphen: paths and directive names stay whole.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

#[cfg(test)]
fn render_chunk(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    render_part(&mut Renderer::new(color), sources, diagnostics, &mut out);
    out
}

/// Appends each finding's report to `out`.
fn render_part<'a>(
    renderer: &mut Renderer<'a>,
    sources: &SourceMap,
    diagnostics: &'a [Diagnostic],
    out: &mut String,
) {
    // About what a finding with a short help takes: the text is not copied over and over as it grows.
    out.reserve(diagnostics.len() * 640);
    for d in diagnostics {
        if renderer.render(sources, d, out).is_err()
            && renderer
                .handler
                .render_report(out, &to_report(sources, d))
                .is_err()
        {
            // Rendering only fails on fmt errors of a String; fall back to a plain line.
            let loc = sources.location(d.span);
            out.push_str(&format!(
                "{}:{}:{}: {} {}\n",
                loc.file, loc.line, loc.column, d.code, d.message
            ));
        }
        out.push('\n');
    }
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
        // Several parts of `write_parts`, rendered on several threads and written in order.
        let text: String = (0..1500)
            .map(|i| format!("listen 127.0.0.{i};\n"))
            .collect();
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

#[cfg(test)]
mod section_tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    /// Each finding through miette whole, as a report with its help and related reports.
    fn whole(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
        let handler = handler(color);
        let mut out = String::new();
        for d in diagnostics {
            handler
                .render_report(&mut out, &to_report(sources, d))
                .unwrap();
            out.push('\n');
        }
        out
    }

    #[test]
    fn reused_sections_equal_whole_reports() {
        let mut sources = SourceMap::new();
        let a = sources.add(SourceFile::new(
            "a.conf".into(),
            None,
            "upstream u {\n    server app:80;\n}\nresolver 127.0.0.11;\nlocation / {\n    proxy_pass http://app;\n}\n",
        ));
        let b = sources.add(SourceFile::new("other/b.conf".into(), None, "x ü;\n\ny;"));
        let long_help = "add `resolve` to this server, `resolver 127.0.0.11 valid=10s;` (Docker's DNS; \
            otherwise your network's) in http or in the upstream block (nginx ≥ 1.27.3); a `resolver` alone \
            does not re-resolve it. On older nginx, pass to the host through a variable with a `resolver` \
            instead of this group, or use a very-long-hyphenated-word-that-should-stay-whole-on-its-line";
        let mut diagnostics = Vec::new();
        for (i, severity) in [Severity::Warning, Severity::Error, Severity::Info]
            .into_iter()
            .cycle()
            .take(12)
            .enumerate()
        {
            let mut d = Diagnostic::new(
                if i % 4 == 3 { "X999" } else { "N001" },
                severity,
                Span::new(a, 21 + i % 3, 24 + i % 3),
                format!("`app` is resolved once at start-up {i}"),
            );
            d = match i % 3 {
                0 => d.with_help(long_help),
                1 => d.with_help(format!("short help {}", i % 2)),
                _ => d,
            };
            if i % 2 == 0 {
                d = d.with_related(
                    Span::new(a, 35, 55),
                    "this `resolver` is used only for variables",
                );
            }
            if i % 4 == 0 {
                d = d.with_related(Span::new(b, 0, 4), "in another file");
                d = d.with_related(Span::new(b, 8, 8), "");
            }
            diagnostics.push(d);
        }
        let plain = whole(&sources, &diagnostics, false);
        assert!(plain.contains("  help: add `resolve`") && plain.contains("Advice: "));
        for color in [false, true] {
            assert_eq!(
                render_chunk(&sources, &diagnostics, color),
                whole(&sources, &diagnostics, color),
                "color {color}"
            );
        }
    }
}

/// The text [`snippet`] writes against miette's own, on generated findings: every byte must match, and
/// the shapes it does not reproduce must go to miette.
#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    /// miette alone: the finding as one whole report.
    fn miette(sources: &SourceMap, d: &Diagnostic) -> String {
        let mut out = String::new();
        handler(false)
            .render_report(&mut out, &to_report(sources, d))
            .unwrap();
        out.push('\n');
        out
    }

    /// Lines with what the excerpt and the underline must measure: wide, combining and zero-width
    /// characters, lengths around the wrap width (source lines are not wrapped), empty lines.
    const LINES: &[&str] = &[
        "server app:80;",
        "",
        "  listen 127.0.0.1:8080 default_server;",
        "é ü ñ → x;",
        "日本語 wide 한국어;",
        "emoji 🎉 x; e\u{301}x \u{200b}z",
        "ctl \u{1}x \u{7f}y",
        "a",
    ];

    /// Messages and helps: short, empty, wrapping at and around the width, wide words, a word longer than
    /// a line, line breaks, runs of spaces, leading and trailing spaces.
    fn texts() -> Vec<String> {
        let mut texts: Vec<String> = vec![
            "short".into(),
            String::new(),
            "`app` is resolved once at start-up; nginx keeps that address until reload".into(),
            "two\nlines".into(),
            "  leading and trailing  ".into(),
            "double  spaces   inside".into(),
            "wide 日本語の単語 and é".into(),
            format!("a {} b", "x".repeat(130)),
            "ctl\u{1}char".into(),
        ];
        // Words just under and over a line's width (textwrap breaks those): first and after another.
        for len in 108..=117 {
            texts.push(format!("ab {}", "y".repeat(len)));
            texts.push(format!("{} ab", "y".repeat(len)));
        }
        // Every length from just under to just over one and two lines, in words of varied lengths.
        let words = ["a", "bb", "ccc", "dddd", "`eeeee`", "ffffff-ff", "日本"];
        for target in (105..125).chain(220..240) {
            let mut t = String::new();
            let mut i = 0;
            while t.chars().count() < target {
                if !t.is_empty() {
                    t.push(' ');
                }
                t.push_str(words[i % words.len()]);
                i += 1;
            }
            texts.push(t);
        }
        texts
    }

    /// Files of 1 to 3 lines (LF, CRLF, with and without a final break, a tab, a lone CR), and longer
    /// ones where the line number gains a digit.
    fn files() -> Vec<String> {
        let mut files = Vec::new();
        for n in 1..=3 {
            for start in 0..LINES.len() {
                let lines: Vec<&str> = (0..n).map(|i| LINES[(start + i) % LINES.len()]).collect();
                for eol in ["\n", "\r\n"] {
                    let body = lines.join(eol);
                    files.push(body.clone());
                    files.push(body + eol);
                }
            }
        }
        files.push("a\tb;\nc;\n".into());
        files.push("a;\rb;\nc;\n".into());
        files.push("a;\nb;\nc;\r".into());
        files.push("\x1b[1mbold;\n".into());
        let long = |n: usize| -> String { (1..=n).map(|i| format!("line {i};\n")).collect() };
        files.push(long(12));
        files.push(long(105));
        files.push(format!("{}{}", long(100), "x;".repeat(70)));
        files
    }

    /// Spans in `text`: each line whole, its first and last character, the middle, a zero-width
    /// point, a span over the line break, and one from mid-character.
    fn spans(text: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let mut from = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n').trim_end_matches('\r');
            let to = from + body.len();
            let chars: Vec<usize> = body.char_indices().map(|(i, _)| from + i).collect();
            if let (Some(&first), Some(&last)) = (chars.first(), chars.last()) {
                let after_first = chars.get(1).copied().unwrap_or(to);
                spans.extend([(from, to), (first, after_first), (last, to)]);
                // Each character alone, zero-width ones too (miette still underlines one column).
                spans.extend(chars.windows(2).map(|w| (w[0], w[1])));
                let mid = chars[chars.len() / 2];
                spans.push((mid, to.min(mid + 3)));
                spans.push((mid, mid));
                if !text.is_char_boundary(mid + 1) {
                    spans.push((mid + 1, to));
                }
            }
            spans.push((to, to));
            if to < from + line.len() {
                spans.push((from, from + line.len()));
            }
            from += line.len();
        }
        spans.retain(|&(s, e)| {
            text.is_char_boundary(s.min(text.len())) || s != e || e <= text.len()
        });
        spans
    }

    #[test]
    fn fast_path_equals_miette() {
        let texts = texts();
        let mut fast = 0;
        let mut slow = 0;
        let mut cases = 0;
        for (f, text) in files().into_iter().enumerate() {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new(
                format!("dir/f{f}.conf"),
                None,
                text.clone(),
            ));
            let other = sources.add(SourceFile::new("other.conf".into(), None, "x;\ny ü;\n"));
            // The line of the last finding drawn (the spans go forward and back).
            let mut hint = usize::MAX;
            for (i, (start, end)) in spans(&text).into_iter().enumerate() {
                let file = sources.get(id);
                let severity = [Severity::Error, Severity::Warning, Severity::Info][i % 3];
                for (m, message) in texts.iter().enumerate() {
                    // Every message on the first spans of each file, then a sample.
                    if i > 2 && (m + i) % 7 != 0 {
                        continue;
                    }
                    let mut d =
                        Diagnostic::new("N001", severity, Span::new(id, start, end), message);
                    match (m + i) % 4 {
                        0 => {}
                        1 => d = d.with_help(texts[(m + 3) % texts.len()].clone()),
                        2 => {
                            d = d
                                .with_help("short help")
                                .with_related(Span::new(id, start, end), message.clone());
                        }
                        _ => {
                            d = d
                                .with_related(Span::new(other, 3, 8), "in another file")
                                .with_related(Span::new(id, end, end), "");
                        }
                    }
                    let ours = render_chunk(&sources, std::slice::from_ref(&d), false);
                    let theirs = miette(&sources, &d);
                    assert_eq!(
                        ours, theirs,
                        "file {text:?} span {start}..{end} message {message:?}"
                    );
                    let s = severity_of(&d);
                    match snippet::finding(
                        &mut String::new(),
                        file,
                        start,
                        end,
                        &code(&d),
                        s,
                        message,
                        &mut hint,
                    ) {
                        true => fast += 1,
                        false => slow += 1,
                    }
                    cases += 1;
                }
            }
        }
        eprintln!("{cases} findings compared: {fast} drawn here, {slow} by miette");
        assert!(
            fast > cases / 2 && slow > cases / 20,
            "{fast} fast, {slow} slow"
        );
    }

    fn severity_of(d: &Diagnostic) -> miette::Severity {
        severity(d.severity)
    }

    /// The shapes [`snippet`] leaves to miette.
    #[test]
    fn other_shapes_go_to_miette() {
        let file = |text: &str| SourceFile::new("f.conf".into(), None, text);
        let s = miette::Severity::Error;
        let draw = |f: &SourceFile, start, end| {
            let mut out = String::new();
            let mut no_hint = usize::MAX;
            snippet::finding(&mut out, f, start, end, "N001", s, "m", &mut no_hint).then_some(out)
        };
        let plain = file("ab;\ncd;\nef;\n");
        assert!(draw(&plain, 4, 6).is_some());
        assert!(draw(&plain, 4, 4).is_none(), "zero width");
        assert!(draw(&plain, 4, 7).is_some());
        assert!(draw(&plain, 4, 8).is_none(), "over the line break");
        assert!(draw(&plain, 1, 6).is_none(), "over two lines");
        assert!(draw(&plain, 4, 99).is_none(), "past the end");
        assert!(
            draw(&file("a\tb;\ncd;\n"), 5, 7).is_none(),
            "tab on a shown line"
        );
        assert!(draw(&file("ab;\ncd;\nef;\n\ngh;\n"), 14, 16).is_some());
        // A lone CR two lines up: not shown, but miette's span reader would count it as a line break.
        assert!(
            draw(&file("ab;\ncd;\ne\rf;\n\ngh;\n"), 15, 17).is_none(),
            "lone CR in window"
        );
        assert!(
            draw(&file("a\rb;\ncd;\nef;\n\ngh;\n"), 15, 17).is_some(),
            "lone CR outside"
        );
        assert!(draw(&file("a\x1b[1m;\ncd;\n"), 8, 10).is_none(), "escape");
        assert!(
            draw(&file("é;\ncd;\n"), 1, 2).is_none(),
            "inside a character"
        );
        // Colour is always miette's: the fast path is only asked without it.
        let mut sources = SourceMap::new();
        let id = sources.add(file("ab;\ncd;\n"));
        let d = Diagnostic::new("N001", Severity::Error, Span::new(id, 4, 6), "m");
        let colored = render_chunk(&sources, std::slice::from_ref(&d), true);
        assert!(colored.contains('\x1b'));
    }
}
