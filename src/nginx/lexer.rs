//! The nginx tokenizer: a byte-for-byte model of nginx's `ngx_conf_read_token` (src/core/ngx_conf_file.c).
//!
//! Hand-written rather than built with `nom` (which the crate also depends on) because:
//! * speed: one pass over bytes with no backtracking and no per-token allocation (tokens are spans);
//! * exact byte spans for every token, including trivia (whitespace, comments), so the stream is lossless;
//! * error recovery: nginx stops at the first error, but a linter should report it and keep going, which is
//!   simplest to control in an explicit state machine;
//! * fidelity: nginx's rules are a state machine (`#` starts a comment only at a token start, `{` right after
//!   `$` stays in the word, a quote must be followed by a space, `;`, `{` or `)`), easiest to mirror as one.
//!
//! The stream is lossless: concatenating the text of every token gives back the input.

use crate::swar::{below, equal, first, load8, ONES};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Spaces, tabs, CR and LF (the only bytes nginx treats as separators).
    Space,
    /// `#` up to, not including, the end of the line.
    Comment,
    /// An unquoted word (a directive name or argument).
    Word,
    /// A `"…"` or `'…'` string, quotes included. `terminated` is false when the file ends inside it.
    Quoted {
        terminated: bool,
    },
    Semicolon,
    OpenBrace,
    CloseBrace,
    /// The body of a raw block (`content_by_lua_block { … }`), produced only on the parser's request.
    Raw,
}

/// One token: a kind and a byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// The token directly follows a closing quote with no space between. nginx accepts only `;`, `{`
    /// or a word starting with `)` there and reports `unexpected "x"` otherwise.
    pub glued: bool,
    /// A word or string containing a backslash (its value needs [`unescape`]).
    pub escaped: bool,
}

impl Token {
    /// Whether nginx rejects this token's position right after a closing quote.
    pub fn violates_need_space(&self, bytes: &[u8]) -> bool {
        self.glued
            && match self.kind {
                TokenKind::Semicolon | TokenKind::OpenBrace | TokenKind::Space => false,
                TokenKind::Word => bytes[self.start] != b')',
                _ => true,
            }
    }
}

#[inline]
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// What [`Lexer::peek_significant`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peek {
    /// The end of the text.
    End,
    /// An unquoted word, not right after a closing quote.
    Word,
    Semicolon,
    /// Any other token.
    Other,
}

