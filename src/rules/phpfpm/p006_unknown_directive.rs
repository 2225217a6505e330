use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::directives::{self, Section};
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports a key php-fpm does not know in the section where it stands — typically a typo
    /// (`pm.max_childs`), or a pool directive in `[global]` (or a global one in a pool), and says which
    /// key was probably meant. Keys come from php-src's `fpm_conf.c` (`grammar/phpfpm/directives.tsv`).
    /// A line "commented out" with `#` (`#listen = …`) is such a key too: php-fpm has no `#` comments
    /// (PHP 7 removed them from INI files). Lines before a file's first section header are judged only
    /// when wirelint knows what php-fpm loads before that file (its `php-fpm.conf`, or the image's): such a
    /// fragment continues the section the previous file ended in.
    ///
    /// `listen.setfib` exists only where php-fpm is built with `SO_SETFIB` (FreeBSD): it is reported where
    /// php-fpm runs on Linux, as in a compose service or an image (`--php-image`), not in a file checked on
    /// its own.
    ///
    /// ## Why is this bad?
    /// php-fpm refuses the whole configuration ("unknown entry 'pm.max_childs'") and does not start.
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// pm.max_childs = 10
    /// ```
    ///
    /// ## How to fix
    /// Use the key php-fpm knows, in the right section:
    /// ```ini
    /// [www]
    /// pm.max_children = 10
    /// ```
    pub static RULE = Rule {
        code: "P006",
        name: "unknown-directive",
        severity: Warning,
        summary: "a key php-fpm does not know in that section (typos)",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    // php-fpm on Linux (every container) refuses it: "unknown entry 'listen.setfib'" (php-fpm 8.2 -tt).
    if cx.stack.is_some() || cx.set.image.is_some() {
        for pool in &cx.set.pools {
            for a in pool
                .get("listen.setfib")
                .iter()
                .flat_map(|d| &d.assignments)
            {
                out.push(
                    RULE.diag(
                        a.key_span,
                        "php-fpm on Linux does not know `listen.setfib`: it is FreeBSD-only (SO_SETFIB)",
                    )
                    .with_help("remove the line: php-fpm on Linux refuses it (\"unknown entry 'listen.setfib'\")"),
                );
            }
        }
    }
    for u in &cx.set.unknown {
        let here = match u.section {
            Section::Global => "the global section",
            _ => "a pool section",
        };
        let other = match u.section {
            Section::Global => directives::find(Section::Pool, &u.key)
                .map(|_| "it is a pool directive: move it under a `[pool]` section".to_string())
                .or_else(|| {
                    directives::find_array(&u.key).map(|_| {
                        "it is a pool directive: move it under a `[pool]` section".to_string()
                    })
                }),
            _ => directives::find(Section::Global, &u.key)
                .map(|_| "it is a global directive: move it under `[global]`".to_string()),
        };
        // `#listen = …`: a line meant as commented out. PHP 7 removed `#` comments from INI files.
        let hash = u.key.starts_with('#').then(|| {
            format!(
                "`#` does not start a comment in php-fpm files: php-fpm reads `{}` as a key and refuses \
                 it; comment the line out with `;`",
                u.key
            )
        });
        let help = hash.or(other).or_else(|| {
            directives::suggest(u.section, &u.key).map(|s| format!("did you mean `{s}`?"))
        });
        let mut d = RULE.diag(
            u.span,
            format!("php-fpm does not know `{}` in {here}", u.key),
        );
        d = d.with_help(help.unwrap_or_else(|| {
            "remove the line or use a key php-fpm knows (`wirelint explain` lists the effective ones)".into()
        }));
        out.push(d);
    }
}
