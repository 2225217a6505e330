//! miette's plain (no colour) text for the common finding, written directly.
//!
//! Drawing a finding through `GraphicalReportHandler` (dynamic `Diagnostic` and `SourceCode` calls, three
//! span reads, `Line`/`FancySpan` values, `format!` per piece, textwrap for every message and help) was
//! most of a run with thousands of findings. Almost every finding has the same shape: one label on a
//! span inside one line, with a line of context on each side. For that shape this module writes the
//! same bytes miette 7.6 writes with the handler `human::handler(false)` builds (unicode theme without
//! colour, width 120, one context line, textwrap first-fit at ASCII spaces without hyphenation).
//! Anything else answers `None` and goes to miette. `human::fast_path_tests` compares the two.

use crate::source::SourceFile;
use std::fmt::Write;
use unicode_width::UnicodeWidthChar;

/// `with_width(120)`: miette wraps text to its width less 2.
const WRAP_WIDTH: usize = 118;

/// The header, message and source excerpt of a finding with `code`, as miette renders a report
/// without help and related reports; `None` if the span is outside the shape [`excerpt`] draws.
pub(super) fn finding(
    file: &SourceFile,
    start: usize,
    end: usize,
    code: &str,
    severity: miette::Severity,
    message: &str,
) -> Option<String> {
    let excerpt = excerpt(file, start, end, Some("here"))?;
    let mut out = String::with_capacity(code.len() + message.len() + excerpt.len() + 16);
    out.push_str(code);
    out.push_str("\n\n");
    message_line(&mut out, severity, message);
    out.push_str(&excerpt);
    Some(out)
}

/// A related location as miette renders it after the finding (`render_related`, not nested): always
/// severity advice, no code, no label.
pub(super) fn related(
    file: &SourceFile,
    start: usize,
    end: usize,
    message: &str,
) -> Option<String> {
    let excerpt = excerpt(file, start, end, None)?;
    let mut out = String::from("\nAdvice: \n");
    message_line(&mut out, miette::Severity::Advice, message);
    out.push_str(&excerpt);
    Some(out)
}

/// miette's help section (`render_footer`).
pub(super) fn help(help: &str) -> String {
    let mut out = String::with_capacity(help.len() + 16);
    fill(&mut out, help, "  help: ", "        ");
    out.push('\n');
    out
}

/// miette's message line (`render_causes` without a cause chain).
fn message_line(out: &mut String, severity: miette::Severity, message: &str) {
    let initial = match severity {
        miette::Severity::Error => "  × ",
        miette::Severity::Warning => "  ⚠ ",
        miette::Severity::Advice => "  ☞ ",
    };
    fill(out, message, initial, "  │ ");
    out.push('\n');
}