/// A lossless token iterator over nginx configuration bytes.
#[derive(Clone)]
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    after_quote: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(bytes: &'a [u8]) -> Lexer<'a> {
        Lexer {
            bytes,
            pos: 0,
            after_quote: false,
        }
    }

    /// A lexer that starts at `pos`, which must be where a token may start (outside any quoted string,
    /// comment or Lua block).
    pub fn starting_at(bytes: &'a [u8], pos: usize) -> Lexer<'a> {
        Lexer {
            bytes,
            pos: pos.min(bytes.len()),
            after_quote: false,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Skips the body of a Lua block whose `{` was just consumed, up to (not including) the matching `}`,
    /// honouring Lua strings, long brackets and comments the way lua-nginx-module's block reader does.
    /// Returns the raw token, or `None` (with the position at the end) if the file ends first.
    pub fn lua_block_body(&mut self) -> (Token, bool) {
        let b = self.bytes;
        let start = self.pos;
        let mut i = self.pos;
        let mut depth = 0usize;
        let found = loop {
            if i >= b.len() {
                break false;
            }
            match b[i] {
                b'{' => {
                    depth += 1;
                    i += 1;
                }
                b'}' => {
                    if depth == 0 {
                        break true;
                    }
                    depth -= 1;
                    i += 1;
                }
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i = (i + 1).min(b.len());
                }
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    i += 2;
                    if let Some(end) = long_bracket(b, i) {
                        i = end;
                    } else {
                        while i < b.len() && b[i] != b'\n' {
                            i += 1;
                        }
                    }
                }
                b'[' => match long_bracket(b, i) {
                    Some(end) => i = end,
                    None => i += 1,
                },
                _ => i += 1,
            }
        };
        let end = i.min(b.len());
        self.pos = end;
        self.after_quote = false;
        (
            Token {
                kind: TokenKind::Raw,
                start,
                end,
                glued: false,
                escaped: false,
            },
            found,
        )
    }
}

/// If a Lua long bracket (`[[`, `[==[`) opens at `i`, the offset just past its closing bracket (or the end
/// of the input when it is unterminated).
fn long_bracket(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while b.get(j) == Some(&b'=') {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let mut k = j + 1;
    while k < b.len() {
        if b[k] == b']' {
            let mut m = k + 1;
            while m < b.len() && b[m] == b'=' {
                m += 1;
            }
            if m - k - 1 == level && b.get(m) == Some(&b']') {
                return Some(m + 1);
            }
        }
        k += 1;
    }
    Some(b.len())
}

/// Byte classes for the lexer's inner loops (one table lookup per byte instead of a chain of compares).
const SPACE: u8 = 1;
/// Bytes that end an unquoted word: the separators, `;` and `{` (which `$` or a kept `{` before it
/// keeps in the word).
const WORD_END: u8 = 2;
/// `\\`, which escapes the next byte of a word.
const BACKSLASH: u8 = 4;
/// Bytes that start a token other than a word: the separators, `;`, `{`, `}`, `#` and quotes.
const NOT_WORD: u8 = 8;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = SPACE | WORD_END | NOT_WORD;
    t[b'\t' as usize] = SPACE | WORD_END | NOT_WORD;
    t[b'\r' as usize] = SPACE | WORD_END | NOT_WORD;
    t[b'\n' as usize] = SPACE | WORD_END | NOT_WORD;
    t[b';' as usize] = WORD_END | NOT_WORD;
    t[b'{' as usize] = WORD_END | NOT_WORD;
    t[b'}' as usize] = NOT_WORD;
    t[b'#' as usize] = NOT_WORD;
    t[b'"' as usize] = NOT_WORD;
    t[b'\'' as usize] = NOT_WORD;
    t[b'\\' as usize] = BACKSLASH;
    t
};

/// The offset of the first byte at or after `i` that is not a space (or `b.len()`).
#[inline]
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    // Most tokens are followed by one space or none: one table lookup each. After a space, a run of
    // indentation is skipped eight `' '` at a time. (The eight-byte step for every call, including the
    // ones at a `;`, cost 43 instructions per token.)
    while i < b.len() && CLASS[b[i] as usize] & SPACE != 0 {
        i += 1;
        if b.get(i) == Some(&b' ') {
            while let Some(x) = load8(b, i) {
                let other = x ^ (ONES * u64::from(b' '));
                if other == 0 {
                    i += 8;
                } else {
                    // The lowest non-zero byte of `other` is the first byte that is not a space.
                    i += first(other);
                    break;
                }
            }
        }
    }
    i.min(b.len())
}

impl<'a> Lexer<'a> {
    /// The next token that is not [`TokenKind::Space`]. Same tokens as the iterator minus the
    /// whitespace ones, for a reader (the parser) that ignores whitespace: a space between a closing
    /// quote and the next token clears [`Token::glued`] exactly as the whitespace token would.
    #[inline]
    pub fn next_significant(&mut self) -> Option<Token> {
        let i = skip_spaces(self.bytes, self.pos);
        if i != self.pos {
            self.pos = i;
            self.after_quote = false;
        }
        self.next()
    }

    /// Skips the spaces before the next token and says what it is, for a reader (the parser) that
    /// reads the commonest tokens without a [`Token`] through memory: the token is then read with
    /// [`Lexer::word`], [`Lexer::semicolon`] or [`Iterator::next`] (which gives what
    /// [`Lexer::next_significant`] would have).
    #[inline(always)]
    pub fn peek_significant(&mut self) -> Peek {
        let i = skip_spaces(self.bytes, self.pos);
        if i != self.pos {
            self.pos = i;
            self.after_quote = false;
        }
        match self.bytes.get(i) {
            None => Peek::End,
            Some(b';') => Peek::Semicolon,
            Some(&c) if CLASS[c as usize] & NOT_WORD == 0 && !self.after_quote => Peek::Word,
            Some(_) => Peek::Other,
        }
    }

