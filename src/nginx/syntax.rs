//! The nginx syntax tree of one file, and the parser that builds it from [`super::lexer`] tokens.
//!
//! The parser is a loop over tokens with an explicit stack of open blocks, not recursion, so nesting depth
//! cannot overflow the stack; blocks deeper than [`MAX_DEPTH`] are reported and skipped (the tree itself
//! is dropped and walked recursively, so it must stay shallow).

use super::lexer::{unescape, Lexer, Peek, Token, TokenKind};
use crate::source::{FileId, Span};
use std::fmt;
use std::ops::Deref;

/// Deepest block nesting kept in the tree. Real configurations nest well under 20 levels.
pub const MAX_DEPTH: usize = 200;

/// A word's value: a string that stores up to 22 bytes inline (most directive names and arguments), so a
/// large configuration does not cost one heap allocation per word. Derefs to `&str`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Inline { len: u8, buf: [u8; 22] },
    Heap(Box<str>),
}

impl Text {
    #[inline]
    pub fn new(s: &str) -> Text {
        let b = s.as_bytes();
        let len = b.len();
        if len <= 22 {
            // Two fixed-size copies that overlap cover any length in a size class, instead of a
            // variable-length `memcpy` call per word; the bytes past `len` stay zero (equality and
            // hashing compare the whole buffer).
            let mut buf = [0u8; 22];
            if len >= 16 {
                buf[..16].copy_from_slice(&b[..16]);
                buf[len - 16..len].copy_from_slice(&b[len - 16..]);
            } else if len >= 8 {
                buf[..8].copy_from_slice(&b[..8]);
                buf[len - 8..len].copy_from_slice(&b[len - 8..]);
            } else if len >= 4 {
                buf[..4].copy_from_slice(&b[..4]);
                buf[len - 4..len].copy_from_slice(&b[len - 4..]);
            } else if len >= 2 {
                // (`copy_from_slice` of a length below 4 was a `memcpy` call.)
                buf[..2].copy_from_slice(&b[..2]);
                buf[len - 2..len].copy_from_slice(&b[len - 2..]);
            } else if len == 1 {
                buf[0] = b[0];
            }
            Text(Repr::Inline {
                len: len as u8,
                buf,
            })
        } else {
            Text(Repr::Heap(s.into()))
        }
    }

    /// `Text::new(&text[start..end])`. A short text with 24 bytes of `text` from `start` is read as
    /// three eight-byte words with the bytes past `end` masked off: no branch on the length (the size
    /// classes of `new` cost ~30 instructions per word and mispredicted jumps).
    #[inline(always)]
    fn of_range(text: &str, start: usize, end: usize) -> Text {
        let s = &text[start..end];
        let len = s.len();
        let Some(chunk) = text.as_bytes().get(start..start + 24) else {
            return Text::new(s);
        };
        if len > 22 {
            return Text::new(s);
        }
        // For each length, the bytes of three words that belong to the text.
        static MASKS: [[u64; 3]; 23] = {
            let mut masks = [[0u64; 3]; 23];
            let mut len = 0;
            while len < 23 {
                let mut byte = 0;
                while byte < len {
                    masks[len][byte / 8] |= 0xff << (8 * (byte % 8));
                    byte += 1;
                }
                len += 1;
            }
            masks
        };
        let mask = &MASKS[len];
        let word = |k: usize| {
            u64::from_le_bytes(chunk[8 * k..8 * k + 8].try_into().expect("8 bytes")) & mask[k]
        };
        let mut buf = [0u8; 22];
        buf[..8].copy_from_slice(&word(0).to_le_bytes());
        buf[8..16].copy_from_slice(&word(1).to_le_bytes());
        buf[16..].copy_from_slice(&word(2).to_le_bytes()[..6]);
        Text(Repr::Inline {
            len: len as u8,
            buf,
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `buf[..len]` holds the bytes of a whole `&str` (`Text::new` copies them,
            // `Text::of_range` reads them where the `&str` lies and zeroes the rest) and nothing
            // else writes them, so they are valid UTF-8. (Checking again on every read showed up as
            // 9% of a run on a large configuration.)
            Repr::Inline { len, buf } => unsafe {
                std::str::from_utf8_unchecked(&buf[..*len as usize])
            },
            Repr::Heap(s) => s,
        }
    }
}

impl Text {
    /// A text of up to 22 bytes as three words (bytes 0–7, bytes 8–15, then bytes 16–21 and the length):
    /// equal keys mean equal texts, compared without a `memcmp` call. `None` for a longer text.
    #[inline]
    pub fn short_key(&self) -> Option<[u64; 3]> {
        match &self.0 {
            Repr::Inline { len, buf } => {
                let word =
                    |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
                // Bytes 14–21, shifted down to leave 16–21, with the length above them.
                Some([word(0), word(8), (word(14) >> 16) | (u64::from(*len) << 48)])
            }
            Repr::Heap(_) => None,
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

/// A directive name or argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word as written, quotes included.
    pub span: Span,
    /// The value nginx sees: quotes removed, escapes processed.
    pub text: Text,
    /// Written in single or double quotes.
    pub quoted: bool,
}

impl Word {
    /// Whether the value contains an nginx variable (`$name` or `${name}`).
    pub fn has_variables(&self) -> bool {
        let b = self.text.as_bytes();
        memchr::memchr_iter(b'$', b).any(|i| {
            matches!(b.get(i + 1), Some(&n) if n == b'{' || n == b'_' || n.is_ascii_alphanumeric())
        })
    }
}

/// A directive's arguments: one is stored inline in the directive (most directives have exactly one),
/// more go to the heap. Derefs to `[Word]`. (Two inline saved another 34,000 allocations on a 5 MB
/// configuration but made every directive 40 bytes larger: 1.5 MB more peak memory.)
pub type Args = smallvec::SmallVec<[Word; 1]>;

/// One directive: `name args… ;` or `name args… { … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: Word,
    pub args: Args,
    /// The `{ … }` body, boxed: most directives have none, and a large configuration keeps 100,000s
    /// of directives in memory (`&d.block` derefs to the `Block` for field access as usual).
    pub block: Option<Box<Block>>,
    /// From the start of the name to the end of the `;` or `}` (or of the last word when one is missing).
    pub span: Span,
}

impl Directive {
    /// The argument values as `&str`.
    pub fn arg_texts(&self) -> impl Iterator<Item = &str> + '_ {
        self.args.iter().map(|w| w.text.as_str())
    }
}

/// A `{ … }` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The `{`.
    pub open: Span,
    /// The `}`; `None` when the file ends first.
    pub close: Option<Span>,
    /// Directives inside. For a raw body this is empty; for a table body (`map`, `types`, … see
    /// [`Block::entries`]) it holds the table's lines in directive shape (`key value;`).
    pub directives: Vec<Directive>,
    /// The body is not nginx syntax (`content_by_lua_block { … }`): it was skipped as a whole.
    pub raw: bool,
    /// The body is a table whose lines are entries, not directives (`map`, `geo`, `types`,
    /// `split_clients`, `charset_map`, `match`, `geoip2`): no directive checks apply inside.
    /// [`super::Config::walk`] does not visit them.
    pub entries: bool,
}

/// A `# …` comment (kept for suppression comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
}

