use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::phpfpm::place;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports a pool directive that two files php-fpm loads set to different values. The finding points at
    /// the line that has no effect and names the line that wins: for a plain directive (`listen`) the one
    /// loaded last, for an array entry (`php_value[…]`, `php_admin_value[…]`, `php_flag[…]`,
    /// `php_admin_flag[…]`, `env[…]`) the one loaded first. `php_flag[x]` and `php_value[x]` are one
    /// entry (php-fpm keeps both in one list), as are `php_admin_flag[x]` and `php_admin_value[x]`.
    ///
    /// Lines in an image's built-in stock files (with `--php-image`) are not reported: overriding them is
    /// what user files are for.
    ///
    /// ## Why is this bad?
    /// The file you read is not the file that counts. php-fpm loads `include=` globs in byte order
    /// (`zz-docker.conf` after `www.conf`, `10-a.conf` before `9-a.conf`) and the last value wins, so an
    /// edit to the earlier file silently does nothing — the classic "`www.conf` says `127.0.0.1:9000` but
    /// php-fpm listens on `9000`" confusion. Array entries work the other way round: php-fpm collects them
    /// in a list it prepends to and applies in order, so the first value loaded stays in effect and a
    /// `php_admin_value[memory_limit]` in a later `zz-prod.conf` does nothing.
    ///
    /// ## Example
    /// ```ini
    /// ; www.conf
    /// [www]
    /// listen = 127.0.0.1:9000
    /// ; zz-docker.conf (loaded later)
    /// [www]
    /// listen = 9000
    /// ```
    ///
    /// ## How to fix
    /// Set each directive in one file: remove the overridden line (or change the winning one), so the file
    /// a reader opens says what php-fpm does. `wirelint explain PATH` shows every effective value and where
    /// it came from.
    pub static RULE = Rule {
        code: "P002",
        name: "overridden-setting",
        severity: Info,
        summary: "a pool directive is set again, to a different value, by a file loaded later",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    for pool in &cx.set.pools {
        for directive in &pool.directives {
            let winner = directive.winner();
            let winner_key = written_key(cx, winner, &directive.key);
            for a in directive.overridden() {
                let key = written_key(cx, a, &directive.key);
                let built_in = cx.sources.get(a.line.file).path.is_none()
                    && cx.sources.get(a.line.file).name.starts_with('<');
                if a.line.file == winner.line.file || a.shown() == winner.shown() || built_in {
                    continue;
                }
                let (message, related) = if directive.first_wins() {
                    (
                        format!(
                            "`{} = {}` in pool `{}` has no effect: {} sets it earlier to `{}`, and php-fpm \
                             keeps the first value of an array entry",
                            key,
                            a.shown(),
                            pool.name,
                            place(cx.sources, winner),
                            winner.shown()
                        ),
                        "this earlier value wins",
                    )
                } else {
                    (
                        format!(
                            "`{} = {}` in pool `{}` has no effect: {} sets it to `{}` later",
                            key,
                            a.shown(),
                            pool.name,
                            place(cx.sources, winner),
                            winner.shown()
                        ),
                        "this later value wins",
                    )
                };
                out.push(
                    RULE.diag(a.key_span.to(a.value_span), message)
                    .with_help(format!(
                        "php-fpm uses `{} = {}`; remove this line or change the winning one, so one file says \
                         what php-fpm does",
                        winner_key,
                        winner.shown()
                    ))
                    .with_related(winner.key_span.to(winner.value_span), related),
                );
            }
        }
    }
}

/// The key as the line writes it: `php_flag[x]` for a line of the `php_value[x]` entry.
fn written_key(cx: &PhpFpmCx<'_>, a: &crate::phpfpm::Assignment, key: &str) -> String {
    match key.find('[') {
        Some(i) => format!("{}{}", cx.sources.text(a.key_span), &key[i..]),
        None => key.to_string(),
    }
}
