use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports `${VAR}` or `$VAR` without a default where `VAR` is set neither in the environment wirelint
    /// runs in nor in the project's `.env` (or the `--env-file`s). A required variable (`${VAR:?message}`)
    /// that is not set is reported here too: compose refuses to start without it. Values that become
    /// invalid only because a variable is empty (a volume `${DATA_DIR}:/data`) are reported here, on the
    /// variable, rather than as C000.
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

/// Example env files projects commit in place of their (ignored) `.env`.
const EXAMPLE_ENV_FILES: &[&str] = &[
    ".env.example",
    ".env.dist",
    ".env.sample",
    ".env.template",
    ".env.defaults",
    "env.example",
    "example.env",
];

/// The example env file next to the project that defines `name`, if any.
fn example_defining(cx: &ComposeCx<'_>, name: &str) -> Option<&'static str> {
    EXAMPLE_ENV_FILES.iter().copied().find(|f| {
        std::fs::read_to_string(cx.project.dir.join(f)).is_ok_and(|t| {
            t.lines().any(|l| {
                let l = l.trim_start();
                let l = l.strip_prefix("export ").unwrap_or(l);
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
            })
        })
    })
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    // One finding per variable (at its first use, the others as related locations): a project without its
    // `.env` would otherwise repeat the same finding dozens of times.
    let mut order: Vec<&str> = Vec::new();
    let mut uses: std::collections::HashMap<&str, Vec<&crate::compose::UndefinedVar>> =
        std::collections::HashMap::new();
    for u in cx.undefined {
        let list = uses.entry(u.name.as_str()).or_default();
        if list.is_empty() {
            order.push(u.name.as_str());
        }
        list.push(u);
    }
    for name in order {
        let list = &uses[name];
        let first = list
            .iter()
            .find(|u| u.required.is_some())
            .copied()
            .unwrap_or(list[0]);
        let more = list.len() - 1;
        let also = if more > 0 {
            format!(" (used {} times)", list.len())
        } else {
            String::new()
        };
        let example = example_defining(cx, name)
            .map(|f| format!("; {f} defines it: copy that file to `.env` and adjust it"))
            .unwrap_or_default();
        let mut d = match &first.required {
            Some(message) => {
                let why = if message.is_empty() {
                    String::new()
                } else {
                    format!(" (\"{message}\")")
                };
                RULE.diag(
                    first.span,
                    format!(
                        "required variable {name} is not set here: compose refuses to start without it{why}{also}"
                    ),
                )
                .with_help(format!(
                    "set {name} in the environment or in `.env` next to the compose file (in CI: `wirelint check --env-file FILE`){example}"
                ))
            }
            None => RULE
                .diag(
                    first.span,
                    format!("variable {name} is not set: compose substitutes an empty string{also}"),
                )
                .with_help(format!(
                    "set {name} in `.env` next to the compose file, or give a default: ${{{name}:-value}} (or require it: ${{{name}:?message}}){example}"
                )),
        };
        for u in list.iter().filter(|u| u.span != first.span).take(5) {
            d = d.with_related(u.span, format!("{name} is also used here"));
        }
        out.push(d);
    }
}
