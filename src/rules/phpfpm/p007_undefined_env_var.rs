use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, PhpFpmCx};

declare_rule! {
    /// ## What it does
    /// Reports a `${VAR}` in a php-fpm file when the environment php-fpm starts with is known and `VAR` is
    /// not set in it. The environment is known when it is given (`--php-env FILE`), or in stack mode when
    /// the service runs an official image (or builds on one) whose own `ENV` is known: then it is that
    /// image's Dockerfile `ENV`, `env_file` and `environment`, plus what every such container has without a
    /// file saying so — the official `php` image's own `ENV` (`PHP_INI_DIR`, `PHP_VERSION`, `PHPIZE_DEPS`,
    /// …) and Docker's `PATH`, `HOSTNAME` and `HOME`. Otherwise (`wodby/php`, an image built elsewhere) the
    /// rule stays quiet.
    ///
    /// ## Why is this bad?
    /// php-fpm substitutes an empty string: `listen = ${FPM_PORT}` becomes no address at all and php-fpm
    /// refuses to start; `user = ${FPM_USER}` fails; a `php_value` silently falls back to its default.
    /// PHP 8.2's php-fpm does not understand `${VAR:-default}` either.
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// listen = ${FPM_LISTEN}
    /// ```
    /// started without `FPM_LISTEN` in its environment.
    ///
    /// ## How to fix
    /// Set the variable in the environment php-fpm starts with (the container's `environment:`), or write
    /// the value literally:
    /// ```ini
    /// [www]
    /// listen = 9000
    /// ```
    pub static RULE = Rule {
        code: "P007",
        name: "undefined-env-var",
        severity: Warning,
        summary: "a ${VAR} that is not set in the environment php-fpm starts with",
        check: Check::PhpFpm(check),
    }
}

fn check(cx: &PhpFpmCx<'_>, out: &mut Vec<Diagnostic>) {
    let Some(env) = &cx.set.env else {
        return;
    };
    for r in &cx.set.env_refs {
        if env.contains_key(&r.name) {
            continue;
        }
        let help = if r.name.contains(":-") {
            "PHP 8.2's php-fpm has no `${VAR:-default}`: set the variable, or write the value literally"
        } else {
            "set it in the environment php-fpm starts with, or write the value literally"
        };
        out.push(
            RULE.diag(
                r.span,
                format!(
                    "`${{{}}}` is not set: php-fpm reads an empty string",
                    r.name
                ),
            )
            .with_help(help),
        );
    }
}