/// The textwrap options miette builds from the handler's settings.
pub(super) fn wrap_options<'a>(initial: &'a str, subsequent: &'a str) -> textwrap::Options<'a> {
    textwrap::Options::new(WRAP_WIDTH)
        .initial_indent(initial)
        .subsequent_indent(subsequent)
        .break_words(true)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// `textwrap::fill(text, wrap_options(initial, subsequent))` appended to `out`. textwrap 0.16 without
/// its `smawk` feature wraps first-fit: it splits a line into words (text, then the spaces after it),
/// puts a zero-width word first (because of the indent), and starts a new line when the next word
/// would pass the width. That is reproduced here for one line of text whose words all fit in a line;
/// anything else (line breaks, control characters, words textwrap would break) goes to textwrap.
fn fill(out: &mut String, text: &str, initial: &str, subsequent: &str) {
    // Every indent here is 4 or 8 columns of one-column characters.
    let widths = [
        WRAP_WIDTH - textwrap::core::display_width(initial),
        WRAP_WIDTH - textwrap::core::display_width(subsequent),
    ];
    if text.bytes().any(|b| b < b' ' || b == 0x7f) {
        out.push_str(&textwrap::fill(text, wrap_options(initial, subsequent)));
        return;
    }
    // Words as (start, end of text, end of spaces, columns) in `text`.
    let mut words: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(32);
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let word_end = memchr::memchr(b' ', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let mut space_end = word_end;
        while space_end < bytes.len() && bytes[space_end] == b' ' {
            space_end += 1;
        }
        let word = &text[at..word_end];
        let width = if word.is_ascii() {
            word.len()
        } else {
            textwrap::core::display_width(word)
        };
        if width > widths[1] {
            // textwrap would break this word into pieces.
            out.push_str(&textwrap::fill(text, wrap_options(initial, subsequent)));
            return;
        }
        words.push((at, word_end, space_end, width));
        at = space_end;
    }
    // First fit, starting after the zero-width word textwrap inserts.
    out.push_str(initial);
    let mut line_start = 0;
    let mut line_width = 0;
    let mut lines = 0;
    let mut last_end = 0;
    for &(start, word_end, space_end, width) in &words {
        // A word never starts its line in textwrap's check (the zero-width word comes before the
        // first), so every word that passes the width moves to a new line.
        if line_width + width > widths[lines.min(1)] {
            out.push_str(&text[line_start..last_end]);
            out.push('\n');
            out.push_str(subsequent);
            lines += 1;
            line_start = start;
            line_width = 0;
        }
        line_width += width + (space_end - word_end);
        last_end = word_end;
    }
    out.push_str(&text[line_start..last_end]);
}

/// miette's source excerpt (`render_context`) for one label on `start..end`, or `None` outside the
/// shape reproduced here: a non-empty span on one line (not its line break) at character boundaries,
/// shown lines without tabs or escape characters (miette expands and skips those), and no lone `\r`
/// among the lines miette's [`super::human`] window reads (miette's span reader counts one as a line
/// break, its line splitter does not).
fn excerpt(file: &SourceFile, start: usize, end: usize, label: Option<&str>) -> Option<String> {
    let text = &*file.text;
    let bytes = text.as_bytes();
    if start >= end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return None;
    }
    let line = file.line_index(start);
    let content = |index: usize| -> (usize, usize) {
        let from = file.line_start(index);
        let mut to = file.line_start(index + 1);
        if to > from && bytes[to - 1] == b'\n' {
            to -= 1;
            if to > from && bytes[to - 1] == b'\r' {
                to -= 1;
            }
        }
        (from, to)
    };
    let (line_from, line_to) = content(line);
    if end > line_to {
        return None;
    }
    // The window human.rs gives miette: one more line each side than the context.
    let window = &bytes[file.line_start(line.saturating_sub(2))..file.line_start(line + 3)];
    let lone_cr = memchr::memchr_iter(b'\r', window).any(|i| window.get(i + 1) != Some(&b'\n'));
    if lone_cr {
        return None;
    }
    let first = line.saturating_sub(1);
    // miette shows the next line if any byte follows this line's break.
    let last = if file.line_start(line + 1) < text.len() {
        line + 1
    } else {
        line
    };
    let shown = (first..=last).map(content);
    if shown
        .clone()
        .any(|(from, to)| bytes[from..to].iter().any(|&b| b == b'\t' || b == 0x1b))
    {
        return None;
    }

    // Columns as miette counts them (`line_visual_char_width`, unicode-width 0.1 like miette).
    let columns = |s: &str| -> usize { s.chars().map(|c| c.width().unwrap_or(0)).sum() };
    let left = columns(&text[line_from..start]);
    let right = (left + columns(&text[start..end])).max(left + 1);
    let middle = (left + right) / 2;

    let digits = (last + 1).to_string().len();
    let mut out = String::with_capacity(256);
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat(' ').take(n));
    pad(&mut out, digits + 2);
    // The location is miette's: 1-based line, 1-based byte column.
    let _ = writeln!(
        out,
        "╭─[{}:{}:{}]",
        file.name,
        line + 1,
        start - line_from + 1
    );
    for (index, (from, to)) in (first..=last).zip(shown) {
        let _ = writeln!(out, " {:>digits$} │ {}", index + 1, &text[from..to]);
        if index != line {
            continue;
        }
        out.push(' ');
        pad(&mut out, digits);
        out.push_str(" · ");
        pad(&mut out, left);
        out.extend(std::iter::repeat('─').take(middle - left));
        out.push(if label.is_some() { '┬' } else { '─' });
        out.extend(std::iter::repeat('─').take(right - middle - 1));
        out.push('\n');
        if let Some(label) = label {
            out.push(' ');
            pad(&mut out, digits);
            out.push_str(" · ");
            pad(&mut out, middle);
            out.push_str("╰── ");
            out.push_str(label);
            out.push('\n');
        }
    }
    pad(&mut out, digits + 2);
    out.push_str("╰────\n");
    Some(out)
}