    /// The word [`Lexer::peek_significant`] found.
    #[inline(always)]
    pub fn word(&mut self) -> Token {
        let start = self.pos;
        let (end, escaped) = self.word_end(start);
        self.pos = end;
        Token {
            kind: TokenKind::Word,
            start,
            end,
            glued: false,
            escaped,
        }
    }

    /// The `;` [`Lexer::peek_significant`] found.
    #[inline(always)]
    pub fn semicolon(&mut self) -> Token {
        let start = self.pos;
        let glued = std::mem::take(&mut self.after_quote);
        self.pos = start + 1;
        Token {
            kind: TokenKind::Semicolon,
            start,
            end: start + 1,
            glued,
            escaped: false,
        }
    }

    /// The end of the unquoted word starting at `i`, and whether it holds a backslash.
    ///
    /// nginx's word state: `\\` escapes the next byte, `{` right after `$` (or after such a `{`) stays
    /// in the word, and only space, `;` and `{` end it (`}`, `#` and quotes inside a word are plain bytes).
    #[inline]
    fn word_end(&self, mut i: usize) -> (usize, bool) {
        let b = self.bytes;
        let mut escaped = false;
        // Where the bytes after the last escaped one start: a `{` there does not follow a `$`.
        let mut unescaped = i;
        let last8 = b.len().saturating_sub(7);
        loop {
            // Eight bytes at a time while none can end the word or needs a look: the lowest byte
            // below 0x21 (the separators and other control bytes), `;` or `{` (0x3b and 0x7b, equal
            // without bit 0x40), or `\\`. A `$` needs no look of its own: a `{` looks back for it.
            // `i < last8` is `load8`'s bounds check, once per text rather than per step.
            while i < last8 {
                let x = load8(b, i).expect("eight bytes left");
                let stop = below(x, 0x21) | equal(x & (ONES * 0xbf), b';') | equal(x, b'\\');
                if stop == 0 {
                    i += 8;
                } else {
                    i += first(stop);
                    break;
                }
            }
            while i < b.len() && CLASS[b[i] as usize] & (WORD_END | BACKSLASH) == 0 {
                i += 1;
            }
            if i >= b.len() {
                return (b.len(), escaped);
            }
            match b[i] {
                b'\\' => {
                    escaped = true;
                    i += 2;
                    unescaped = i;
                }
                // A `{` after `$`, or after a `{` kept that way (any `{` before this one in the word
                // was kept, or the word would have ended there).
                b'{' if i > unescaped && matches!(b[i - 1], b'$' | b'{') => i += 1,
                _ => return (i, escaped),
            }
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    // Inlined into the parser's loop, its one hot caller: the call and the returned token through
    // memory cost as much as scanning a short word.
    #[inline(always)]
    fn next(&mut self) -> Option<Token> {
        let b = self.bytes;
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        let glued = std::mem::take(&mut self.after_quote);
        let mut escaped = false;
        let i;
        let kind = match b[start] {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i = skip_spaces(b, start + 1);
                TokenKind::Space
            }
            b';' => {
                i = start + 1;
                TokenKind::Semicolon
            }
            b'{' => {
                i = start + 1;
                TokenKind::OpenBrace
            }
            b'}' => {
                i = start + 1;
                TokenKind::CloseBrace
            }
            b'#' => {
                i = match memchr::memchr(b'\n', &b[start..]) {
                    Some(n) => start + n,
                    None => b.len(),
                };
                TokenKind::Comment
            }
            q @ (b'"' | b'\'') => {
                // Inside quotes only `\\` (escapes the next byte) and the closing quote matter.
                let mut j = start + 1;
                let terminated = loop {
                    match memchr::memchr2(q, b'\\', &b[j..]) {
                        None => break false,
                        Some(n) if b[j + n] == q => {
                            j += n + 1;
                            break true;
                        }
                        Some(n) => {
                            escaped = true;
                            j += n + 2;
                            if j >= b.len() {
                                break false;
                            }
                        }
                    }
                };
                i = if terminated { j } else { b.len() };
                self.after_quote = terminated;
                TokenKind::Quoted { terminated }
            }
            _ => {
                (i, escaped) = self.word_end(start);
                TokenKind::Word
            }
        };
        self.pos = i;
        Some(Token {
            kind,
            start,
            end: i,
            glued,
            escaped,
        })
    }
}

/// The value nginx gives a word: quotes removed, `\"` `\'` `\\` `\t` `\r` `\n` unescaped, any other
/// backslash kept. `raw` is the token text without its quotes.
pub fn unescape(raw: &str) -> std::borrow::Cow<'_, str> {
    let b = raw.as_bytes();
    if memchr::memchr(b'\\', b).is_none() {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(&c @ (b'"' | b'\'' | b'\\')) => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'r') => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                Some(b'n') => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Only ASCII bytes were replaced, so the result is still UTF-8.
    std::borrow::Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(TokenKind, &str)> {
        Lexer::new(s.as_bytes())
            .filter(|t| t.kind != TokenKind::Space)
            .map(|t| (t.kind, &s[t.start..t.end]))
            .collect()
    }

