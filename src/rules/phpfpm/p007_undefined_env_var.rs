use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::phpfpm::syntax::EnvDefaults;
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
    ///
    /// `${VAR:-default}` depends on the PHP version, which wirelint takes from the image (`php:8.3-fpm`,
    /// a Dockerfile's `FROM php:8.2-fpm`, `--php-image`). From PHP 8.3 php-fpm substitutes the default
    /// when `VAR` is not set (a variable set to an empty string stays empty): not reported. Before 8.3
    /// the whole `VAR:-default` is read as the variable's name, which is never set, so the value is
    /// empty: reported. When the version is not known (a standalone pool file, an image other than the
    /// official `php` one) such a reference is not reported.
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
        let d = if r.default {
            if cx.set.env_defaults != EnvDefaults::NotRead {
                continue;
            }
            let image = cx
                .set
                .image
                .as_ref()
                .map(|i| format!(" (this php-fpm runs `{}`)", i.image))
                .unwrap_or_default();
            RULE.diag(
                r.span,
                format!(
                    "php-fpm before PHP 8.3 has no `${{VAR:-default}}`: it reads a variable named `{}`, \
                     which is never set, so the value is an empty string",
                    r.name
                ),
            )
            .with_help(format!(
                "defaults in `${{…}}` need PHP 8.3 or later{image}: set the variable, write the value \
                 literally, or use a PHP 8.3+ image"
            ))
        } else {
            RULE.diag(
                r.span,
                format!(
                    "`${{{}}}` is not set: php-fpm reads an empty string",
                    r.name
                ),
            )
            .with_help(
                "set it in the environment php-fpm starts with, or write the value literally",
            )
        };
        out.push(d);
    }
}
