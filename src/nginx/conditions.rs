//! The condition of an `if` block, read the way nginx's rewrite module reads it
//! (`ngx_http_rewrite_if_condition`, nginx 1.22–1.27): `nginx -t` refuses a condition it cannot read, so
//! N000 reports it. Checked against `nginx -t` 1.22.1 (fixtures/nginx-syntax/*-if-condition*).
//!
//! nginx takes the directive's arguments as they are after quotes are removed, strips a `(` glued to the
//! first and a `)` glued to the last, and then accepts exactly:
//! - `$var` alone, or `$var OP value` with OP one of `=`, `!=`, `~`, `~*`, `!~`, `!~*`;
//! - `-f`, `-d`, `-e`, `-x` or their `!-` forms, followed by one value.
//!
//! Anything else is `invalid condition "…"` or, for an unknown operator after a variable (`==`, the
//! commonest slip), `unexpected "…" in condition`. Whether a regular expression compiles and whether the
//! variable exists are not checked here.

use super::syntax::Word;

/// Why nginx refuses an `if` condition: the index of the argument at fault and nginx's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCondition {
    pub arg: usize,
    /// The bytes of that argument's text nginx names (without a `(` or `)` glued to it).
    pub value: std::ops::Range<usize>,
    pub message: String,
    pub help: &'static str,
}

const HELP_OPERATOR: &str = "compare with `=` or `!=`, match a regular expression with `~`, `~*`, `!~` or `!~*` (there is no `==`)";
const HELP_SHAPE: &str = "write the condition as `($variable)`, `($variable = value)`, `($variable ~ regex)` or `(-f $path)`, with spaces around the operator";

/// Where `value`, a slice of argument `arg`'s text, lies in that text.
fn range_in(args: &[Word], arg: usize, value: &str) -> std::ops::Range<usize> {
    let start = value.as_ptr() as usize - args[arg].text.as_ptr() as usize;
    start..start + value.len()
}

fn invalid(args: &[Word], arg: usize, value: &str) -> Option<BadCondition> {
    Some(BadCondition {
        arg,
        value: range_in(args, arg, value),
        message: format!("invalid condition \"{value}\""),
        help: HELP_SHAPE,
    })
}

