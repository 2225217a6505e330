//! miette's plain (no colour) text for the common finding, written directly.
//!
//! Drawing a finding through `GraphicalReportHandler` (dynamic `Diagnostic` and `SourceCode` calls, three
//! span reads, `Line`/`FancySpan` values, `format!` per piece, textwrap for every message and help) was
//! most of a run with thousands of findings. Almost every finding has the same shape: one label on a
//! span inside one line, with a line of context on each side. For that shape this module writes the
//! same bytes miette 7.6 writes with the handler `human::handler(false)` builds (unicode theme without
//! colour, width 120, one context line, textwrap first-fit at ASCII spaces without hyphenation).
//! Anything else is refused (`false` or `None`) and goes to miette; so does all colour output.
//! `human::fast_path_tests` compares the two.

use super::push_decimal;
use crate::source::SourceFile;
use unicode_width::UnicodeWidthChar;

/// `with_width(120)`: miette wraps text to its width less 2.
const WRAP_WIDTH: usize = 118;

/// Appends the header, message and source excerpt of a finding with `code`, as miette renders a report
/// without help and related reports; false (and nothing appended) if the span is outside the shape
/// [`excerpt`] draws. `line` is the 0-based line of the last finding drawn in this file (`usize::MAX`
/// for none), where the search for this one's starts; it is left at this one's.
#[allow(clippy::too_many_arguments)]
pub(super) fn finding(
    out: &mut String,
    file: &SourceFile,
    start: usize,
    end: usize,
    code: &str,
    severity: miette::Severity,
    message: &str,
    line: &mut usize,
) -> bool {
    let mark = out.len();
    out.push_str(code);
    out.push_str("\n\n");
    message_line(out, severity, message);
    if !excerpt(out, file, start, end, Some("here"), line) {
        out.truncate(mark);
        return false;
    }
    true
}

/// A related location as miette renders it after the finding (`render_related`, not nested): always
/// severity advice, no code, no label.
pub(super) fn related(
    file: &SourceFile,
    start: usize,
    end: usize,
    message: &str,
) -> Option<String> {
    let mut out = String::with_capacity(message.len() + 512);
    out.push_str("\nAdvice: \n");
    message_line(&mut out, miette::Severity::Advice, message);
    let mut no_hint = usize::MAX;
    excerpt(&mut out, file, start, end, None, &mut no_hint).then_some(out)
}

/// miette's help section (`render_footer`).
pub(super) fn help(help: &str) -> String {
    // Room for the indents of a few wrapped lines.
    let mut out = String::with_capacity(help.len() + 64);
    let (initial, subsequent) = ("  help: ", "        ");
    fill(
        &mut out,
        help,
        initial,
        subsequent,
        line_widths(initial, subsequent),
    );
    out.push('\n');
    out
}

/// miette's message line (`render_causes` without a cause chain).
fn message_line(out: &mut String, severity: miette::Severity, message: &str) {
    const MARKS: [&str; 3] = ["  × ", "  ⚠ ", "  ☞ "];
    const SUBSEQUENT: &str = "  │ ";
    // Measured once: `display_width` of the marks was 3 M instructions over a report's 12,600 messages.
    static WIDTHS: std::sync::OnceLock<[[usize; 2]; 3]> = std::sync::OnceLock::new();
    let widths = WIDTHS.get_or_init(|| MARKS.map(|mark| line_widths(mark, SUBSEQUENT)));
    let i = match severity {
        miette::Severity::Error => 0,
        miette::Severity::Warning => 1,
        miette::Severity::Advice => 2,
    };
    fill(out, message, MARKS[i], SUBSEQUENT, widths[i]);
    out.push('\n');
}

