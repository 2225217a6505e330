//! YAML → a tree where every key and value keeps its byte span, scalar style and tag.
//!
//! Why `granit-parser` events and not `serde-saphyr`: compose files are linted as an untyped tree (schema
//! validation, interpolation, merging of several files, rules that ask "was this scalar quoted?"). The event
//! stream gives exactly that: byte spans of every scalar and collection, the scalar style, tags such as
//! `!reset`/`!override`, anchors and alias sites, and comments. Deserializing through serde would hide the
//! style and give only zero-length points for collections. We resolve aliases and merge keys (`<<: *x`,
//! `<<: [*a, *b]`) ourselves, the way go-yaml v3 (what Docker Compose v2 uses) does: explicit keys win over
//! merged ones, and earlier maps in a merge list win over later ones. Duplicate explicit keys are an error,
//! as in go-yaml v3. An explicit key tagged `!reset` is the exception: compose removes it before the merge
//! key is resolved, so the merged value shows through (`docker compose config` v2.40.3).
//!
//! Plain scalars resolve by YAML 1.2 core-schema rules as go-yaml v3 applies them: `yes`/`on` stay strings,
//! `true`/`false` are booleans, `0644` is the octal integer 420 (go-yaml v3 keeps 1.1 octals), `_` in
//! numbers is ignored.

use crate::source::{FileId, Span};
use granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl Style {
    pub fn is_quoted(self) -> bool {
        !matches!(self, Style::Plain)
    }
}

#[derive(Clone, Debug)]
pub struct Scalar {
    /// The value after YAML escape processing (and, once interpolated, after interpolation).
    pub text: String,
    pub style: Style,
    /// Set when the text went through interpolation.
    pub interpolated: bool,
    /// The text as written, when interpolation changed it.
    pub original: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Key,
    pub value: Node,
}

/// A mapping key (compose keys are always scalars).
#[derive(Clone, Debug)]
pub struct Key {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    /// Scalars: the scalar as written (with quotes). Collections: from their first to their last byte
    /// (block collections start at their first entry).
    pub span: Span,
    /// A local tag as written, e.g. `!reset`, `!override`; core tags (`!!str`) are kept as `!!str`.
    pub tag: Option<String>,
}

/// What a scalar means, resolved like go-yaml v3.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

impl Node {
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text if it is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if self.resolved() != Resolved::Null => Some(&s.text),
            _ => None,
        }
    }

    /// The boolean compose reads from a field of boolean type: a YAML bool, or a string it casts as
    /// compose-go's `toBoolean` does (`y`, `yes`, `true`, `on`, `n`, `no`, `false`, `off`, in any case;
    /// `external: "false"` is false). `None` for anything else (compose rejects it).
    pub fn compose_bool(&self) -> Option<bool> {
        let text = self.as_str()?;
        match text.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => Some(true),
            "n" | "no" | "false" | "off" => Some(false),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key.text == key)
            .map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key.text == key)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolved(), Resolved::Null) && matches!(self.value, Value::Scalar(_))
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
    }

    /// How go-yaml v3 reads the scalar (collections resolve as `Str`; check the value first).
    pub fn resolved(&self) -> Resolved {
        let Value::Scalar(s) = &self.value else {
            return Resolved::Str;
        };
        match self.tag.as_deref() {
            Some("!!str") => return Resolved::Str,
            Some("!!null") => return Resolved::Null,
            _ => {}
        }
        if s.style != Style::Plain || s.interpolated {
            return Resolved::Str;
        }
        resolve_plain(&s.text)
    }

    /// A name for the node's JSON type, as a schema sees it.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "object",
            Value::Seq(_) => "array",
            Value::Scalar(_) => match self.resolved() {
                Resolved::Null => "null",
                Resolved::Bool(_) => "boolean",
                Resolved::Int(_) => "integer",
                Resolved::Float(_) => "number",
                Resolved::Str => "string",
            },
        }
    }

    /// The span a finding about this node should point at: scalars at themselves, collections at their
    /// start (a whole block would underline half the file).
    pub fn head_span(&self) -> Span {
        match self.value {
            Value::Scalar(_) => self.span,
            _ => Span::new(
                self.span.file,
                self.span.start as usize,
                (self.span.start as usize + 1).min(self.span.end as usize),
            ),
        }
    }
}

