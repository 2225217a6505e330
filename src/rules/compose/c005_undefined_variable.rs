use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports `${VAR}` or `$VAR` without a default where `VAR` is set neither in the environment wirelint
    /// runs in nor in the project's `.env` (or the `--env-file`s).
    ///
    /// ## Why is this bad?
    /// Docker Compose substitutes an empty string and only prints a warning: `image: app:${TAG}` becomes
    /// `app:` and `"${PORT}:80"` publishes a random port.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: "registry.example/app:${TAG}"
    /// ```
    ///
    /// ## How to fix
    /// Set the variable in `.env` next to the compose file, give a default, or make it required:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: "registry.example/app:${TAG:-latest}"
    ///     # or ${TAG:?set TAG to the release to deploy}
    /// ```
    pub static RULE = Rule {
        code: "C005",
        name: "undefined-variable",
        severity: Warning,
        summary: "a variable without default that is not set: compose substitutes \"\"",
        check: Check::Compose(check),
    }
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for u in cx.undefined {
        out.push(
            RULE.diag(
                u.span,
                format!("variable {} is not set: compose substitutes an empty string", u.name),
            )
            .with_help(format!(
                "set {0} in `.env` next to the compose file, or give a default: ${{{0}:-value}} (or require it: ${{{0}:?message}})",
                u.name
            )),
        );
    }
}