/// The textwrap options miette builds from the handler's settings.
fn wrap_options<'a>(initial: &'a str, subsequent: &'a str) -> textwrap::Options<'a> {
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
/// `widths` are [`line_widths`] of the indents.
fn fill(out: &mut String, text: &str, initial: &str, subsequent: &str, widths: [usize; 2]) {
    if !first_fit(out, text, initial, subsequent, widths) {
        out.push_str(&textwrap::fill(text, wrap_options(initial, subsequent)));
    }
}

/// At most this many characters of a text outside ASCII are measured one by one (the helps of the
/// benchmark have one or two: `—`, `≥`); a text with more goes word by word.
const WIDE_CHARS: usize = 16;

/// [`fill`] for the text it reproduces; false (and nothing appended) for the rest.
///
/// First-fit puts on each line the words whose ends are at most the line's width from its start, so
/// each line is found with one measure and a look back from its end to the last word end before it,
/// not word by word: the 4,300 helps of 470 bytes of the benchmark took 7,400 instructions each word by
/// word ([`first_fit_by_word`], which takes the texts this cannot measure this way).
fn first_fit(
    out: &mut String,
    text: &str,
    initial: &str,
    subsequent: &str,
    widths: [usize; 2],
) -> bool {
    let bytes = text.as_bytes();
    // One pass that vectorises; textwrap measures control characters its own way.
    if bytes
        .iter()
        .fold(false, |bad, &b| bad | (b < b' ') | (b == 0x7f))
    {
        return false;
    }
    // A first line wider than the others would have to check each of its words against the others'
    // width (a word wider than that makes textwrap break it).
    if widths[0] > widths[1] {
        return first_fit_by_word(out, text, initial, subsequent, widths);
    }
    // Columns: one per byte, less what the characters outside ASCII take beyond their width. Each
    // entry is such a character's start, end and the column at its end.
    let mut wide = [(0usize, 0usize, 0usize); WIDE_CHARS];
    let mut wide_count = 0;
    let mut excess = 0; // bytes past columns so far
    let mut at = 0;
    while let Some(start) = next_non_ascii(bytes, at) {
        let Some(c) = text[start..].chars().next() else {
            break;
        };
        let end = start + c.len_utf8();
        let width = textwrap::core::display_width(&text[start..end]);
        // Wider than long (no character is, in unicode-width) or too many to list.
        if width > c.len_utf8() || wide_count == WIDE_CHARS {
            return first_fit_by_word(out, text, initial, subsequent, widths);
        }
        excess += c.len_utf8() - width;
        wide[wide_count] = (start, end, end - excess);
        wide_count += 1;
        at = end;
    }
    let wide = &wide[..wide_count];
    // The column of byte offset `p` at a character boundary.
    let column = |p: usize| -> usize {
        match wide.iter().rposition(|&(_, end, _)| end <= p) {
            Some(i) => wide[i].2 + (p - wide[i].1),
            None => p,
        }
    };
    // The last character boundary whose column is at most `limit`, from `from` on.
    let last_within = |from: usize, limit: usize| -> usize {
        let mut p = from;
        let mut col = column(from);
        for &(start, end, end_col) in wide.iter().filter(|w| w.0 >= from) {
            // ASCII up to `start`, one column a byte.
            if col + (start - p) > limit {
                break;
            }
            if end_col > limit {
                return start;
            }
            p = end;
            col = end_col;
        }
        (p + (limit - col)).min(bytes.len())
    };
    // The end of the last word: the text without its trailing spaces (0 for a text of spaces only, the
    // end of the empty word before them).
    let last_end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let mark = out.len();
    out.push_str(initial);
    let mut line_start = 0;
    let mut lines = 0;
    loop {
        let limit = column(line_start) + widths[lines.min(1)];
        if column(bytes.len()) <= limit {
            out.push_str(&text[line_start..last_end.max(line_start)]);
            return true;
        }
        let q = last_within(line_start, limit);
        // The last word end at or before `q`: a space after a word, or the text's end.
        let mut e = q;
        while e > line_start && !(bytes.get(e).map_or(true, |&b| b == b' ') && bytes[e - 1] != b' ')
        {
            e -= 1;
        }
        if e == line_start {
            if lines > 0 {
                // A word wider than a line: textwrap breaks it.
                out.truncate(mark);
                return false;
            }
            // The first word does not fit the first line: textwrap leaves that line empty (its end is
            // the empty word's before it).
            e = 0;
        }
        // No word after this one: the line ends the text.
        let Some(next) = bytes[e..].iter().position(|&b| b != b' ') else {
            out.push_str(&text[line_start..e]);
            return true;
        };
        out.push_str(&text[line_start..e]);
        out.push('\n');
        out.push_str(subsequent);
        lines += 1;
        line_start = e + next;
    }
}

/// The offset of the first byte outside ASCII at or after `from`, eight bytes at a time.
fn next_non_ascii(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while let Some(w) = crate::swar::load8(bytes, at) {
        if w & HIGH != 0 {
            return Some(at + crate::swar::first(w & HIGH));
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|b| !b.is_ascii())
        .map(|i| at + i)
}

/// The widths textwrap gives the first line and the others: the wrap width less the indent.
fn line_widths(initial: &str, subsequent: &str) -> [usize; 2] {
    // The indents are ASCII (`  help: `), as wide as they are long.
    let width = |s: &str| match s.is_ascii() {
        true => s.len(),
        false => textwrap::core::display_width(s),
    };
    [
        WRAP_WIDTH.saturating_sub(width(initial)),
        WRAP_WIDTH.saturating_sub(width(subsequent)),
    ]
}

/// [`first_fit`] word by word, for any text without control characters.
fn first_fit_by_word(
    out: &mut String,
    text: &str,
    initial: &str,
    subsequent: &str,
    widths: [usize; 2],
) -> bool {
    let bytes = text.as_bytes();
    let ascii = text.is_ascii();
    let mark = out.len();
    out.push_str(initial);
    let mut line_start = 0;
    let mut line_width = 0;
    let mut lines = 0;
    let mut last_end = 0;
    let mut at = 0;
    while at < bytes.len() {
        let mut word_end = at;
        // Eight bytes at a time to the next space (byte by byte, this loop was a third of the wrapping).
        while let Some(w) = crate::swar::load8(bytes, word_end) {
            let spaces = crate::swar::equal(w, b' ');
            if spaces != 0 {
                word_end += crate::swar::first(spaces);
                break;
            }
            word_end += 8;
        }
        while word_end < bytes.len() && bytes[word_end] != b' ' {
            word_end += 1;
        }
        let mut space_end = word_end;
        while space_end < bytes.len() && bytes[space_end] == b' ' {
            space_end += 1;
        }
        let word = &text[at..word_end];
        let width = match ascii || word.is_ascii() {
            true => word.len(),
            false => textwrap::core::display_width(word),
        };
        if width > widths[1] {
            // textwrap would break this word into pieces.
            out.truncate(mark);
            return false;
        }
        // A word never starts its line in textwrap's check (the zero-width word comes before the
        // first), so every word that passes the width moves to a new line.
        if line_width + width > widths[lines.min(1)] {
            out.push_str(&text[line_start..last_end]);
            out.push('\n');
            out.push_str(subsequent);
            lines += 1;
            line_start = at;
            line_width = 0;
        }
        line_width += width + (space_end - word_end);
        last_end = word_end;
        at = space_end;
    }
    out.push_str(&text[line_start..last_end]);
    true
}

/// miette's source excerpt (`render_context`) for one label on `start..end`, or `None` outside the
/// shape reproduced here: a non-empty span on one line (not its line break) at character boundaries,
/// shown lines without tabs or escape characters (miette expands and skips those), and no lone `\r`
/// among the lines miette's [`super::human`] window reads (miette's span reader counts one as a line
/// break, its line splitter does not).
fn excerpt(
    out: &mut String,
    file: &SourceFile,
    start: usize,
    end: usize,
    label: Option<&str>,
    hint: &mut usize,
) -> bool {
    let text = &*file.text;
    let bytes = text.as_bytes();
    if start >= end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return false;
    }
    let line = file.line_index_near(start, *hint);
    *hint = line;
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
        return false;
    }
    // The window human.rs gives miette: one more line each side than the context.
    let window = &bytes[file.line_start(line.saturating_sub(2))..file.line_start(line + 3)];
    let lone_cr = memchr::memchr_iter(b'\r', window).any(|i| window.get(i + 1) != Some(&b'\n'));
    if lone_cr {
        return false;
    }
    let first = line.saturating_sub(1);
    // miette shows the next line if any byte follows this line's break.
    let last = if file.line_start(line + 1) < text.len() {
        line + 1
    } else {
        line
    };
    let shown = (first..=last).map(content);
    if memchr::memchr2(b'\t', 0x1b, &bytes[file.line_start(first)..content(last).1]).is_some() {
        return false;
    }

    // Columns as miette counts them (`line_visual_char_width`, unicode-width 0.1 like miette); printable
    // ASCII is one column a byte.
    let columns = |s: &str| -> usize {
        match printable_ascii(s.as_bytes()) {
            true => s.len(),
            false => s.chars().map(|c| c.width().unwrap_or(0)).sum(),
        }
    };
    let left = columns(&text[line_from..start]);
    let right = (left + columns(&text[start..end])).max(left + 1);
    let middle = (left + right) / 2;

    let digits = decimal_digits(last + 1);
    let pad = |out: &mut String, n: usize| repeat(out, SPACES, n);
    pad(out, digits + 2);
    // The location is miette's: 1-based line, 1-based byte column.
    out.push_str("╭─[");
    out.push_str(&file.name);
    out.push(':');
    push_decimal(out, line + 1);
    out.push(':');
    push_decimal(out, start - line_from + 1);
    out.push_str("]\n");
    for (index, (from, to)) in (first..=last).zip(shown) {
        // miette right-aligns the line number in the gutter.
        pad(out, 1 + digits - decimal_digits(index + 1));
        push_decimal(out, index + 1);
        out.push_str(" │ ");
        out.push_str(&text[from..to]);
        out.push('\n');
        if index != line {
            continue;
        }
        out.push(' ');
        pad(out, digits);
        out.push_str(" · ");
        pad(out, left);
        repeat(out, RULE, middle - left);
        out.push(if label.is_some() { '┬' } else { '─' });
        repeat(out, RULE, right - middle - 1);
        out.push('\n');
        if let Some(label) = label {
            out.push(' ');
            pad(out, digits);
            out.push_str(" · ");
            pad(out, middle);
            out.push_str("╰── ");
            out.push_str(label);
            out.push('\n');
        }
    }
    pad(out, digits + 2);
    out.push_str("╰────\n");
    true
}

