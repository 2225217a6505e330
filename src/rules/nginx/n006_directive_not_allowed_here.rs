use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports a known directive in a context where nginx rejects it, such as `proxy_pass` directly in
    /// `server` or `listen` in `location`. Contexts follow includes: a file included inside `server` is
    /// checked as `server` content. A file nothing includes is checked as a full configuration when it has
    /// a top-level `http`, `events`, `stream` or `mail` block, and otherwise in the context where it fits
    /// best (usually `http`, as the official image includes `conf.d/*.conf` there). When it fits no
    /// context cleanly, only a file whose `server` blocks hold http-only directives (`location`, `if`,
    /// `root` …) is checked, as http content; otherwise its context is unknown and nothing is reported.
    ///
    /// ## Why is this bad?
    /// nginx refuses the whole configuration: `"proxy_pass" directive is not allowed here`; the server
    /// does not start or reload.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     proxy_pass http://10.0.0.5:8080;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Move the directive into a context that allows it:
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     location / {
    ///         proxy_pass http://10.0.0.5:8080;
    ///     }
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N006",
        name: "directive-not-allowed-here",
        severity: Error,
        summary: "a known directive in a context where nginx rejects it",
        check: Check::Nginx(check),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    crate::nginx::validate::check(cx.config, cx.sources, "N006", out);
}