/// Something nginx would refuse while reading the file's syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: String,
    pub related: Option<(Span, String)>,
}

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFile {
    pub file: FileId,
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    /// The file is a template for another tool (`{{ … }}`, `{% … %}`, `#{…}`, `<% … %>`): not nginx
    /// syntax until rendered. Holds the marker found. (`${VAR}` for envsubst and `@@NAME@@`
    /// placeholders are plain nginx words and do not make a file a template.)
    pub template: Option<&'static str>,
    /// Every `include path;` in document order (in table bodies too, where nginx also reads them),
    /// noted while parsing so the loader need not walk the tree for them.
    pub includes: Vec<IncludeSite>,
}

/// One `include` directive: its span and its single argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeSite {
    pub directive: Span,
    pub path: Word,
}

/// The template syntax, if the `{` at `at` starts a placeholder of another tool rather than a block:
/// `{{ … }}` (Go, Jinja, Handlebars), `{% … %}` (Jinja, Liquid), `#{…}` (Ruby, Pug) or `{UPPER_CASE}`
/// (replaced by `sed` in entrypoint scripts).
fn template_marker(bytes: &[u8], at: usize) -> Option<&'static str> {
    if at > 0 && bytes[at - 1] == b'#' {
        return Some("#{");
    }
    match bytes.get(at + 1) {
        Some(b'{') => return Some("{{"),
        Some(b'%') => return Some("{%"),
        _ => {}
    }
    let rest = &bytes[at + 1..];
    let name_len = rest
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
        .count();
    (name_len > 0 && rest[0].is_ascii_uppercase() && rest.get(name_len) == Some(&b'}'))
        .then_some("{VAR}")
}

/// Whether a block directive's body is a table of entries rather than directives. `geoip2 FILE { … }`
/// (leev/ngx_http_geoip2_module) holds `$variable … ;` entries and `auto_reload`.
pub fn is_entries_block(name: &str) -> bool {
    matches!(
        name,
        "map" | "geo" | "types" | "split_clients" | "charset_map" | "match" | "geoip2"
    )
}

/// Whether a block directive's body is raw code (Lua) rather than nginx syntax.
pub fn is_raw_block(name: &str) -> bool {
    name.ends_with("_by_lua_block")
}

struct Frame {
    head: Option<(Word, Args)>,
    open: Span,
    /// Where this block's children start in the parser's shared `pending` vector.
    first_child: usize,
    entries: bool,
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    errors: Vec<SyntaxError>,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&mut self, start: usize, end: usize, message: String, help: &str) {
        self.errors.push(SyntaxError {
            span: Span::new(self.file, start, end),
            message,
            help: help.to_string(),
            related: None,
        });
    }

    #[inline(always)]
    fn word(&mut self, tok: Token) -> Word {
        let raw = &self.text[tok.start..tok.end];
        let (inner, quoted) = match tok.kind {
            TokenKind::Quoted { terminated } => {
                let end = if terminated { raw.len() - 1 } else { raw.len() };
                (&raw[1..end.max(1)], true)
            }
            _ => (raw, false),
        };
        Word {
            span: self.span(tok.start, tok.end),
            text: if tok.escaped {
                Text::new(&unescape(inner))
            } else {
                Text::new(inner)
            },
            quoted,
        }
    }
}

