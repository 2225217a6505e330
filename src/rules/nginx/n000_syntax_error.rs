use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports text that nginx itself would refuse to load: unbalanced braces, a missing `;`, an
    /// unterminated quote, text glued to a closing quote, a stray `;`, a block after a directive that takes
    /// none (or `;` after one that needs a block), a UTF-8 byte order mark, a binary file. Tokens are read
    /// exactly as nginx reads them: `#` starts a comment only at the start of a word, `{` ends an unquoted
    /// word (so a regular expression with `{n}` must be quoted), `}` does not.
    ///
    /// Also what nginx refuses while it builds the configuration, with nginx's own message: a `*_pass`
    /// target with a port whose host names an `upstream` block (`upstream "app" may not have port 8080`),
    /// two `upstream` blocks of one name, two exact or two prefix `location`s of one path at one level
    /// (`duplicate location "/api"`), a server listening twice on one address, socket options or
    /// `default_server` on two `listen`s of one address and port, and a `proxy_pass` with a URI part in
    /// a regular expression or named location, an `if` or a `limit_except` block. And an `if` condition
    /// nginx cannot read: `($var == value)` (`unexpected "==" in condition`; nginx compares with `=`),
    /// `($var =value)` or `($var = two words)` (`invalid condition "$var"`), a file test other than
    /// `-f`, `-d`, `-e`, `-x` and their `!` forms.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails and the server does not start or reload; the previous configuration stays live.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     listen 80
    ///     server_name example.com;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Add the missing `;`, brace or quote at the place the finding points to:
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     server_name example.com;
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N000",
        name: "syntax-error",
        severity: Error,
        summary: "nginx would reject the file's syntax",
        check: Check::Nginx(check),
    }
}

/// The parser's findings come from the loader; this adds the block/`;` mismatches that need the
/// directive table and what nginx refuses while building the configuration ([`crate::nginx::refusals`]).
fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    crate::nginx::validate::check(cx.config, cx.sources, "N000", out);
    crate::nginx::refusals::check(cx.config, cx.sources, cx.index(), out);
}