/// YAML 1.2 core schema as go-yaml v3 resolves plain scalars.
pub fn resolve_plain(t: &str) -> Resolved {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = t.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Resolved::Str;
    }
    let plain: String = t.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Resolved::Int(i);
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b`, or a leading `0` for octal.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(body, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// go-yaml's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == f {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// A comment in the file (kept for suppression comments).
#[derive(Clone, Debug)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
    /// Another place the error refers to (the first definition of a duplicated key).
    pub related: Option<Span>,
}

#[derive(Debug, Default)]
pub struct Document {
    /// One root per YAML document in the stream (empty documents are skipped).
    pub roots: Vec<Node>,
    pub comments: Vec<Comment>,
}

/// Largest number of nodes alias expansion may produce ("billion laughs" guard).
const MAX_EXPANDED_NODES: usize = 2_000_000;

enum Frame {
    Seq {
        start: usize,
        tag: Option<String>,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        tag: Option<String>,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
}

/// Parses `text` (the content of `file`). On a syntax error returns the error; the partial tree is dropped.
pub fn parse(file: FileId, text: &str) -> Result<Document, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut doc = Document::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut expanded = 0usize;
    let span_of = |s: &granit_parser::Span| -> (usize, usize) {
        s.byte_range().map(|r| (r.start, r.end)).unwrap_or((0, 0))
    };
    let err_at = |at: usize, message: String| YamlError {
        message,
        span: Span::new(file, at, at),
        related: None,
    };

    while let Some(ev) = parser.next_event() {
        let (event, espan) = match ev {
            Ok(x) => x,
            Err(e) => {
                let at = e.marker().byte_offset().unwrap_or(0).min(text.len());
                return Err(err_at(at, e.kind().to_string()));
            }
        };
        let (s, e) = span_of(&espan);
        let node: Option<(Node, usize)> = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                    #[allow(unreachable_patterns)]
                    _ => Style::DoubleQuoted,
                };
                Some((
                    Node {
                        value: Value::Scalar(Scalar {
                            text: value.into_owned(),
                            style,
                            interpolated: false,
                            original: None,
                        }),
                        span: Span::new(file, s, e),
                        tag: tag.map(|t| tag_text(&t)),
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(_, anchor, tag) => {
                stack.push(Frame::Seq {
                    start: s,
                    tag: tag.map(|t| tag_text(&t)),
                    anchor,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(_, anchor, tag) => {
                stack.push(Frame::Map {
                    start: s,
                    tag: tag.map(|t| tag_text(&t)),
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    start,
                    tag,
                    anchor,
                    items,
                }) => {
                    let end = items
                        .last()
                        .map(|n| n.span.end as usize)
                        .unwrap_or(start)
                        .max(e.min(text.len()))
                        .max(start);
                    let end = if e > start { e.max(end) } else { end };
                    Some((
                        Node {
                            value: Value::Seq(items),
                            span: Span::new(file, start, end.max(start)),
                            tag,
                        },
                        anchor,
                    ))
                }
                _ => return Err(err_at(s, "unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    start,
                    tag,
                    anchor,
                    entries,
                    ..
                }) => {
                    let last_end = entries
                        .last()
                        .map(|(_, v)| v.span.end as usize)
                        .unwrap_or(start);
                    let end = last_end.max(if e > start { e } else { start });
                    let entries = build_map(entries)?;
                    Some((
                        Node {
                            value: Value::Map(entries),
                            span: Span::new(file, start, end.max(start)),
                            tag,
                        },
                        anchor,
                    ))
                }
                _ => return Err(err_at(s, "unbalanced mapping".into())),
            },
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return Err(err_at(s, "alias to an unknown anchor".into()));
                };
                expanded += count_nodes(target);
                if expanded > MAX_EXPANDED_NODES {
                    return Err(err_at(
                        s,
                        "aliases expand to too many nodes (a \"billion laughs\" document?)".into(),
                    ));
                }
                // The alias stands for the anchored node; its values keep the spans where they were
                // written (the anchor's definition). The alias site is kept as the collection's span so
                // that findings about "this merge" can point at it.
                let mut n = target.clone();
                if !matches!(n.value, Value::Scalar(_)) {
                    n.span = Span::new(file, s, e);
                }
                Some((n, 0))
            }
            #[allow(unreachable_patterns)]
            Event::Comment(t, _) => {
                doc.comments.push(Comment {
                    text: t.into_owned(),
                    span: Span::new(file, s, e),
                });
                None
            }
            Event::DocumentEnd | Event::DocumentStart(..) | Event::StreamStart => None,
            Event::StreamEnd => break,
            _ => None,
        };
        if let Some((node, anchor)) = node {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => doc.roots.push(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    doc.roots.retain(|r| !r.is_null());
    Ok(doc)
}

fn tag_text(t: &granit_parser::Tag) -> String {
    let (handle, suffix) = t.original_parts();
    format!("{handle}{suffix}")
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.value {
        Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| count_nodes(&e.value) + 1).sum(),
    }
}

/// Resolves merge keys and rejects duplicate and non-scalar keys.
fn build_map(raw: Vec<(Node, Node)>) -> Result<Vec<Entry>, YamlError> {
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.len());
    // Small mappings (most of them) find duplicates by a scan; large ones (services) by a hash index.
    let mut index: Option<HashMap<String, usize>> = None;
    let mut merges: Vec<Node> = Vec::new();
    let find = |entries: &[Entry], index: &Option<HashMap<String, usize>>, key: &str| match index {
        Some(ix) => ix.get(key).copied(),
        None => entries.iter().position(|e| e.key.text == key),
    };
    for (k, v) in raw {
        let span = k.span;
        let is_merge_key = k.tag.is_none();
        let text = match k.value {
            Value::Scalar(ks) => {
                if is_merge_key && ks.style == Style::Plain && ks.text == "<<" {
                    merges.push(v);
                    continue;
                }
                ks.text
            }
            _ => {
                return Err(YamlError {
                    message: "a mapping key must be a plain value, not a list or mapping".into(),
                    span: Span::new(span.file, span.start as usize, span.start as usize),
                    related: None,
                })
            }
        };
        if let Some(i) = find(&entries, &index, &text) {
            return Err(YamlError {
                message: format!("key \"{text}\" is defined twice in this mapping"),
                span,
                related: Some(entries[i].key.span),
            });
        }
        if let Some(ix) = &mut index {
            ix.insert(text.clone(), entries.len());
        } else if entries.len() >= 16 {
            let mut ix: HashMap<String, usize> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.text.clone(), i))
                .collect();
            ix.insert(text.clone(), entries.len());
            index = Some(ix);
        }
        entries.push(Entry {
            key: Key { text, span },
            value: v,
        });
    }
    for m in merges {
        let sources: Vec<&Node> = match &m.value {
            Value::Map(_) => vec![&m],
            Value::Seq(items) => items.iter().collect(),
            Value::Scalar(_) => {
                return Err(YamlError {
                    message: "a merge key `<<` needs a mapping or a list of mappings".into(),
                    span: m.span,
                    related: None,
                })
            }
        };
        for src in sources {
            let Value::Map(src_entries) = &src.value else {
                return Err(YamlError {
                    message: "a merge key `<<` needs a mapping or a list of mappings".into(),
                    span: src.head_span(),
                    related: None,
                });
            };
            for e in src_entries {
                match find(&entries, &index, &e.key.text) {
                    None => {
                        if let Some(ix) = &mut index {
                            ix.insert(e.key.text.clone(), entries.len());
                        }
                        entries.push(e.clone());
                    }
                    // Compose drops a `!reset` key before go-yaml resolves `<<`: the merged value shows
                    // through, and still replaces what earlier files (or `extends`) gave the key.
                    Some(i) if entries[i].value.has_tag("!reset") => {
                        let mut merged = e.clone();
                        // (A core tag such as `!!str` is kept: merging replaces scalars anyway.)
                        if merged.value.tag.is_none() {
                            merged.value.tag = Some("!override".into());
                        }
                        entries[i] = merged;
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Node {
        parse(FileId(0), t).unwrap().roots.remove(0)
    }

    #[test]
    fn spans_styles_and_resolution() {
        let src = "a: '5000:5000'\nb: 22:22\nc: yes\nd: 0644\ne: 1_000\n";
        let n = p(src);
        let a = n.get("a").unwrap();
        assert_eq!(&src[a.span.range()], "'5000:5000'");
        assert_eq!(a.as_scalar().unwrap().style, Style::SingleQuoted);
        assert_eq!(n.get("b").unwrap().resolved(), Resolved::Str);
        assert_eq!(n.get("c").unwrap().resolved(), Resolved::Str);
        assert_eq!(n.get("d").unwrap().resolved(), Resolved::Int(420));
        assert_eq!(n.get("e").unwrap().resolved(), Resolved::Int(1000));
        let key = &n.entry("b").unwrap().key;
        assert_eq!(&src[key.span.range()], "b");
    }

    #[test]
    fn merge_keys_explicit_wins_and_first_map_wins() {
        let src = "x: &x {p: 1, q: 1}\ny: &y {p: 2, r: 2}\nz:\n  q: 3\n  <<: [*x, *y]\n";
        let n = p(src);
        let z = n.get("z").unwrap();
        assert_eq!(z.get("q").unwrap().as_str(), Some("3"));
        assert_eq!(z.get("p").unwrap().as_str(), Some("1"));
        assert_eq!(z.get("r").unwrap().as_str(), Some("2"));
        // merged values keep the span of their definition
        let p_span = z.get("p").unwrap().span;
        assert_eq!(&src[p_span.range()], "1");
        assert_eq!(p_span.start, 10);
    }

    #[test]
    fn merge_key_shows_through_a_reset_key() {
        let src = "x: &x {p: [1], q: 1}\nz:\n  <<: *x\n  p: !reset []\n  q: !override 2\n  r: !reset []\n";
        let n = p(src);
        let z = n.get("z").unwrap();
        // The merged value, replacing whatever earlier files gave `p`.
        assert_eq!(z.get("p").unwrap().as_seq().unwrap().len(), 1);
        assert!(z.get("p").unwrap().has_tag("!override"));
        assert_eq!(z.get("q").unwrap().as_str(), Some("2"));
        assert!(z.get("r").unwrap().has_tag("!reset"));
    }

    #[test]
    fn duplicate_keys_and_syntax_errors() {
        let e = parse(FileId(0), "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("\"a\""));
        assert_eq!(e.span.start, 10);
        assert!(parse(FileId(0), "a: [1, 2\n").is_err());
    }

    #[test]
    fn tags_and_comments() {
        let d = parse(FileId(0), "a: !reset []\nb: !override [1] # keep\n").unwrap();
        let n = &d.roots[0];
        assert!(n.get("a").unwrap().has_tag("!reset"));
        assert!(n.get("b").unwrap().has_tag("!override"));
        assert_eq!(d.comments[0].text, " keep");
    }

    #[test]
    fn billion_laughs_is_an_error() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            s.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        assert!(parse(FileId(0), &s).is_err());
    }
}
