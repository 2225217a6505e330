use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports an `include` of a literal path that does not exist, an include cycle, and an include chain
    /// too deep to be anything but a loop. Paths resolve as nginx resolves them: relative to the prefix
    /// (the directory of the main `nginx.conf`, or `--nginx-prefix`), not to the including file. A glob
    /// that matches nothing is legal and silent. Absolute paths are container paths, read only through
    /// `--map` (or the usual `/etc/nginx/` layout next to the main file); files nginx ships
    /// (`mime.types`, `fastcgi_params`, …) are known without being in the repository.
    ///
    /// ## Why is this bad?
    /// A missing include is fatal: `nginx -t` fails with `open() "…" failed (2: No such file or
    /// directory)` and the server does not start or reload. A cycle makes nginx include the same files
    /// over and over until it crashes (`nginx -t` of nginx 1.22.1 dies with a segmentation fault).
    ///
    /// ## Example
    /// ```nginx
    /// http {
    ///     include conf.d/default.conf;   # the file is conf.d/default.conf.template
    /// }
    /// ```
    ///
    /// ## How to fix
    /// Point the include at the file that exists (relative to the directory of `nginx.conf`), or use a
    /// glob when the file is optional:
    /// ```nginx
    /// http {
    ///     include conf.d/*.conf;
    /// }
    /// ```
    pub static RULE = Rule {
        code: "N004",
        name: "include-not-found",
        severity: Error,
        summary: "an include of a file that does not exist, or an include cycle",
        check: Check::Loader,
    }
}
