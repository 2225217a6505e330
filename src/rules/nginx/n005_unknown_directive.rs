use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, NginxCx};

declare_rule! {
    /// ## What it does
    /// Reports a directive that no nginx module defines: a near miss of a known directive (with a "did
    /// you mean"), or a name no module could define (such as `2}$`, left over from an unquoted regular
    /// expression with `{n}`). Other unknown names stay quiet, since they may belong to a third-party
    /// module; so do directives inside blocks wirelint does not know, and the entries of `map`, `geo`,
    /// `types`, `split_clients`, `charset_map`, `match` and `geoip2` blocks and of `*_by_lua_block` bodies,
    /// and the directives inside `rtmp {}` (the RTMP module's own contexts).
    ///
    /// ## Why is this bad?
    /// nginx refuses the whole configuration: `unknown directive "proxy_pas"`; the server does not start or
    /// reload.
    ///
    /// ## Example
    /// ```nginx
    /// location /api/ {
    ///     proxy_pas http://10.0.0.5:8080;
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Spell the directive as the module defines it, or load the module that defines it:
    /// ```nginx
    /// location /api/ {
    ///     proxy_pass http://10.0.0.5:8080;
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N005",
        name: "unknown-directive",
        severity: Warning,
        summary: "a directive that no known module defines (typos)",
        check: Check::Nginx(check),
    }
}

fn check(cx: &NginxCx<'_>, out: &mut Vec<Diagnostic>) {
    crate::nginx::validate::check(cx.config, cx.sources, "N005", out);
}
