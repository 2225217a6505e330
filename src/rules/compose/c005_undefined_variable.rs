use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports `${VAR}` or `$VAR` without a default where `VAR` is set neither in the environment wirelint
    /// runs in nor in the project's `.env` (or the `--env-file`s). A required variable (`${VAR:?message}`)
    /// that is not set, or is set to the empty string (which `:?` refuses too; `${VAR?message}` requires only
    /// that it is set), is reported here too: compose refuses to start without it. Values that become
    /// invalid only because a variable is empty (a volume `${DATA_DIR}:/data`) are reported here, on the
    /// variable, rather than as C000.
    ///
    /// When the project documents the variable in an example env file it commits in place of its `.env`
    /// (`.env.example`, `.env.dist`, `.env.sample`, `.env.template`, `.env.defaults`, `env.example`,
    /// `env-example`, `env.template`, `example.env`, … in the project directory or a parent, up to the
    /// repository root), the variable is per-deployment by design: the finding is an info and names that
    /// file. wirelint does not substitute the example's value: checks that depend on the value (ports,
    /// images) stay quiet for it rather than judge a stand-in.
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
    ".env-example",
    ".env-dist",
    ".env-sample",
    "env.example",
    "env-example",
    "env.sample",
    "env.dist",
    "env.template",
    "example.env",
    "sample.env",
];

/// The example env file that documents `name`: the nearest one in the project directory or a parent,
/// up to the repository root (the first directory with `.git`). Its path as displayed.
fn example_defining(cx: &ComposeCx<'_>, name: &str) -> Option<String> {
    let start = std::fs::canonicalize(&cx.project.dir).unwrap_or_else(|_| cx.project.dir.clone());
    for dir in start.ancestors() {
        for f in EXAMPLE_ENV_FILES {
            let path = dir.join(f);
            let Ok(text) = crate::source::read_to_string(&path) else {
                continue;
            };
            let defines = text.lines().any(|l| {
                let l = l.trim_start();
                let l = l.strip_prefix("export ").unwrap_or(l);
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
            });
            if defines {
                // Shown relative to the project directory (`.env.example`, `../../.env.example`).
                let up = start.components().count() - dir.components().count();
                let shown = format!("{}{f}", "../".repeat(up));
                return Some(shown);
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
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
        // A variable set (empty) is not one the example file would give.
        let documented = example_defining(cx, name).filter(|_| !first.empty);
        let example = documented
            .as_ref()
            .map(|f| format!("; {f} defines it: copy that file to `.env` and adjust it"))
            .unwrap_or_default();
        let mut d = match &first.required {
            Some(message) => {
                let why = if message.is_empty() {
                    String::new()
                } else {
                    format!(" (\"{message}\")")
                };
                if first.empty {
                    RULE.diag(
                        first.span,
                        format!(
                            "required variable {name} is set but empty here: `:?` rejects an empty value as it does an unset one, and compose refuses to start{why}{also}"
                        ),
                    )
                    .with_help(format!(
                        "give {name} a value where it is set (the environment or `.env`), or accept an empty value: ${{{name}?message}} requires only that it is set"
                    ))
                } else {
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
        if let Some(f) = &documented {
            // The project documents the variable as per-deployment (its `.env` is not committed): worth
            // knowing, not a warning on every CI run.
            d = d.with_severity(Severity::Info);
            d.message = format!("{} ({f} documents it; `.env` is not committed)", d.message);
        }
        for u in list.iter().filter(|u| u.span != first.span).take(5) {
            d = d.with_related(u.span, format!("{name} is also used here"));
        }
        out.push(d);
    }
}