/// Whether every byte is printable ASCII (`b' '..0x7f`), eight at a time.
fn printable_ascii(bytes: &[u8]) -> bool {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let clean = words.all(|w| {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        // Controls, and bytes with the low seven bits all set (0x7f, 0xff) or the high bit set: no
        // carry leaves a byte, as each low half is at most 0x7f before the add.
        (crate::swar::below(w, 0x20) | ((((w & LOW) + crate::swar::ONES) | w) & HIGH)) == 0
    });
    clean && words.remainder().iter().all(|b| (b' '..0x7f).contains(b))
}

const SPACES: &str = "                                                                ";
const RULE: &str = "────────────────────────────────────────────────────────────────";

/// Appends `n` copies of the one character `run` is made of (in pieces of `run`, not a char at a time).
fn repeat(out: &mut String, run: &str, n: usize) {
    let width = run.chars().next().map_or(1, char::len_utf8);
    // Nearly always: one piece (a report pads 100,000 times, mostly by a few spaces).
    if let Some(piece) = run.get(..n * width) {
        out.push_str(piece);
        return;
    }
    let mut left = n;
    while left > 0 {
        let piece = left.min(run.len() / width);
        out.push_str(&run[..piece * width]);
        left -= piece;
    }
}

fn decimal_digits(n: usize) -> usize {
    let mut digits = 1;
    let mut rest = n / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters of varied widths and lengths: ASCII, two-byte, wide, the helps' dashes, combining and
    /// zero-width ones.
    const CHARS: &[&str] = &["a", "bb", "é", "日", "—", "≥", "e\u{301}", "\u{200b}", "🎉"];

    #[test]
    fn printable_ascii_at_every_position() {
        for len in 0..20 {
            assert!(printable_ascii(&vec![b'~'; len]));
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b' '; len];
                    bytes[at] = byte;
                    assert_eq!(
                        printable_ascii(&bytes),
                        (b' '..0x7f).contains(&byte),
                        "{len} {at} {byte:#x}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        #[test]
        fn lines_equal_word_by_word_and_textwrap(
            words in proptest::collection::vec(
                (proptest::collection::vec(0..CHARS.len(), 0..12), 0usize..4, 0usize..20),
                0..40,
            ),
            indents in (0usize..5, 0usize..3),
        ) {
            let mut text = String::new();
            for (chars, spaces, long) in &words {
                for &c in chars {
                    text.push_str(CHARS[c]);
                }
                // Now and then a word about a line wide.
                if *long == 0 {
                    text.push_str(&"x".repeat(100 + chars.len() * 2));
                }
                text.push_str(&" ".repeat(*spaces));
            }
            let initial = ["  help: ", "  × ", "  ⚠ ", "", "日本"][indents.0];
            let subsequent = ["        ", "  │ ", "日本語 "][indents.1];
            let (mut ours, mut theirs) = (String::from("~"), String::from("~"));
            let widths = line_widths(initial, subsequent);
            let fast = first_fit(&mut ours, &text, initial, subsequent, widths);
            let by_word = first_fit_by_word(&mut theirs, &text, initial, subsequent, widths);
            proptest::prop_assert_eq!(fast, by_word, "{:?}", text);
            proptest::prop_assert_eq!(&ours, &theirs, "{:?}", text);
            if fast {
                let wrapped = textwrap::fill(&text, wrap_options(initial, subsequent));
                proptest::prop_assert_eq!(&ours[1..], wrapped.as_str(), "{:?}", text);
            }
        }
    }
}