/// The words of the directive being read: its name, then its arguments. One vector reused for every
/// directive: a directive's [`Args`] is built once its length is known, so two or more arguments cost one
/// exactly sized allocation. (Pushing into the directive's own `Args` grew it 1 → 2 → 4 and shrank it
/// back: 13,500 `realloc` calls at ~500 instructions each on a 5 MB configuration.)
#[derive(Default)]
struct Words {
    buf: Vec<Word>,
}

impl Words {
    #[inline]
    fn push(&mut self, w: Word) {
        self.buf.push(w);
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn name(&self) -> Option<&Word> {
        self.buf.first()
    }

    fn last(&self) -> Option<&Word> {
        self.buf.last()
    }

    fn clear(&mut self) {
        self.buf.clear();
    }

    /// The name and arguments, leaving `self` empty. Only called with a name read.
    #[inline]
    fn take(&mut self) -> (Word, Args) {
        let args = match self.buf.len() {
            0 | 1 => Args::new(),
            2 => {
                let arg = self.buf.pop().expect("two words");
                Args::from_buf([arg])
            }
            // `split_off` moves the arguments into a vector of exactly their number.
            _ => Args::from_vec(self.buf.split_off(1)),
        };
        let name = self.buf.pop().expect("a directive has a name");
        (name, args)
    }
}

/// Builds a directive from the words collected so far, leaving `words` empty.
fn directive(words: &mut Words, block: Option<Box<Block>>, end: usize, file: FileId) -> Directive {
    let (name, args) = words.take();
    let start = name.span.start as usize;
    Directive {
        span: Span::new(file, start, end.max(start)),
        name,
        args,
        block,
    }
}

/// Files at least this large are parsed in two halves on two threads (see [`parse_split`]).
const PARALLEL_PARSE_BYTES: usize = 1 << 20;

/// Parses one file's text. Never fails: problems are returned in [`ParsedFile::errors`] and the tree holds
/// what could be recovered.
pub fn parse(file: FileId, text: &str) -> ParsedFile {
    if text.len() >= PARALLEL_PARSE_BYTES && crate::source::threads() >= 2 {
        // The first line start past the middle.
        if let Some(nl) = memchr::memchr(b'\n', &text.as_bytes()[text.len() / 2..]) {
            return parse_split(file, text, text.len() / 2 + nl + 1);
        }
    }
    let mut st = State::new(file, text, Markers::of(text.as_bytes()), false);
    st.step_to_end(&mut Lexer::new(text.as_bytes()));
    st.finish()
}

/// [`parse`] with the text from `at` on parsed on another thread, at the same time as the text before it.
///
/// The tail is parsed as a *fragment*: its `}` that close blocks opened before `at` are noted instead of
/// reported. When this thread's parse reaches `at` between two directives (not inside a quoted string,
/// a Lua block or a directive's words), outside any table block, and the fragment met no problem of
/// its own, the fragment is joined in: its top-level directives go into the open blocks, and its noted
/// `}` close them as they would have been closed here. Otherwise this thread parses on past `at` and
/// the fragment is dropped. Either way the result equals a parse on one thread (a property test checks
/// this at every line start of generated texts). A 5 MB configuration took 26 ms on one thread.
pub(crate) fn parse_split(file: FileId, text: &str, at: usize) -> ParsedFile {
    let bytes = text.as_bytes();
    std::thread::scope(|scope| {
        let tail = scope.spawn(move || {
            crate::heap::prepare_thread((text.len() - at) as u64);
            // Each half looks for template markers in the words it reads: no word spans `at`, a line
            // start.
            let mut st = State::new(file, text, Markers::of(&bytes[at..]), true);
            st.step_to_end(&mut Lexer::starting_at(bytes, at));
            st.into_fragment()
        });
        let mut st = State::new(file, text, Markers::of(&bytes[..at]), false);
        let mut lexer = Lexer::new(text.as_bytes());
        if let Some(before) = st.step_until(&mut lexer, at) {
            let tok = lexer.next().expect("a token at the split");
            let fragment = tail
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if let Some(fragment) = fragment.filter(|f| before <= at && st.can_join(f)) {
                st.join(fragment);
                return st.finish();
            }
            // This thread reads on: its words may now lie anywhere.
            st.markers = Markers::of(bytes);
            st.step(tok, &mut lexer);
            st.step_to_end(&mut lexer);
        }
        st.finish()
    })
}

/// What a fragment parse (the text from some offset to the end) found, when it met no problem.
struct Fragment {
    /// Top-level directives, in order.
    pending: Vec<Directive>,
    /// Each `}` that closed a block opened before the fragment: how many of `pending` came before it,
    /// and its span.
    closes: Vec<(usize, Span)>,
    /// The deepest the fragment's own blocks nest.
    depth: usize,
    comments: Vec<Comment>,
    includes: Vec<IncludeSite>,
}

/// Whether the text a parse reads holds `#{` or `<%` anywhere. Most files hold neither: one scan of the
/// text spares looking in every word.
#[derive(Clone, Copy)]
struct Markers {
    hash_brace: bool,
    template: bool,
}

impl Markers {
    fn of(bytes: &[u8]) -> Markers {
        // One pass for both (two `memmem` passes over the whole text took 2.9 M instructions on a 5 MB
        // configuration, before the second half's parse could start): each `#` or `<` looks at the
        // byte after it.
        let mut markers = Markers {
            hash_brace: false,
            template: false,
        };
        for at in memchr::memchr2_iter(b'#', b'<', bytes) {
            match (bytes[at], bytes.get(at + 1)) {
                (b'#', Some(b'{')) => {
                    markers.hash_brace = true;
                    markers.template = true;
                    break;
                }
                (b'<', Some(b'%')) => markers.template = true,
                _ => {}
            }
        }
        markers
    }
}

/// The parser's state between tokens.
struct State<'a> {
    p: Parser<'a>,
    bytes: &'a [u8],
    comments: Vec<Comment>,
    /// Open blocks, the file's top level first.
    stack: Vec<Frame>,
    /// The directive being read.
    words: Words,
    /// Directives of all open blocks, innermost last; a closing block takes its tail as an exactly sized
    /// vector (cheaper than one growing vector per open block).
    pending: Vec<Directive>,
    too_deep_reported: bool,
    template: Option<&'static str>,
    markers: Markers,
    includes: Vec<IncludeSite>,
    /// A fragment parse (see [`parse_split`]): `}` with no open block are noted here.
    closes: Option<Vec<(usize, Span)>>,
    depth: usize,
}