/// What nginx says of the condition `args` (the `if` directive's arguments), or `None` when it reads it.
pub fn check(args: &[Word]) -> Option<BadCondition> {
    if args.is_empty() {
        // The argument count is N007's.
        return None;
    }
    // nginx's `value[1..]`, edited in place as nginx edits them.
    let mut values: Vec<&str> = args.iter().map(|w| &*w.text).collect();
    let first = values[0];
    if !first.starts_with('(') {
        return invalid(args, 0, first);
    }
    let cur = if first.len() == 1 {
        1
    } else {
        values[0] = &first[1..];
        0
    };
    let mut last = values.len() - 1;
    let tail = values[last];
    if !tail.ends_with(')') {
        return invalid(args, last, tail);
    }
    if tail.len() == 1 {
        // `last` may go below `cur` (`if ( )`): nginx then reads the `)` it left in place.
        last = last.saturating_sub(1);
    } else {
        values[last] = &tail[..tail.len() - 1];
    }
    let p = values[cur];
    if p.len() > 1 && p.starts_with('$') {
        if cur != last && cur + 2 != last {
            return invalid(args, cur, p);
        }
        if cur == last {
            return None;
        }
        let op = values[cur + 1];
        return match op {
            "=" | "!=" | "~" | "~*" | "!~" | "!~*" => None,
            _ => Some(BadCondition {
                arg: cur + 1,
                value: range_in(args, cur + 1, op),
                message: format!("unexpected \"{op}\" in condition"),
                help: HELP_OPERATOR,
            }),
        };
    }
    let b = p.as_bytes();
    let file_test = (b.len() == 2 && b[0] == b'-') || (b.len() == 3 && b.starts_with(b"!-"));
    if file_test {
        if cur + 1 != last {
            return invalid(args, cur, p);
        }
        let letter = b[b.len() - 1];
        if matches!(letter, b'f' | b'd' | b'e' | b'x') {
            return None;
        }
    }
    invalid(args, cur, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::syntax::Text;
    use crate::source::{FileId, Span};

    fn words(args: &[&str]) -> Vec<Word> {
        args.iter()
            .map(|a| Word {
                span: Span::new(FileId(0), 0, 0),
                text: Text::new(a),
                quoted: false,
            })
            .collect()
    }

    fn verdict(args: &[&str]) -> Option<String> {
        check(&words(args)).map(|b| b.message)
    }

    /// Each case's expected verdict is what `nginx -t` 1.22.1 printed for it (`if ARGS { … }`).
    #[test]
    fn agrees_with_nginx() {
        let ok: &[&[&str]] = &[
            &["($host", "~", "^www)"],
            &["(-f", "$request_filename)"],
            &["($http_x)"],
            &["(!-e", "$uri)"],
            &["($a", "!~*", "x)"],
            &["($a", "~*", "bot", ")"],
            &["($a", "=", "b c", ")"],
            &["(", "$a", "=", "b", ")"],
            &["(!-f", "$a)"],
        ];
        for args in ok {
            assert_eq!(verdict(args), None, "{args:?}");
        }
        let bad: &[(&[&str], &str)] = &[
            (
                &["($request_method", "==", "POST)"],
                "unexpected \"==\" in condition",
            ),
            (&["($a", "===", "b)"], "unexpected \"===\" in condition"),
            (&["($a", "!", "b)"], "unexpected \"!\" in condition"),
            (&["($a", "=", "b", "c)"], "invalid condition \"$a\""),
            (&["(a", "=", "b)"], "invalid condition \"a\""),
            (&["($a", "=b)"], "invalid condition \"$a\""),
            (&["($a=", "b)"], "invalid condition \"$a=\""),
            (&["($a", "=", ")"], "invalid condition \"$a\""),
            (&["($a", "-f)"], "invalid condition \"$a\""),
            (&["(-q", "$a)"], "invalid condition \"-q\""),
            (&["(\"$a\"", "=", "b)"], "invalid condition \"\"$a\"\""),
            (&["($)"], "invalid condition \"$\""),
            (&["()"], "invalid condition \")\""),
            (&["(", ")"], "invalid condition \")\""),
            (&["($a", "=", "b", "))"], "invalid condition \"$a\""),
            (&["((", "$a", "=", "b)"], "invalid condition \"(\""),
            (&["("], "invalid condition \"(\""),
            (&[")"], "invalid condition \")\""),
            (&["($a"], "invalid condition \"$a\""),
            (&["(", "$a", "=", "b"], "invalid condition \"b\""),
            (&["(!f", "$a)"], "invalid condition \"!f\""),
            (&["(-f", "$a", "b)"], "invalid condition \"-f\""),
            (&["(-d)"], "invalid condition \"-d\""),
            (&["($a", "=", "b", ")", "x)"], "invalid condition \"$a\""),
            (&["$a", "=", "b"], "invalid condition \"$a\""),
        ];
        for (args, message) in bad {
            assert_eq!(verdict(args).as_deref(), Some(*message), "{args:?}");
        }
    }

    #[test]
    fn names_the_value_without_glued_parentheses() {
        let at = |args: &[&str]| check(&words(args)).map(|b| (b.arg, b.value));
        assert_eq!(at(&["($host", "=example.com)"]), Some((0, 1..6)));
        assert_eq!(at(&["($a", "==", "b)"]), Some((1, 0..2)));
        assert_eq!(at(&["(", "$a", "=", "b"]), Some((3, 0..1)));
        assert_eq!(at(&["(-q", "$a)"]), Some((0, 1..3)));
        assert_eq!(at(&["()"]), Some((0, 1..2)));
    }
}
