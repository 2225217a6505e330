//! php-fpm's INI dialect, line by line, with byte spans.
//!
//! php-fpm hands each line to the Zend INI scanner on its own (`fpm_conf_load_ini_file`), so nothing spans
//! lines. What the scanner accepts was checked with `php-fpm8.2 -tt` (see `grammar/phpfpm/README.md`):
//! `;` starts a comment, `#` does not (a `# …` line is a key without a value, which php-fpm rejects);
//! unquoted runs keep inner spaces and are trimmed; `"…"` knows `\"` and `\\`; `'…'` is raw; `${VAR}` reads
//! the environment; `yes/on/true` read as `1` and `no/off/false/none/null` as empty; `&|^~!()` make an
//! expression php evaluates (wirelint keeps its text); a bare `=` inside a value is a syntax error.

use crate::source::{FileId, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line without its terminator.
    pub span: Span,
    pub kind: LineKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// `[name]`; `[global]` (any case) switches to the global section.
    Section {
        name: String,
        name_span: Span,
    },
    Entry(Entry),
}

/// `key = value` or `key[index] = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// As written, trimmed.
    pub key: String,
    pub key_span: Span,
    pub index: Option<(String, Span)>,
    pub value: Value,
    /// The value's text (empty point after `=` when there is none).
    pub value_span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The value as written (without comment and surrounding blanks).
    pub raw: String,
    pub parts: Vec<Part>,
    /// Contains `& | ^ ~ ! ( )` outside quotes: php evaluates it as an expression of constants.
    pub expression: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// `${NAME}`.
    Env {
        /// Everything between the braces: the name php-fpm before PHP 8.3 looks up (`VAR:-x` for
        /// `${VAR:-x}`).
        name: String,
        span: Span,
        /// `${VAR:-default}` as PHP 8.3 and later read it.
        fallback: Option<Fallback>,
    },
}

/// The `:-` form of a variable (php-src `bc8b9aedf`/`a48b977d3`, PHP 8.3): the default applies when the
/// variable is not set at all; a variable set to an empty string stays empty (`zend_ini_get_var`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback {
    /// The name before `:-`, blanks trimmed.
    pub name: String,
    /// The default as php-fpm substitutes it; `None` when wirelint does not evaluate it (a nested
    /// `${…}`, quotes or escapes, or a bare word that may name a PHP constant such as `E_ALL`).
    pub value: Option<String>,
}

/// Whether the php-fpm that reads the file knows `${VAR:-default}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnvDefaults {
    /// The PHP version is not known: a `${VAR:-default}` has no known value and is not reported.
    #[default]
    Unknown,
    /// PHP 8.3 or later: the default applies when `VAR` is not set.
    Read,
    /// Before PHP 8.3: `VAR:-default` is the whole name, never set, so the value is empty.
    NotRead,
}

/// A line php-fpm would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub lines: Vec<Line>,
    pub errors: Vec<SyntaxError>,
}

impl Value {
    /// The value php-fpm sees, given the environment; `None` when it reads a variable whose value is unknown.
    pub fn resolve(
        &self,
        env: Option<&crate::phpfpm::Env>,
        defaults: EnvDefaults,
    ) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Env { name, fallback, .. } => {
                    let (name, default) = match (fallback, defaults) {
                        (Some(f), EnvDefaults::Read) => (&f.name, Some(&f.value)),
                        (Some(_), EnvDefaults::Unknown) => return None,
                        _ => (name, None),
                    };
                    match env.map(|e| e.get(name)) {
                        Some(Some(v)) if v == crate::phpfpm::UNKNOWN_VALUE => return None,
                        Some(Some(v)) => out.push_str(v),
                        Some(None) => match default {
                            Some(Some(d)) => out.push_str(d),
                            Some(None) => return None,
                            None => {}
                        },
                        None => return None,
                    }
                }
            }
        }
        Some(out)
    }

    /// Every `${…}`: the name php-fpm before PHP 8.3 reads, its place, and whether it has a `:-` default.
    pub fn env_refs(&self) -> impl Iterator<Item = (&str, Span, bool)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Env {
                name,
                span,
                fallback,
            } => Some((name.as_str(), *span, fallback.is_some())),
            Part::Text(_) => None,
        })
    }
}

