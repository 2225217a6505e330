//! `--format json`: one document per run, `{"version":1,"diagnostics":[…],"summary":{…}}`.

use super::{Recent, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::source::{FileId, SourceMap, Span};
use crate::swar;
use serde::Serialize;

#[cfg(test)]
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

/// A finding as serde_json serialises it: the reference [`Writer::diagnostic`] must match byte for byte.
#[cfg(test)]
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

#[cfg(test)]
#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[cfg(test)]
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

/// Whether each byte must be escaped in a JSON string (serde_json's set: `"`, `\\` and the controls
/// below 0x20; nothing else, not even U+2028).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any of the 8 bytes in `w` needs escaping (see [`NEEDS_ESCAPE`]).
fn word_needs_escape(w: u64) -> bool {
    (swar::below(w, 0x20) | swar::equal(w, b'"') | swar::equal(w, b'\\')) != 0
}

/// The index of the first byte at or after `from` that needs escaping, or the length if none does.
fn next_escape(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= 16 {
        return next_escape_simd(bytes, i);
    }
    while let Some(w) = swar::load8(bytes, i) {
        if word_needs_escape(w) {
            break;
        }
        i += 8;
    }
    while i < bytes.len() && !NEEDS_ESCAPE[bytes[i] as usize] {
        i += 1;
    }
    i
}

/// [`next_escape`] for a text of 16 bytes or more, 16 bytes at a time (the last 16 for what is left at
/// the end). The 8.6 MB report of the benchmark configuration escapes 2.8 MB of messages and helps:
/// 8 bytes at a time that was 13.7 M instructions.
#[cfg(target_arch = "x86_64")]
fn next_escape_simd(bytes: &[u8], from: usize) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    debug_assert!(bytes.len() >= 16);
    // SAFETY: SSE2 is part of every x86_64 CPU; each unaligned load reads 16 bytes starting at `at`,
    // with `at + 16 <= bytes.len()`.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let control = _mm_set1_epi8(0x1f);
        // Bit i set when byte i of the block at `at` needs escaping: a control (unsigned, at most
        // 0x1f: the minimum with 0x1f is itself), `"` or `\`.
        let flags = |at: usize| -> u32 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            let controls = _mm_cmpeq_epi8(_mm_min_epu8(v, control), v);
            let quotes = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
            _mm_movemask_epi8(_mm_or_si128(controls, quotes)) as u32
        };
        let mut at = from;
        while at + 16 <= bytes.len() {
            let mask = flags(at);
            if mask != 0 {
                return at + mask.trailing_zeros() as usize;
            }
            at += 16;
        }
        if at == bytes.len() {
            return at;
        }
        // The last 16 bytes, without those before `at` (checked above).
        let last = bytes.len() - 16;
        let mask = flags(last) >> (at - last);
        match mask {
            0 => bytes.len(),
            _ => at + mask.trailing_zeros() as usize,
        }
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it. Clean runs are copied
/// whole.
fn push_str_literal(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0; // start of the run not yet copied
    loop {
        let i = next_escape(bytes, run);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        // Escaped bytes are ASCII, so `run..i` and `i + 1..` are on character boundaries.
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// The keys of a position, each with the comma and indentation before it.
struct PositionKeys {
    /// A finding's own position (not a related location's).
    main: bool,
    file: &'static str,
    line: &'static str,
    column: &'static str,
    end_line: &'static str,
    end_column: &'static str,
}

const FINDING: PositionKeys = PositionKeys {
    main: true,
    file: ",\n      \"file\": ",
    line: ",\n      \"line\": ",
    column: ",\n      \"column\": ",
    end_line: ",\n      \"end_line\": ",
    end_column: ",\n      \"end_column\": ",
};

const RELATED: PositionKeys = PositionKeys {
    main: false,
    file: "\n          \"file\": ",
    line: ",\n          \"line\": ",
    column: ",\n          \"column\": ",
    end_line: ",\n          \"end_line\": ",
    end_column: ",\n          \"end_column\": ",
};

/// How many recent help texts keep their JSON literal: findings of several rules interleave, and
/// thousands of findings of one rule share a help.
const HELP_CACHE: usize = 8;

/// The per-chunk state that saves work repeated from one finding to the next.
#[derive(Default)]
struct Writer<'a> {
    out: String,
    /// The last file's id and its name as a JSON literal.
    file: Option<(FileId, String)>,
    /// Each code and severity seen, with the finding's text up to its message (a few rules per run).
    heads: Vec<(&'static str, Severity, String)>,
    /// Recent help texts and their literals.
    help: Recent<&'a str, HELP_CACHE>,
    /// The file and 0-based line of the last finding's start, where the search for the next one's starts
    /// (see [`crate::source::SourceFile::line_cols_near`]); related locations search on their own.
    line: Option<(FileId, usize)>,
}

impl<'a> Writer<'a> {
    fn number(&mut self, key: &str, n: usize) {
        self.out.push_str(key);
        super::push_decimal(&mut self.out, n);
    }

    fn position(&mut self, sources: &SourceMap, span: Span, keys: &PositionKeys) {
        self.out.push_str(keys.file);
        match &self.file {
            Some((id, literal)) if *id == span.file => self.out.push_str(literal),
            _ => {
                let mut literal = String::new();
                push_str_literal(&mut literal, &sources.get(span.file).name);
                self.out.push_str(&literal);
                self.file = Some((span.file, literal));
            }
        }
        let mut hint = match self.line {
            Some((file, line)) if file == span.file && keys.main => line,
            _ => usize::MAX,
        };
        let ((line, column), (end_line, end_column)) =
            sources.get(span.file).line_cols_near(span, &mut hint);
        if keys.main {
            self.line = Some((span.file, hint));
        }
        self.number(keys.line, line);
        self.number(keys.column, column);
        self.number(keys.end_line, end_line);
        self.number(keys.end_column, end_column);
    }

    /// `{` and the fields before the message: code, name and severity.
    fn head(&mut self, d: &Diagnostic) {
        if let Some((_, _, text)) = self
            .heads
            .iter()
            .find(|(code, severity, _)| *code == d.code && *severity == d.severity)
        {
            self.out.push_str(text);
            return;
        }
        let mut text = String::from("{\n      \"code\": ");
        push_str_literal(&mut text, d.code);
        text.push_str(",\n      \"name\": ");
        push_str_literal(
            &mut text,
            rules::by_code(d.code).map(|r| r.name).unwrap_or(""),
        );
        text.push_str(",\n      \"severity\": ");
        push_str_literal(&mut text, d.severity.as_str());
        self.out.push_str(&text);
        self.heads.push((d.code, d.severity, text));
    }

    fn help(&mut self, help: Option<&'a str>) {
        let Some(help) = help else {
            self.out.push_str("null");
            return;
        };
        if let Some(literal) = self.help.get(&help) {
            self.out.push_str(literal);
            return;
        }
        // Written in place and copied out once: escaping into a fresh string grew it step by step.
        let start = self.out.len();
        push_str_literal(&mut self.out, help);
        self.help.insert(help, self.out[start..].to_string());
    }

    /// One finding, `{…}`, as serde_json pretty-prints it two levels deep.
    fn diagnostic(&mut self, sources: &SourceMap, d: &'a Diagnostic) {
        self.head(d);
        self.out.push_str(",\n      \"message\": ");
        push_str_literal(&mut self.out, &d.message);
        self.out.push_str(",\n      \"help\": ");
        self.help(d.help.as_deref());
        self.position(sources, d.span, &FINDING);
        self.number(",\n      \"byte_start\": ", d.span.start as usize);
        self.number(",\n      \"byte_end\": ", d.span.end as usize);
        if d.related.is_empty() {
            self.out.push_str(",\n      \"related\": []\n    }");
            return;
        }
        self.out.push_str(",\n      \"related\": [");
        for (i, r) in d.related.iter().enumerate() {
            self.out.push_str(if i == 0 {
                "\n        {"
            } else {
                ",\n        {"
            });
            self.position(sources, r.span, &RELATED);
            self.out.push_str(",\n          \"message\": ");
            push_str_literal(&mut self.out, &r.message);
            self.out.push_str("\n        }");
        }
        self.out.push_str("\n      ]\n    }");
    }
}

/// Appends `,\n    {…}` for each finding to `out` (without the comma before the document's first finding).
fn render_chunk<'a>(
    w: &mut Writer<'a>,
    sources: &SourceMap,
    diagnostics: &'a [Diagnostic],
    first: bool,
    out: &mut String,
) {
    std::mem::swap(&mut w.out, out);
    for (i, d) in diagnostics.iter().enumerate() {
        w.out
            .push_str(if first && i == 0 { "\n    " } else { ",\n    " });
        w.diagnostic(sources, d);
    }
    std::mem::swap(&mut w.out, out);
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
    super::write_parts(diagnostics, out, Writer::default, |w, part, text| {
        let first = std::ptr::eq(part.as_ptr(), diagnostics.as_ptr());
        render_chunk(w, sources, part, first, text)
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
    fn literals_equal_serde_json_at_every_length_and_position() {
        // Around the 16-byte blocks and the last, overlapping one; bytes just inside and outside the
        // escaped set (0x1f/0x20, and bytes from 0x80 up, which an unsigned compare must not flag).
        for len in 0..50 {
            for filler in ["a", " ", "\u{7f}", "é", "\u{ff}"] {
                let base: String = filler.repeat(len);
                let mut texts = vec![base.clone()];
                for at in (0..base.len()).filter(|&i| base.is_char_boundary(i)) {
                    for escaped in ["\"", "\\", "\u{1f}", "\0", "\n"] {
                        texts.push(format!("{}{escaped}{}", &base[..at], &base[at..]));
                    }
                }
                for text in texts {
                    let mut ours = String::new();
                    push_str_literal(&mut ours, &text);
                    assert_eq!(ours, serde_json::to_string(&text).unwrap(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn awkward_strings_equal_serde_json() {
        let mut sources = SourceMap::new();
        let a = sources.add(SourceFile::new(
            "dir \"x\"\\ü/a\u{1}.conf".into(),
            None,
            "ab\nçd€ x\r\n\u{2028}yz\n",
        ));
        let b = sources.add(SourceFile::new("b.conf".into(), None, "x;\n"));
        // Every control character, both escaped ASCII characters, DEL, non-ASCII and U+2028, at every
        // position relative to the 8-byte scan.
        let controls: String = (0u8..0x20).map(char::from).collect();
        let awkward = format!("q\"b\\s/{controls}\u{7f}ü€\u{2028}\u{2029}😀 end");
        let mut texts = vec![String::new(), "plain".into(), "12345678".into()];
        for cut in 0..awkward.len() {
            if awkward.is_char_boundary(cut) {
                texts.push(awkward[cut..].to_string());
                texts.push(format!("{}{}", "x".repeat(cut % 9), &awkward[..cut]));
            }
        }
        let mut diagnostics = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let file = if i % 3 == 0 { b } else { a };
            let len = sources.get(file).text.len();
            let span = Span::new(file, i % len, (i * 7 % (len + 1)).max(i % len));
            let mut d = Diagnostic::new("N001", Severity::Warning, span, text.clone());
            d = match i % 4 {
                0 => d,
                1 => d.with_help(""),
                2 => d.with_help(text.clone()),
                _ => d.with_help("the same help \"again\""),
            };
            for r in 0..i % 3 {
                d = d.with_related(Span::new(a, r, 5 + r), format!("{r}: {text}"));
            }
            diagnostics.push(d);
        }
        diagnostics.push(Diagnostic::new(
            "X999",
            Severity::Error,
            Span::point(b, 3),
            "no rule",
        ));
        let summary = Summary::new(2, &diagnostics);
        assert_eq!(
            render(&sources, &diagnostics, summary),
            reference(&sources, &diagnostics, summary)
        );
    }

    #[test]
    fn chunked_rendering_equals_serde_json() {
        let mut sources = SourceMap::new();
        let text: String = (0..1500)
            .map(|i| format!("listen 127.0.0.{};\n", i % 250))
            .collect();
        let id = sources.add(SourceFile::new(
            "site \"q\".conf".into(),
            None,
            text.clone(),
        ));
        // Up to six parts of `write_parts`, rendered on several threads and written in order.
        for n in [0, 1, 2, 599, 1500] {
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
