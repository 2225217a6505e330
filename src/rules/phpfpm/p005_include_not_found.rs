use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports an `include=` of a literal path (no `*`, `?` or `[`) that does not exist, and a glob such as
    /// `include=etc/pools.d/*.conf` whose directory does not exist. Relative paths resolve against
    /// php-fpm's prefix (`--php-prefix`; `/usr/local` in the official image), not against the including
    /// file. A glob that matches nothing in a directory that exists is legal and not reported.
    ///
    /// ## Why is this bad?
    /// For a literal path php-fpm only warns ("Nothing matches the include pattern") and starts without
    /// the file: its pools are missing or run with other settings, and nginx gets `502 Bad Gateway` for
    /// them. For a glob in a directory that does not exist it is worse: glob(3) fails and php-fpm refuses
    /// to start ("Unable to globalize '…' (ret=2)", measured with php-fpm 8.2).
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
        summary: "include= of a literal path, or of a glob's directory, that does not exist",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    for inc in cx.set.includes.iter().filter(|i| i.missing_dir) {
        let dir = inc.resolved.parent().unwrap_or(&inc.resolved);
        out.push(
            RULE.diag(
                inc.value_span,
                format!(
                    "`include={}`: directory `{}` does not exist, and php-fpm refuses to start \
                     (\"Unable to globalize '{}' (ret=2)\")",
                    inc.pattern,
                    dir.display(),
                    inc.pattern
                ),
            )
            .with_help(
                "create the directory (or mount it), or fix the path (relative paths resolve against php-fpm's \
                 prefix, see --php-prefix); a glob matching nothing in an existing directory only warns",
            ),
        );
    }
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