pub fn parse(file: FileId, text: &str) -> Parsed {
    let mut out = Parsed::default();
    // A UTF-8 byte order mark is skipped (`php-fpm8.2 -tt` reads `\u{feff}[www]` as `[www]`); spans stay
    // offsets into the text as given.
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let bytes = text.as_bytes();
    while start <= text.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(text.len(), |i| start + i);
        let mut line_end = end;
        if line_end > start && bytes[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        parse_line(file, text, start, line_end, &mut out);
        if end == text.len() {
            break;
        }
        start = end + 1;
    }
    out
}

/// The `${…}` at `i` (before `end`): the part and the offset after its `}`. A `:-` default may hold nested
/// `${…}` (PHP 8.3's scanner pushes a state per `${`), so its `}` is the one that balances.
fn env_ref(file: FileId, text: &str, i: usize, end: usize) -> Option<(Part, usize)> {
    let first = i + text[i..end].find('}')?;
    let inner = &text[i + 2..first];
    let Some(sep) = inner.find(":-") else {
        return Some((
            Part::Env {
                name: inner.to_string(),
                span: Span::new(file, i, first + 1),
                fallback: None,
            },
            first + 1,
        ));
    };
    let start = i + 2 + sep + 2;
    let b = text.as_bytes();
    let (mut j, mut depth) = (start, 0usize);
    let close = loop {
        if j >= end {
            return None;
        }
        match b[j] {
            b'$' if j + 1 < end && b[j + 1] == b'{' => {
                depth += 1;
                j += 2;
                continue;
            }
            b'}' if depth == 0 => break j,
            b'}' => depth -= 1,
            _ => {}
        }
        j += 1;
    };
    let default = &text[start..close];
    let name = inner[..sep].trim_matches([' ', '\t']).to_string();
    let is_word = default
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && default
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let value = if default.contains(['$', '"', '\'', '\\', ';']) {
        None
    } else if is_word {
        // A bare word is looked up as a constant (`zend_ini_get_constant`): `true` reads `1`, `false` and
        // `null` read empty; another name with a capital may be one (`E_ALL`).
        match default.to_ascii_lowercase().as_str() {
            "true" => Some("1".to_string()),
            "false" | "null" => Some(String::new()),
            _ if default.chars().any(|c| c.is_ascii_uppercase()) => None,
            _ => Some(default.to_string()),
        }
    } else {
        Some(default.to_string())
    };
    Some((
        Part::Env {
            name: text[i + 2..close].to_string(),
            span: Span::new(file, i, close + 1),
            fallback: (!name.is_empty()).then_some(Fallback { name, value }),
        },
        close + 1,
    ))
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn parse_line(file: FileId, text: &str, start: usize, end: usize, out: &mut Parsed) {
    let b = text.as_bytes();
    let span = |s: usize, e: usize| Span::new(file, s, e);
    let mut i = start;
    while i < end && is_blank(b[i]) {
        i += 1;
    }
    if i == end || b[i] == b';' {
        return;
    }
    let err = |out: &mut Parsed, s: usize, e: usize, msg: String, help: Option<&str>| {
        out.errors.push(SyntaxError {
            span: span(s, e),
            message: msg,
            help: help.map(str::to_string),
        });
    };
    if b[i] == b'[' {
        let open = i;
        let Some(close) = text[i + 1..end].find(']').map(|c| i + 1 + c) else {
            err(
                out,
                open,
                end,
                "section header has no closing `]`".into(),
                Some("write the pool name as `[name]`"),
            );
            return;
        };
        let name = &text[open + 1..close];
        if name.contains(';') || name.contains('"') || name.contains('\'') {
            err(
                out,
                open,
                close + 1,
                "malformed section header".into(),
                Some("write the pool name as `[name]`"),
            );
            return;
        }
        let mut j = close + 1;
        while j < end && is_blank(b[j]) {
            j += 1;
        }
        if j < end && b[j] != b';' {
            err(
                out,
                j,
                end,
                "unexpected text after the section header".into(),
                Some("put a section header on a line of its own; comments start with `;`"),
            );
            return;
        }
        out.lines.push(Line {
            span: span(start, end),
            kind: LineKind::Section {
                name: name.to_string(),
                name_span: span(open + 1, close),
            },
        });
        return;
    }

    // The key: Zend's LABEL characters.
    let key_start = i;
    while i < end && !b"=;&|^$~(){}!\"[]\t".contains(&b[i]) {
        i += 1;
    }
    let mut key_end = i;
    while key_end > key_start && b[key_end - 1] == b' ' {
        key_end -= 1;
    }
    let key = &text[key_start..key_end];
    while i < end && is_blank(b[i]) {
        i += 1;
    }
    let mut index = None;
    if key.is_empty() {
        let at = i.min(end);
        let c = text[at..end]
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default();
        err(
            out,
            at,
            (at + c.len()).min(end),
            format!("unexpected `{c}` where a key was expected"),
            Some("a line is `key = value`, `[section]` or a `;` comment"),
        );
        return;
    }
    if i < end && b[i] == b'[' {
        let open = i;
        let Some(close) = text[i + 1..end].find(']').map(|c| i + 1 + c) else {
            err(out, open, end, "array key has no closing `]`".into(), None);
            return;
        };
        index = Some((text[open + 1..close].to_string(), span(open + 1, close)));
        i = close + 1;
        while i < end && is_blank(b[i]) {
            i += 1;
        }
    }
    if i == end || b[i] == b';' {
        let (msg, help) = if key.starts_with('#') {
            (
                "php-fpm does not read `#` as a comment: this line is a key without a value"
                    .to_string(),
                "start comments with `;`",
            )
        } else {
            (
                format!("`{key}` has no `= value`"),
                "write `key = value`; comments start with `;`",
            )
        };
        err(
            out,
            key_start,
            key_end.max(key_start + 1).min(end),
            msg,
            Some(help),
        );
        return;
    }
    if b[i] != b'=' {
        let c = text[i..end].chars().next().unwrap_or(' ');
        err(
            out,
            i,
            i + c.len_utf8(),
            format!(
                "unexpected `{c}` in key `{}`",
                &text[key_start..i].trim_end()
            ),
            Some("a line is `key = value`, `[section]` or a `;` comment"),
        );
        return;
    }
    i += 1;
    while i < end && is_blank(b[i]) {
        i += 1;
    }
    let value_start = i;
    let mut parts = Vec::new();
    let mut expression = false;
    let mut value_end = i;
    let mut run = String::new();
    let mut run_start: Option<usize> = None;
    let flush = |run: &mut String, parts: &mut Vec<Part>| {
        let t = run.trim_matches([' ', '\t']);
        if !t.is_empty() {
            parts.push(Part::Text(t.to_string()));
        }
        run.clear();
    };
    while i < end {
        let c = b[i];
        match c {
            b';' => break,
            b'"' => {
                flush(&mut run, &mut parts);
                run_start = None;
                let open = i;
                i += 1;
                let mut s = String::new();
                let mut closed = false;
                while i < end {
                    match b[i] {
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\\' if i + 1 < end && (b[i + 1] == b'"' || b[i + 1] == b'\\') => {
                            s.push(b[i + 1] as char);
                            i += 2;
                        }
                        b'$' if i + 1 < end && b[i + 1] == b'{' => {
                            let Some((part, next)) = env_ref(file, text, i, end) else {
                                err(out, i, end, "`${` has no closing `}`".into(), None);
                                return;
                            };
                            if !s.is_empty() {
                                parts.push(Part::Text(std::mem::take(&mut s)));
                            }
                            parts.push(part);
                            i = next;
                        }
                        _ => {
                            let ch = text[i..end].chars().next().unwrap_or(' ');
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if !closed {
                    err(
                        out,
                        open,
                        end,
                        "unterminated double-quoted string".into(),
                        Some("close the string with `\"` on the same line"),
                    );
                    return;
                }
                if !s.is_empty() {
                    parts.push(Part::Text(s));
                }
                i += 1;
                value_end = i;
            }
            b'\'' => {
                flush(&mut run, &mut parts);
                run_start = None;
                let open = i + 1;
                match text[open..end].find('\'') {
                    Some(c) => {
                        let s = &text[open..open + c];
                        if !s.is_empty() {
                            parts.push(Part::Text(s.to_string()));
                        }
                        i = open + c + 1;
                        value_end = i;
                    }
                    None => {
                        // Measured: the scanner drops an unterminated single-quoted tail (`it's` reads `it`).
                        value_end = end;
                        i = end;
                    }
                }
            }
            b'$' if i + 1 < end && b[i + 1] == b'{' => {
                flush(&mut run, &mut parts);
                run_start = None;
                let Some((part, next)) = env_ref(file, text, i, end) else {
                    err(out, i, end, "`${` has no closing `}`".into(), None);
                    return;
                };
                parts.push(part);
                i = next;
                value_end = i;
            }
            b'=' => {
                err(
                    out,
                    i,
                    i + 1,
                    "unexpected `=` in a value".into(),
                    Some("quote the value: `key = \"a=b\"`"),
                );
                return;
            }
            _ => {
                if b"&|^~!()".contains(&c) {
                    expression = true;
                }
                if run_start.is_none() {
                    run_start = Some(i);
                }
                let ch = text[i..end].chars().next().unwrap_or(' ');
                run.push(ch);
                i += ch.len_utf8();
                if !is_blank(c) {
                    value_end = i;
                }
            }
        }
    }
    flush(&mut run, &mut parts);
    // A lone bare word may be one of the INI keywords.
    if let [Part::Text(t)] = parts.as_slice() {
        let unquoted = !matches!(b.get(value_start), Some(b'"') | Some(b'\''));
        if unquoted {
            match t.to_ascii_lowercase().as_str() {
                "yes" | "on" | "true" => parts = vec![Part::Text("1".into())],
                "no" | "off" | "false" | "none" | "null" => parts = vec![],
                _ => {}
            }
        }
    }
    let value_end = value_end.max(value_start);
    out.lines.push(Line {
        span: span(start, end),
        kind: LineKind::Entry(Entry {
            key: key.to_string(),
            key_span: span(key_start, key_end),
            index,
            value: Value {
                raw: text[value_start..value_end].to_string(),
                parts,
                expression,
            },
            value_span: span(value_start, value_end),
        }),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(line: &str) -> Option<String> {
        value_as(line, EnvDefaults::NotRead)
    }

    fn value_as(line: &str, defaults: EnvDefaults) -> Option<String> {
        let p = parse(FileId(0), line);
        assert!(p.errors.is_empty(), "{line}: {:?}", p.errors);
        match &p.lines[0].kind {
            LineKind::Entry(e) => e.value.resolve(
                Some(&crate::phpfpm::Env::from([
                    ("HOME".to_string(), "/home/h".to_string()),
                    ("EMPTY".to_string(), String::new()),
                    (
                        "HOSTNAME".to_string(),
                        crate::phpfpm::UNKNOWN_VALUE.to_string(),
                    ),
                ])),
                defaults,
            ),
            _ => panic!(),
        }
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let text = "\u{feff}[www]\nlisten = 9000\n";
        let p = parse(FileId(0), text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        match &p.lines[0].kind {
            LineKind::Section { name, name_span } => {
                assert_eq!(name, "www");
                assert_eq!(
                    &text[name_span.start as usize..name_span.end as usize],
                    "www"
                );
            }
            _ => panic!(),
        }
        let p = parse(FileId(0), "\u{feff}pm = static");
        assert!(p.errors.is_empty());
        assert!(matches!(&p.lines[0].kind, LineKind::Entry(e) if e.key == "pm"));
    }

    fn error(line: &str) -> String {
        let p = parse(FileId(0), line);
        p.errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    // Each expectation was measured with `php-fpm8.2 -tt` (see grammar/phpfpm/README.md).
    #[test]
    fn values_as_php_fpm_reads_them() {
        assert_eq!(value("listen = a ; c").unwrap(), "a");
        // Set, value unknown: the value is unknown, not empty.
        assert_eq!(value("listen = ${HOSTNAME}:9000"), None);
        assert_eq!(value("listen = ${UNSET}9000").unwrap(), "9000");
        assert_eq!(value("listen = a # c").unwrap(), "a # c");
        assert_eq!(value("listen = ${HOME}/x").unwrap(), "/home/h/x");
        assert_eq!(value(r#"listen = "a\"b""#).unwrap(), "a\"b");
        assert_eq!(value(r#"listen = "a\\b""#).unwrap(), "a\\b");
        assert_eq!(value(r#"listen = "a\nb""#).unwrap(), "a\\nb");
        assert_eq!(value("listen = on").unwrap(), "1");
        assert_eq!(value("listen = None").unwrap(), "");
        assert_eq!(value(r#"listen = 'a' "b" c"#).unwrap(), "abc");
        assert_eq!(value("listen = a b  c ").unwrap(), "a b  c");
        assert_eq!(value("listen\t=\t[::]:9000\t").unwrap(), "[::]:9000");
        assert_eq!(value(r#"listen = "${NOPE}x""#).unwrap(), "x");
        assert_eq!(value("listen = it's").unwrap(), "it");
        assert_eq!(
            value("listen = /run/$pool.sock").unwrap(),
            "/run/$pool.sock"
        );
        assert_eq!(value("listen = \"yes\"").unwrap(), "yes");
    }

    /// PHP 8.3's `zend_ini_get_var`: the default only when the variable is not set; before 8.3 the whole
    /// `VAR:-default` is a name that is never set (measured with `php-fpm8.2 -tt`: an empty value).
    #[test]
    fn defaults_by_php_version() {
        let read = |l: &str| value_as(l, EnvDefaults::Read);
        assert_eq!(read("listen = ${PORT:-9000}").unwrap(), "9000");
        assert_eq!(read("listen = ${HOME:-/x}/s").unwrap(), "/home/h/s");
        assert_eq!(read("listen = ${EMPTY:-9000}").unwrap(), "");
        assert_eq!(read("listen = ${ PORT :-9000}").unwrap(), "9000");
        assert_eq!(read("listen = ${PORT:-}").unwrap(), "");
        assert_eq!(
            read("listen = \"${PORT:-127.0.0.1:9000}\"").unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(read("listen = ${PORT:-true}").unwrap(), "1");
        assert_eq!(read("user = ${U:-www-data}").unwrap(), "www-data");
        assert_eq!(read("user = ${U:-nobody}").unwrap(), "nobody");
        assert_eq!(read("listen = ${HOSTNAME:-9000}"), None);
        assert_eq!(read("listen = ${A:-${HOME}}"), None);
        assert_eq!(read("x = ${A:-E_ALL}"), None);
        assert_eq!(read("listen = ${A-9000}").unwrap(), "");
        assert_eq!(
            value_as("listen = ${PORT:-9000}", EnvDefaults::Unknown),
            None
        );
        assert_eq!(
            value_as("listen = ${PORT}9000", EnvDefaults::Unknown).unwrap(),
            "9000"
        );
        assert_eq!(value("listen = ${PORT:-9000}").unwrap(), "");
        assert_eq!(value("listen = ${HOME:-9000}").unwrap(), "");
        let p = parse(FileId(0), "listen = ${A:-${B}}x");
        assert!(p.errors.is_empty());
        match &p.lines[0].kind {
            LineKind::Entry(e) => {
                let refs: Vec<_> = e.value.env_refs().collect();
                assert_eq!(refs.len(), 1);
                assert_eq!(refs[0].0, "A:-${B}");
                assert!(refs[0].2);
                assert_eq!(refs[0].1.end, "listen = ${A:-${B}}".len() as u32);
            }
            _ => panic!(),
        }
    }

    #[test]
    fn lines_php_fpm_rejects() {
        assert!(error("# comment").contains("`#`"));
        assert!(error("listen = a=b").contains("`=`"));
        assert!(error("listen = \"open").contains("unterminated"));
        assert!(error("[www").contains("`]`"));
        assert!(error("listen").contains("no `= value`"));
        assert!(error("listen = ${HOME").contains("`}`"));
        assert!(error("=x").contains("key"));
        assert!(error("env[A]").contains("no `= value`"));
        assert_eq!(error("[www] ; ok"), "");
    }

    #[test]
    fn spans_point_at_key_and_value() {
        let text = "[www]\r\n  listen = 127.0.0.1:9000 ; c\n";
        let p = parse(FileId(0), text);
        let LineKind::Entry(e) = &p.lines[1].kind else {
            panic!()
        };
        assert_eq!(&text[e.key_span.range()], "listen");
        assert_eq!(&text[e.value_span.range()], "127.0.0.1:9000");
        let LineKind::Section { name_span, .. } = &p.lines[0].kind else {
            panic!()
        };
        assert_eq!(&text[name_span.range()], "www");
    }
}