    #[test]
    fn words_comments_and_braces_like_nginx() {
        use TokenKind::*;
        assert_eq!(
            kinds("return 200 a#b; # c\n"),
            vec![
                (Word, "return"),
                (Word, "200"),
                (Word, "a#b"),
                (Semicolon, ";"),
                (Comment, "# c")
            ]
        );
        // `{` ends a word, `}` does not; `${` stays in the word.
        assert_eq!(
            kinds("location ~ ^/x{2}$ {"),
            vec![
                (Word, "location"),
                (Word, "~"),
                (Word, "^/x"),
                (OpenBrace, "{"),
                (Word, "2}$"),
                (OpenBrace, "{")
            ]
        );
        assert_eq!(kinds("a${b}c;"), vec![(Word, "a${b}c"), (Semicolon, ";")]);
        assert_eq!(
            kinds(r#"x "a\"b" 'c'"#),
            vec![
                (Word, "x"),
                (Quoted { terminated: true }, r#""a\"b""#),
                (Quoted { terminated: true }, "'c'")
            ]
        );
        assert_eq!(kinds("a\\ b;"), vec![(Word, "a\\ b"), (Semicolon, ";")]);
        assert_eq!(
            kinds("\"abc"),
            vec![(Quoted { terminated: false }, "\"abc")]
        );
    }

    /// The tokenizer as first written (one byte at a time, one `match` per byte): the table-driven
    /// [`Lexer`] must produce exactly its tokens.
    fn reference_tokens(b: &[u8]) -> Vec<Token> {
        let mut out = Vec::new();
        let mut pos = 0;
        let mut after_quote = false;
        while pos < b.len() {
            let start = pos;
            let glued = std::mem::take(&mut after_quote);
            let mut escaped = false;
            let mut i = start;
            let kind = match b[i] {
                c if is_space(c) => {
                    while i < b.len() && is_space(b[i]) {
                        i += 1;
                    }
                    TokenKind::Space
                }
                b';' => {
                    i += 1;
                    TokenKind::Semicolon
                }
                b'{' => {
                    i += 1;
                    TokenKind::OpenBrace
                }
                b'}' => {
                    i += 1;
                    TokenKind::CloseBrace
                }
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    TokenKind::Comment
                }
                q @ (b'"' | b'\'') => {
                    i += 1;
                    let mut terminated = false;
                    while i < b.len() {
                        let c = b[i];
                        if c == b'\\' {
                            escaped = true;
                            i += 2;
                            continue;
                        }
                        i += 1;
                        if c == q {
                            terminated = true;
                            break;
                        }
                    }
                    i = i.min(b.len());
                    after_quote = terminated;
                    TokenKind::Quoted { terminated }
                }
                _ => {
                    let mut variable = false;
                    while i < b.len() {
                        let c = b[i];
                        match c {
                            b'\\' => {
                                escaped = true;
                                variable = false;
                                i += 2;
                                continue;
                            }
                            b'{' if variable => {
                                i += 1;
                                continue;
                            }
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' => break,
                            _ => {}
                        }
                        variable = c == b'$';
                        i += 1;
                    }
                    i = i.min(b.len());
                    TokenKind::Word
                }
            };
            pos = i;
            out.push(Token {
                kind,
                start,
                end: i,
                glued,
                escaped,
            });
        }
        out
    }

    fn tokenish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        // Single bytes (any, or one that matters to the lexer) and runs long enough for the
        // eight-byte scans: plain word bytes, indentation.
        proptest::collection::vec(
            prop_oneof![
                any::<u8>().prop_map(|b| vec![b]),
                proptest::sample::select(b" \t\r\n;{}\"'#$\\ax".to_vec()).prop_map(|b| vec![b]),
                "[a-z0-9./:_-]{1,24}".prop_map(String::into_bytes),
                "[ ]{1,20}".prop_map(String::into_bytes),
            ],
            0..120,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn same_tokens_as_the_reference(bytes in tokenish()) {
            let reference = reference_tokens(&bytes);
            let got: Vec<Token> = Lexer::new(&bytes).collect();
            proptest::prop_assert_eq!(&got, &reference);
            let significant: Vec<Token> = {
                let mut lx = Lexer::new(&bytes);
                std::iter::from_fn(|| lx.next_significant()).collect()
            };
            // Without whitespace tokens, a token after a space is not glued to a quote.
            let expected: Vec<Token> = reference
                .iter()
                .filter(|t| t.kind != TokenKind::Space)
                .copied()
                .collect();
            proptest::prop_assert_eq!(significant, expected);
        }
    }

    /// `{` stays in a word only right after an unescaped `$` or a `{` kept that way; the lexer finds
    /// that by looking back from the `{`.
    #[test]
    fn braces_after_dollar_like_the_reference() {
        for s in [
            "a${b}c;",
            "a${{b;",
            "a$x{b;",
            "a\\${b;",
            "a\\$${b;",
            "$\\{b;",
            "${b",
            "a$",
            "a\\",
            "a$\\",
            "$${{{x",
            "x{${y",
            "\\{{",
            "$ {",
            "a$;{",
            "${}{",
            "abcdefgh${ijklmnop{q",
            "abcdefgh\\${ij",
        ] {
            let got: Vec<Token> = Lexer::new(s.as_bytes()).collect();
            assert_eq!(got, reference_tokens(s.as_bytes()), "{s:?}");
        }
    }

    #[test]
    fn glued_after_quote() {
        let s = r#""a"b "c")"#;
        let toks: Vec<Token> = Lexer::new(s.as_bytes()).collect();
        assert!(toks[1].violates_need_space(s.as_bytes()));
        assert!(!toks.last().unwrap().violates_need_space(s.as_bytes()));
    }

    #[test]
    fn unescape_like_nginx() {
        assert_eq!(unescape(r#"a\"b\\c\td\x"#), "a\"b\\c\td\\x");
        assert_eq!(unescape("plain"), "plain");
    }

    #[test]
    fn lua_block_skips_strings_and_comments() {
        let s = "ngx.say(\"}\") -- }\n local t = {a=1} [[ } ]] }rest";
        let mut lx = Lexer::new(s.as_bytes());
        let (tok, found) = lx.lua_block_body();
        assert!(found);
        assert_eq!(&s[tok.end..], "}rest");
    }
}
