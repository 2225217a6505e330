use super::{authority, edges};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::nginx::args::PassKind;
use crate::rules::{Check, StackCx};
use crate::stack::images::Family;
use crate::stack::resolve::Resolution;

declare_rule! {
    /// ## What it does
    /// Reports a `fastcgi_pass` to a php-fpm service (an official `php:*-fpm` image used as is) when the
    /// script path nginx sends — `SCRIPT_FILENAME`, from `$document_root` (the `root` in effect) or a
    /// literal prefix — is not mounted into the php-fpm service at that path: no volume, bind mount or
    /// config of the php-fpm service covers it.
    ///
    /// ## Why is this bad?
    /// php-fpm opens the script by the path nginx sends, in its own container. When the code is mounted
    /// only into nginx, or at another path in php-fpm, every PHP request fails with
    /// `Primary script unknown` and `File not found.` (404), or 502 with some setups.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27        # root /var/www/html/public; fastcgi_pass php:9000;
    ///     volumes: ["./:/var/www/html", "./site.conf:/etc/nginx/conf.d/default.conf"]
    ///   php:
    ///     image: php:8.3-fpm
    ///     volumes: ["./:/app"]     # the code is at /app here
    /// ```
    ///
    /// ## How to fix
    /// Mount the code into the php-fpm service at the same path as nginx's `root`
    /// (`./:/var/www/html`), or set `SCRIPT_FILENAME` to the path php-fpm sees.
    pub static RULE = Rule {
        code: "S005",
        name: "docroot-mismatch",
        severity: Error,
        summary: "nginx sends php-fpm a script path that is not mounted in the php-fpm container",
        check: Check::Stack(check),
    }
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    for e in edges(cx) {
        let Resolution::Service { placement: j, .. } = e.resolution else {
            continue;
        };
        if j == e.from || e.target.kind != PassKind::FastCgi {
            continue;
        }
        let Some(dir) = &e.target.script_dir else {
            continue;
        };
        let to = &cx.stack.placements[j];
        let Some(img) = &to.image else { continue };
        if img.family != Family::PhpFpm || img.via_build {
            continue;
        }
        let svc = cx.stack.service(to);
        let node = cx
            .stack
            .project(to)
            .root
            .get("services")
            .and_then(|s| s.get(&svc.name.value));
        if node.is_some_and(|n| n.get("volumes_from").is_some()) {
            continue;
        }
        let covers = |target: &str| {
            let t = target.trim_end_matches('/');
            t.is_empty()
                || dir == t
                || dir.strip_prefix(t).is_some_and(|r| r.starts_with('/'))
                || t.strip_prefix(dir.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        };
        if svc.volumes.iter().any(|v| covers(&v.target.value))
            || to.origins.iter().any(|o| covers(&o.container))
        {
            continue;
        }
        if !seen.insert((e.target.directive, j)) {
            continue;
        }
        let mounts: Vec<String> = svc
            .volumes
            .iter()
            .map(|v| format!("`{}`", v.target.value))
            .collect();
        let from = cx.stack.service(&cx.stack.placements[e.from]);
        out.push(
            RULE.diag(
                e.target.host_span,
                format!(
                    "nginx in service `{}` sends php-fpm at `{}` scripts under `{dir}`, but nothing is mounted there in service `{}`{}",
                    from.name.value,
                    authority(&e),
                    svc.name.value,
                    if mounts.is_empty() { String::new() } else { format!(" (its mounts: {})", mounts.join(", ")) }
                ),
            )
            .with_help(format!(
                "mount the application into service `{}` at `{dir}` (the same path as nginx's `root`), or set `SCRIPT_FILENAME` to the path php-fpm sees; php-fpm otherwise answers `Primary script unknown`",
                svc.name.value
            ))
            .with_related(svc.name.span, format!("php-fpm runs in service `{}`", svc.name.value)),
        );
    }
}
