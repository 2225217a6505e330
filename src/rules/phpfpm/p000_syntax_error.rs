use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports what php-fpm itself would refuse to load: a malformed section header or line, an
    /// unterminated quote or `${`, a `#` comment (php-fpm only knows `;`), a value its parser rejects
    /// (`pm = auto`, `pm.max_children = ten`, `request_terminate_timeout = 30x`, `catch_workers_output = maybe`),
    /// `php_value[…]` in the global section, an empty `env[…]`, `$pool` outside a pool, or more than five
    /// nested includes. When the whole configuration is known (a `php-fpm.conf`, or `--php-image`), also a pool
    /// php-fpm refuses after reading everything: no listen address, no `pm`, `pm.max_children` below 1, or
    /// `dynamic` spare-server numbers that contradict each other.
    ///
    /// ## Why is this bad?
    /// php-fpm stops at the first such line: `php-fpm -t` fails and the service does not start, so every
    /// request through nginx gets `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```ini
    /// [www]
    /// # listen on all addresses
    /// listen = 9000
    /// pm = auto
    /// ```
    ///
    /// ## How to fix
    /// Fix the line the finding points to: comments start with `;`, and values must be of the kind php-fpm
    /// expects:
    /// ```ini
    /// [www]
    /// ; listen on all addresses
    /// listen = 9000
    /// pm = dynamic
    /// ```
    pub static RULE = Rule {
        code: "P000",
        name: "syntax-error",
        severity: Error,
        summary: "php-fpm would reject the file: malformed line or section, bad value of a known directive",
        check: Check::Loader,
    }
}
