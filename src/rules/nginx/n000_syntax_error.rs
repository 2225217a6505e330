use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports text that nginx itself would refuse to load: unbalanced braces, a missing `;`, an
    /// unterminated quote, a block where the directive takes none.
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
        check: Check::Loader,
    }
}