impl<'a> State<'a> {
    fn new(file: FileId, text: &'a str, markers: Markers, fragment: bool) -> State<'a> {
        let bytes = text.as_bytes();
        State {
            p: Parser {
                file,
                text,
                errors: Vec::new(),
            },
            bytes,
            comments: Vec::new(),
            stack: vec![Frame {
                head: None,
                open: Span::point(file, 0),
                first_child: 0,
                entries: false,
            }],
            words: Words::default(),
            pending: Vec::new(),
            too_deep_reported: false,
            template: None,
            markers,
            includes: Vec::new(),
            closes: fragment.then(Vec::new),
            depth: 1,
        }
    }

    /// Reads the rest of `lexer`'s tokens.
    fn step_to_end(&mut self, lexer: &mut Lexer<'_>) {
        self.step_until(lexer, usize::MAX);
    }

    /// Reads `lexer`'s tokens up to the first that starts at or after `at`, which is left unread: its
    /// spaces skipped, [`Iterator::next`] reads it. Returns the lexer's position before those spaces
    /// (`None` at the end of the text).
    ///
    /// The two commonest tokens, a plain word and the `;` that ends a directive (90% of the tokens of
    /// a large configuration), are read here; the rest go to [`State::step`], which reads any token.
    #[inline(always)]
    fn step_until(&mut self, lexer: &mut Lexer<'_>, at: usize) -> Option<usize> {
        loop {
            let before = lexer.pos();
            let next = lexer.peek_significant();
            if next == Peek::End {
                return None;
            }
            if lexer.pos() >= at {
                return Some(before);
            }
            match next {
                Peek::Word => self.read_word(lexer),
                // Never too long, and allowed right after a quote.
                Peek::Semicolon if !self.words.is_empty() => {
                    let tok = lexer.semicolon();
                    self.end_directive(tok);
                }
                _ => {
                    let tok = lexer.next().expect("a token");
                    self.step(tok, lexer);
                }
            }
        }
    }

    /// The word [`Lexer::peek_significant`] found.
    #[inline(always)]
    fn read_word(&mut self, lexer: &mut Lexer<'_>) {
        let tok = lexer.word();
        // What `step` does with a word that is not glued to a quote, not too long and in a file with no
        // `#{` or `<%` marker.
        if tok.end - tok.start < TOO_LONG_MIN && !self.markers.template && !tok.escaped {
            let p = &self.p;
            self.words.push(Word {
                span: p.span(tok.start, tok.end),
                text: Text::of_range(p.text, tok.start, tok.end),
                quoted: false,
            });
        } else {
            self.step_cold(tok.start, tok.end, tok.escaped, lexer);
        }
    }

    /// [`State::step`] for a word the loop does not read itself.
    #[inline(never)]
    #[cold]
    fn step_cold(&mut self, start: usize, end: usize, escaped: bool, lexer: &mut Lexer<'_>) {
        let tok = Token {
            kind: TokenKind::Word,
            start,
            end,
            glued: false,
            escaped,
        };
        self.step(tok, lexer);
    }

    /// The `;` that ends the directive in `words`.
    #[inline(never)]
    fn end_directive(&mut self, tok: Token) {
        let d = directive(&mut self.words, None, tok.end, self.p.file);
        if d.args.len() == 1 && d.name.text == "include" {
            self.includes.push(IncludeSite {
                directive: d.span,
                path: d.args[0].clone(),
            });
        }
        self.pending.push(d);
    }

    #[inline]
    fn step(&mut self, tok: Token, lexer: &mut Lexer<'_>) {
        let bytes = self.bytes;
        let file = self.p.file;
        let p = &mut self.p;
        let words = &mut self.words;
        let pending = &mut self.pending;
        let stack = &mut self.stack;
        if let Some(len) = too_long(bytes, tok) {
            let what = if tok.kind == TokenKind::Comment {
                "comment line"
            } else {
                "word"
            };
            p.error(
                tok.start,
                tok.end,
                format!("too long parameter: nginx reads at most 4095 bytes of one {what}, this one needs {len}"),
                "split the value, or move it into a file; a long comment must be split into several lines",
            );
        }
        if tok.violates_need_space(bytes) {
            let c = p.text[tok.start..].chars().next().unwrap_or(' ');
            p.error(
                tok.start,
                tok.start + c.len_utf8(),
                format!("unexpected \"{c}\" right after a quoted string"),
                "put a space after the closing quote, or move the text inside the quotes",
            );
        }
        match tok.kind {
            TokenKind::Space | TokenKind::Raw => {}
            TokenKind::Comment => self.comments.push(Comment {
                span: p.span(tok.start, tok.end),
            }),
            TokenKind::Word => {
                let raw = &bytes[tok.start..tok.end];
                if self.template.is_none() && self.markers.template {
                    if raw.starts_with(b"<%") {
                        self.template = Some("<%");
                    } else if self.markers.hash_brace && raw.windows(2).any(|w| w == b"#{") {
                        self.template = Some("#{");
                    }
                }
                let w = p.word(tok);
                words.push(w);
            }
            TokenKind::Quoted { terminated } => {
                if !terminated {
                    p.error(
                        tok.start,
                        tok.start + 1,
                        "unterminated quoted string: the file ends before the closing quote".into(),
                        "add the closing quote",
                    );
                }
                let w = p.word(tok);
                words.push(w);
            }
            TokenKind::Semicolon => {
                if words.is_empty() {
                    p.error(
                        tok.start,
                        tok.end,
                        "unexpected \";\" with no directive before it".into(),
                        "remove the extra `;`",
                    );
                } else {
                    self.end_directive(tok);
                }
            }
            TokenKind::OpenBrace => {
                if self.template.is_none() {
                    self.template = template_marker(bytes, tok.start);
                }
                let open = p.span(tok.start, tok.end);
                if words.is_empty() {
                    p.error(
                        tok.start,
                        tok.end,
                        "unexpected \"{\" with no directive before it".into(),
                        "name the block (`server {`, `location / {`) or remove the brace",
                    );
                }
                let name_is_raw = words.name().is_some_and(|w| is_raw_block(&w.text));
                if name_is_raw {
                    let (body, found) = lexer.lua_block_body();
                    let close = if found {
                        let c = lexer.next().expect("the closing brace");
                        Some(p.span(c.start, c.end))
                    } else {
                        p.errors.push(SyntaxError {
                            span: open,
                            message: format!(
                                "unexpected end of file: the `{}` block is never closed",
                                words.name().expect("a raw block's name").text
                            ),
                            help: "add the closing `}`".into(),
                            related: None,
                        });
                        None
                    };
                    let block = Block {
                        open,
                        close,
                        directives: Vec::new(),
                        raw: true,
                        entries: false,
                    };
                    let end = close.map_or(body.end, |c| c.end as usize);
                    let d = directive(words, Some(Box::new(block)), end, file);
                    pending.push(d);
                    return;
                }
                if stack.len() > MAX_DEPTH {
                    if !self.too_deep_reported {
                        self.too_deep_reported = true;
                        p.error(
                            tok.start,
                            tok.end,
                            format!("blocks nested deeper than {MAX_DEPTH} levels"),
                            "no real configuration nests this deep: look for a missing `}`",
                        );
                    }
                    words.clear();
                    skip_block(lexer);
                    return;
                }
                let parent_entries = stack.last().is_some_and(|f| f.entries);
                if parent_entries {
                    // nginx reads table bodies with a handler that refuses any block.
                    p.error(
                        tok.start,
                        tok.end,
                        "unexpected \"{\": the entries of `map`, `geo`, `types`, `split_clients` and similar blocks take no block".into(),
                        "end the entry with `;`, or close the table with `}` first",
                    );
                }
                let entries =
                    parent_entries || words.name().is_some_and(|w| is_entries_block(&w.text));
                let head = if words.is_empty() {
                    None
                } else {
                    Some(words.take())
                };
                stack.push(Frame {
                    head,
                    open,
                    first_child: pending.len(),
                    entries,
                });
                self.depth = self.depth.max(stack.len());
            }
            TokenKind::CloseBrace => {
                if !words.is_empty() {
                    let last = words.last().expect("non-empty").span;
                    p.errors.push(SyntaxError {
                        span: p.span(tok.start, tok.end),
                        message: format!(
                            "unexpected \"}}\": `{}` is not terminated by \";\"",
                            words.name().expect("non-empty").text
                        ),
                        help: "end the directive with `;`".into(),
                        related: Some((last, "`;` missing after this".into())),
                    });
                    let d = directive(words, None, last.end as usize, file);
                    pending.push(d);
                }
                if stack.len() == 1 {
                    if let Some(closes) = &mut self.closes {
                        // Closes a block opened before the fragment.
                        closes.push((pending.len(), p.span(tok.start, tok.end)));
                        return;
                    }
                    p.error(
                        tok.start,
                        tok.end,
                        "unexpected \"}\" with no open block".into(),
                        "remove it, or add the `{` it was meant to close",
                    );
                    return;
                }
                let frame = stack.pop().expect("len > 1");
                close_frame(
                    frame,
                    Some(p.span(tok.start, tok.end)),
                    tok.end,
                    file,
                    pending,
                );
            }
        }
    }

    /// A fragment parse's result, unless it met anything that depends on the text before it (an error,
    /// a template marker, a block left open at the end).
    fn into_fragment(self) -> Option<Fragment> {
        let clean = self.p.errors.is_empty()
            && self.template.is_none()
            && !self.too_deep_reported
            && self.words.is_empty()
            && self.stack.len() == 1;
        clean.then(|| Fragment {
            pending: self.pending,
            closes: self.closes.unwrap_or_default(),
            depth: self.depth,
            comments: self.comments,
            includes: self.includes,
        })
    }

    /// Whether `fragment` can be joined here: between directives, every `}` of it closes a block open
    /// here, no open block is a table, and the depth limit is not reached.
    fn can_join(&self, fragment: &Fragment) -> bool {
        self.words.is_empty()
            && !self.too_deep_reported
            && fragment.closes.len() < self.stack.len()
            && self.stack.iter().all(|f| !f.entries)
            && self.stack.len() + fragment.depth < MAX_DEPTH
    }

    fn join(&mut self, fragment: Fragment) {
        #[cfg(test)]
        tests::JOINED.with(|n| n.set(n.get() + 1));
        let file = self.p.file;
        let mut taken = 0;
        let mut directives = fragment.pending.into_iter();
        for (before, close) in fragment.closes {
            self.pending
                .extend(directives.by_ref().take(before - taken));
            taken = before;
            let frame = self.stack.pop().expect("checked by can_join");
            close_frame(
                frame,
                Some(close),
                close.end as usize,
                file,
                &mut self.pending,
            );
        }
        self.pending.extend(directives);
        self.comments.extend(fragment.comments);
        self.includes.extend(fragment.includes);
    }

    /// The end of the file: what is still open is reported and closed.
    fn finish(self) -> ParsedFile {
        let State {
            mut p,
            bytes,
            comments,
            mut stack,
            mut words,
            mut pending,
            template,
            includes,
            ..
        } = self;
        let file = p.file;
        let eof = bytes.len();
        // An unterminated quoted string ran to the end of the file: what it left open is no news.
        let quote_ate_rest = p
            .errors
            .iter()
            .any(|e| e.message.starts_with("unterminated"));
        if !words.is_empty() {
            let last = words.last().expect("non-empty").span;
            if !quote_ate_rest {
                p.errors.push(SyntaxError {
                    span: last,
                    message: format!(
                        "unexpected end of file: `{}` is not terminated by \";\"",
                        words.name().expect("non-empty").text
                    ),
                    help: "end the directive with `;`".into(),
                    related: None,
                });
            }
            let d = directive(&mut words, None, last.end as usize, file);
            pending.push(d);
        }
        if stack.len() > 1 && !quote_ate_rest {
            // Report the outermost unclosed block: that is where the missing `}` belongs at the latest.
            let outer = &stack[1];
            let name = outer
                .head
                .as_ref()
                .map_or(String::new(), |(n, _)| format!("`{}` ", n.text));
            p.errors.push(SyntaxError {
                span: outer.open,
                message: format!(
                    "unexpected end of file: the {name}block opened here is never closed"
                ),
                help: "add the missing `}`".into(),
                related: None,
            });
        }
        while stack.len() > 1 {
            let frame = stack.pop().expect("len > 1");
            close_frame(frame, None, eof, file, &mut pending);
        }
        // `pending` grew to hold the largest block's children; the file keeps only its top level (with
        // thousands of included files, the spare capacity would add up to megabytes).
        pending.shrink_to_fit();
        ParsedFile {
            file,
            directives: pending,
            comments,
            errors: p.errors,
            template,
            includes,
        }
    }
}

fn close_frame(
    frame: Frame,
    close: Option<Span>,
    end: usize,
    file: FileId,
    pending: &mut Vec<Directive>,
) {
    let Some((name, args)) = frame.head else {
        // `{` with no directive: keep what was inside at the parent's level so later checks still see it.
        return;
    };
    let block = Block {
        open: frame.open,
        close,
        directives: take_tail(pending, frame.first_child),
        raw: false,
        entries: frame.entries,
    };
    let start = name.span.start as usize;
    pending.push(Directive {
        span: Span::new(file, start, end.max(start)),
        name,
        args,
        block: Some(Box::new(block)),
    });
}

/// `pending[from..]` as an exactly sized vector, moved with one copy (`drain(..).collect()` moved the
/// directives one at a time: 470 instructions per block).
fn take_tail(pending: &mut Vec<Directive>, from: usize) -> Vec<Directive> {
    if from == 0 {
        // Not `split_off(0)`, which may hand over the whole buffer with its spare capacity.
        let mut all = Vec::with_capacity(pending.len());
        all.append(pending);
        all
    } else {
        pending.split_off(from)
    }
}

/// The shortest token [`too_long`] looks at.
const TOO_LONG_MIN: usize = 4096 - 2;

/// nginx reads a file through a 4,096-byte buffer and fails with `too long parameter` when one token
/// (with the separator right after it) fills it while more of the file follows. Returns the size
/// nginx needs for `tok` when that happens.
fn too_long(bytes: &[u8], tok: Token) -> Option<usize> {
    const BUFFER: usize = 4096;
    if tok.end - tok.start < TOO_LONG_MIN {
        return None;
    }
    let next = bytes.get(tok.end).copied();
    // Where nginx's token start is, and how many bytes it holds from there before starting anew.
    let (start, mut held) = match tok.kind {
        TokenKind::Word => (tok.start, tok.end - tok.start),
        TokenKind::Quoted { terminated: true } => (tok.start + 1, tok.end - tok.start - 1),
        TokenKind::Comment => (tok.start, tok.end - tok.start),
        _ => return None,
    };
    if tok.kind != TokenKind::Comment && next.is_some_and(super::lexer::is_space) {
        held += 1; // the space is read before the next token resets the start
    }
    (held >= BUFFER && start + BUFFER < bytes.len()).then_some(held)
}

/// Skips tokens up to and including the `}` matching an already consumed `{`.
fn skip_block(lexer: &mut Lexer<'_>) {
    let mut depth = 1usize;
    while let Some(tok) = lexer.next_significant() {
        match tok.kind {
            TokenKind::OpenBrace => depth += 1,
            TokenKind::CloseBrace => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Fragments joined on this thread (see `State::join`).
        pub(super) static JOINED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn p(s: &str) -> ParsedFile {
        parse(FileId(0), s)
    }

    /// Text built from pieces that matter to the parser's state: blocks of each kind (plain, table, Lua,
    /// unnamed), `}` too many or too few, quotes and comments across lines, templates, deep nesting.
    fn nginxish() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = proptest::sample::select(vec![
            "http {",
            "server {",
            "location / {",
            "map $a $b {",
            "types {",
            "upstream u {",
            "content_by_lua_block {",
            "x = \"}\" -- }\n",
            "{",
            "}",
            "}",
            "}",
            "listen 80;",
            "include conf.d/*.conf;",
            "a b c;",
            "a",
            ";",
            "# c { }",
            "\"q\nq\"",
            "'q;'",
            "\"open",
            "\\\"",
            "a\"b\"",
            "{{",
            "#{",
            "${V}",
            "{VAR}",
            "<%",
            "if ($x) {",
            "\r\n",
        ]);
        proptest::collection::vec(
            (
                pieces,
                proptest::sample::select(vec![" ", "\n", "\n  ", ""]),
            ),
            0..60,
        )
        .prop_map(|parts| {
            parts
                .into_iter()
                .map(|(p, sep)| [p, sep].concat())
                .collect()
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Parsing the text after any line start on another thread gives the same file as one parse,
        /// whether the halves are joined or the split is refused.
        #[test]
        fn split_parse_equals_one_parse(text in nginxish()) {
            let whole = p(&text);
            let joined = JOINED.with(|n| n.get());
            let line_starts = text.match_indices('\n').map(|(i, _)| i + 1);
            for at in std::iter::once(0).chain(line_starts) {
                proptest::prop_assert_eq!(&parse_split(FileId(0), &text, at), &whole, "split at {}", at);
            }
            // At least at the start (an empty prefix is between directives), a text with a token and
            // without problems is joined rather than parsed again.
            let has_token = text.bytes().any(|b| !super::super::lexer::is_space(b));
            if has_token && whole.errors.is_empty() && whole.template.is_none() {
                proptest::prop_assert!(JOINED.with(|n| n.get()) > joined);
            }
        }
    }

    #[test]
    fn split_parse_joins_blocks_open_at_the_split() {
        let text = "http {\n  server {\n    listen 80;\n  }\n  server {\n    location / {\n      proxy_pass http://a:1;\n    }\n  }\n}\n";
        let at = text.find("  server {\n    location").unwrap();
        let mut st = State::new(FileId(0), text, Markers::of(text.as_bytes()), true);
        st.step_to_end(&mut Lexer::starting_at(text.as_bytes(), at));
        // The tail closes `http`, opened before it, and has no problem of its own: it is joined.
        let fragment = st.into_fragment().expect("a clean fragment");
        assert_eq!(fragment.closes.len(), 1);
        let joined = JOINED.with(|n| n.get());
        assert_eq!(parse_split(FileId(0), text, at), p(text));
        assert_eq!(JOINED.with(|n| n.get()), joined + 1);
        // A tail that starts inside a quoted string reads `c` as a directive and an unterminated
        // string: not clean, so the text is parsed on one thread.
        let quoted = "a \"b\nc \";\n";
        let mut st = State::new(FileId(0), quoted, Markers::of(quoted.as_bytes()), true);
        st.step_to_end(&mut Lexer::starting_at(quoted.as_bytes(), 5));
        assert!(st.into_fragment().is_none());
        assert_eq!(parse_split(FileId(0), quoted, 5), p(quoted));
        assert_eq!(JOINED.with(|n| n.get()), joined + 1);
    }

    #[test]
    fn tree_with_spans() {
        let src = "http {\n  server { listen 80; # c\n  }\n}\n";
        let f = p(src);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let http = &f.directives[0];
        assert_eq!(http.name.text, "http");
        assert_eq!(
            &src[http.span.range()],
            "http {\n  server { listen 80; # c\n  }\n}"
        );
        let server = &http.block.as_ref().unwrap().directives[0];
        let listen = &server.block.as_ref().unwrap().directives[0];
        assert_eq!(&src[listen.span.range()], "listen 80;");
        assert_eq!(listen.args[0].text, "80");
        assert_eq!(&src[f.comments[0].span.range()], "# c");
    }

    #[test]
    fn quotes_and_escapes() {
        let f = p(r#"add_header X "a \"b\"\tc" 'd\'e';"#);
        let d = &f.directives[0];
        assert_eq!(d.args[1].text, "a \"b\"\tc");
        assert!(d.args[1].quoted);
        assert_eq!(d.args[2].text, "d'e");
    }

    #[test]
    fn too_long_tokens_like_nginx() {
        let word = |n: usize, after: &str| format!("a {}{after}\nb;", "x".repeat(n));
        assert!(p(&word(4095, ";")).errors.is_empty());
        assert_eq!(p(&word(4096, ";")).errors.len(), 1);
        assert!(p(&word(4094, " c;")).errors.is_empty());
        assert_eq!(p(&word(4095, " c;")).errors.len(), 1);
        let comment = |n: usize| format!("#{}\na 1;", "c".repeat(n));
        assert!(p(&comment(4094)).errors.is_empty());
        assert_eq!(p(&comment(4095)).errors.len(), 1);
        // When the file ends as the buffer fills, nginx reports the end of file instead.
        let at_eof = p(&format!("a {}", "x".repeat(4096)));
        assert_eq!(at_eof.errors.len(), 1);
        assert!(at_eof.errors[0]
            .message
            .starts_with("unexpected end of file"));
    }

    #[test]
    fn errors_like_nginx() {
        assert_eq!(p("a;;").errors.len(), 1);
        assert_eq!(p("a { b 1 }").errors.len(), 1);
        assert_eq!(p("a {").errors.len(), 1);
        assert_eq!(p("}").errors.len(), 1);
        assert_eq!(p("a \"b").errors.len(), 1);
        assert_eq!(p("a \"b\"c;").errors.len(), 1);
        assert_eq!(p("a b").errors.len(), 1);
        assert!(p("if ($a = \"b\") { return 200; }").errors.is_empty());
    }

    #[test]
    fn no_blocks_inside_table_bodies() {
        let f = p("map $a $b { default 0; x { } }");
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].message.contains("take no block"));
    }

    #[test]
    fn entries_and_raw_blocks() {
        let f = p("map $a $b { default 1; \"~x{2}\" y; }\ncontent_by_lua_block { if x then ngx.say('}') end }\nz 1;");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert!(f.directives[0].block.as_ref().unwrap().entries);
        let lua = f.directives[1].block.as_ref().unwrap();
        assert!(lua.raw && lua.directives.is_empty());
        assert_eq!(f.directives[2].name.text, "z");
    }

    #[test]
    fn deep_nesting_is_cut_not_overflowed() {
        let n = 100_000;
        let src = format!("{}{}", "a {".repeat(n), "}".repeat(n));
        let f = p(&src);
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].message.contains("nested deeper"));
    }

    #[test]
    fn templates_are_recognised() {
        assert_eq!(p("listen {{PORT}};").template, Some("{{"));
        assert_eq!(p("{% if x %}listen 80;{% endif %}").template, Some("{%"));
        assert_eq!(p("server_name a.#{DOMAIN};").template, Some("#{"));
        assert_eq!(p("server_tokens {EXPOSE_INFO};").template, Some("{VAR}"));
        assert_eq!(p("location / {A 1;}").template, None);
        assert_eq!(
            p("listen ${PORT}; root @@ROOT@@; location / {#c\n}").template,
            None
        );
    }

    #[test]
    fn text_of_every_short_length() {
        let long = "abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..=long.len() {
            let t = Text::new(&long[..n]);
            assert_eq!(t.as_str(), &long[..n]);
            assert_eq!(t, Text::from(&long[..n]));
        }
        // The bytes past the length are zero, so equal texts are equal values.
        let a = Text::new(&"xyzxyzxyzxyzxyzxyzxyz"[..9]);
        let b = Text::new("xyzxyzxyz");
        assert!(a == b);
    }

