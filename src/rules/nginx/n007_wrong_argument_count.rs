use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports a known directive with a number of arguments nginx rejects, such as `listen` with none or
    /// `proxy_pass` with two. A common cause is a missing `;` that joins two lines into one directive,
    /// or an unquoted value with a space in it.
    ///
    /// ## Why is this bad?
    /// nginx refuses the whole configuration: `invalid number of arguments in "proxy_pass" directive`;
    /// the server does not start or reload.
    ///
    /// ## Example
    /// ```nginx
    /// location / {
    ///     proxy_pass http://10.0.0.5:8080
    ///     proxy_set_header Host $host;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Give the directive the arguments it takes; end each directive with `;`:
    /// ```nginx
    /// location / {
    ///     proxy_pass http://10.0.0.5:8080;
    ///     proxy_set_header Host $host;
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N007",
        name: "wrong-argument-count",
        severity: Error,
        summary: "a known directive with an argument count nginx rejects",
        check: Check::Nginx(check),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    crate::nginx::validate::check(cx.config, cx.sources, "N007", out);
}
