use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports an `include=` of a literal path (no `*`, `?` or `[`) that does not exist. Relative paths
    /// resolve against php-fpm's prefix (`--php-prefix`; `/usr/local` in the official image), not against
    /// the including file. A glob that matches nothing is legal and not reported.
    ///
    /// ## Why is this bad?
    /// php-fpm only warns ("Nothing matches the include pattern") and starts without the file: its pools
    /// are missing or run with other settings, and nginx gets `502 Bad Gateway` for them.
    ///
    /// ## Example
    /// ```ini
    /// [global]
    /// include=etc/php-fpm.d/www.conf
    /// ```
    /// with no `etc/php-fpm.d/www.conf` under the prefix.
    ///
    /// ## How to fix
    /// Point the include at the real file (relative to the prefix, or absolute), or include the directory
    /// with a glob such as `include=etc/php-fpm.d/*.conf`. Use `--php-prefix` or `--map` when the repository
    /// layout differs from the container's.
    pub static RULE = Rule {
        code: "P005",
        name: "include-not-found",
        severity: Warning,
        summary: "include= of a literal path that does not exist",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    for inc in cx.set.includes.iter().filter(|i| i.missing) {
        out.push(
            RULE.diag(
                inc.value_span,
                format!(
                    "`include={}` matches nothing: `{}` does not exist",
                    inc.pattern,
                    inc.resolved.display()
                ),
            )
            .with_help(
                "fix the path (relative paths resolve against php-fpm's prefix, see --php-prefix), or use a glob",
            ),
        );
    }
}