    #[test]
    fn text_of_range_equals_text_new() {
        // Every length, at the start, in the middle and at the end of a text (where fewer than 24
        // bytes follow), with multi-byte characters around.
        let text = "é-abcdefghijklmnopqrstuvwxyz0123456789-ü";
        for start in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            for end in (start..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let t = Text::of_range(text, start, end);
                assert_eq!(t, Text::new(&text[start..end]), "{start}..{end}");
                assert_eq!(t.as_str(), &text[start..end]);
            }
        }
    }

    #[test]
    fn short_keys_are_equal_exactly_for_equal_texts() {
        // Every length up to 22, texts that differ in one byte anywhere (also in the bytes the last word
        // reads twice), and texts that differ only in a trailing NUL.
        let base = "abcdefghijklmnopqrstuv";
        let mut texts = vec![String::new(), "a\0".to_string(), "a".to_string()];
        for n in 1..=base.len() {
            texts.push(base[..n].to_string());
            for at in 0..n {
                let mut changed = base.as_bytes()[..n].to_vec();
                changed[at] = b'Z';
                texts.push(String::from_utf8(changed).unwrap());
            }
        }
        let keys: Vec<_> = texts
            .iter()
            .map(|t| Text::new(t).short_key().expect("22 bytes or fewer"))
            .collect();
        for (i, a) in texts.iter().enumerate() {
            for (j, b) in texts.iter().enumerate() {
                assert_eq!(keys[i] == keys[j], a == b, "{a:?} {b:?}");
            }
        }
        assert_eq!(Text::new(&"x".repeat(23)).short_key(), None);
    }

    #[test]
    fn variables() {
        let f = p("a $x ${y}z \\$ 5$;");
        let a = &f.directives[0].args;
        assert!(a[0].has_variables() && a[1].has_variables());
        assert!(!a[3].has_variables());
    }
}
