//! The rule registry: one table that drives checking, `--select`/`--ignore`, `wirelint rules`,
//! `wirelint rule CODE` and the generated rule docs.
//!
//! A rule is one file under `rules/<family>/` holding its documentation (doc comments on its
//! [`declare_rule!`] invocation, with the fixed sections *What it does*, *Why is this bad?*, *Example*,
//! *How to fix*) and its check function. Adding a rule = that file, one line in [`RULES`], and fixtures in
//! `fixtures/<family>/<CODE-name>/`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::settings::Settings;
use crate::source::{SourceMap, Span};

pub mod compose;
pub mod meta;
pub mod nginx;
pub mod phpfpm;
pub mod stack;

/// Stack mode: the compose service a configuration runs in.
#[derive(Clone, Copy)]
pub struct StackView<'a> {
    pub stack: &'a crate::stack::Stack,
    /// Index into [`crate::stack::Stack::placements`].
    pub placement: usize,
}

/// What a stack (cross-file) rule's check function looks at: every compose project with its services
/// placed.
pub struct StackCx<'a> {
    pub sources: &'a SourceMap,
    pub settings: &'a Settings,
    pub stack: &'a crate::stack::Stack,
}

/// What a rule's check function looks at.
pub struct NginxCx<'a> {
    pub sources: &'a SourceMap,
    pub settings: &'a Settings,
    pub config: &'a crate::nginx::Config,
    /// The service the configuration runs in, in stack mode.
    pub stack: Option<StackView<'a>>,
    /// Upstream names, resolvers and variable values of `config`, built on first use and shared by the
    /// rules that need them.
    pub index: std::sync::OnceLock<crate::nginx::upstreams::Index<'a>>,
}

impl Drop for NginxCx<'_> {
    /// A one-shot process leaves the index to the OS (see [`crate::process`]): for a large
    /// configuration, freeing its maps and parsed targets one by one took a millisecond on the thread
    /// that goes on to report.
    fn drop(&mut self) {
        if crate::process::one_shot() {
            if let Some(index) = self.index.take() {
                std::mem::forget(index);
            }
        }
    }
}

impl<'a> NginxCx<'a> {
    pub fn new(
        sources: &'a SourceMap,
        settings: &'a Settings,
        config: &'a crate::nginx::Config,
        stack: Option<StackView<'a>>,
    ) -> NginxCx<'a> {
        NginxCx {
            sources,
            settings,
            config,
            stack,
            index: std::sync::OnceLock::new(),
        }
    }

    pub fn index(&self) -> &crate::nginx::upstreams::Index<'a> {
        self.index.get_or_init(|| {
            let start = std::time::Instant::now();
            let index = crate::nginx::upstreams::Index::build(self.config);
            crate::timing::interval("upstream index", start);
            index
        })
    }
}

/// What a php-fpm rule's check function looks at: one pool set (a php-fpm process's configuration).
pub struct PhpFpmCx<'a> {
    pub sources: &'a SourceMap,
    pub settings: &'a Settings,
    pub set: &'a crate::phpfpm::PoolSet,
    /// The service the pool set runs in, in stack mode.
    pub stack: Option<StackView<'a>>,
    /// For a pool set checked on its own, the nginx configurations that may run beside it: those of the
    /// run that no service runs, and those of services the pool files are placed in too (an nginx passing
    /// to the pool's loopback listener shows both run in one container).
    pub nginx: &'a [&'a crate::nginx::Config],
}

/// What a compose rule's check function looks at: one project, merged as compose runs it.
pub struct ComposeCx<'a> {
    pub sources: &'a SourceMap,
    pub settings: &'a Settings,
    pub project: &'a crate::compose::Project,
    /// Variables used without a default that have no value (from interpolation).
    pub undefined: &'a [crate::compose::UndefinedVar],
    /// In a full run, the stack and the index of `project` in it (its services placed).
    pub stack: Option<(&'a crate::stack::Stack, usize)>,
}

/// How a rule is run.
#[derive(Clone, Copy)]
pub enum Check {
    /// Reported while loading (parse errors, includes, schema) rather than by a separate pass.
    Loader,
    Nginx(fn(&NginxCx<'_>, &mut Vec<Diagnostic>)),
    PhpFpm(fn(&PhpFpmCx<'_>, &mut Vec<Diagnostic>)),
    Compose(fn(&ComposeCx<'_>, &mut Vec<Diagnostic>)),
    Stack(fn(&StackCx<'_>, &mut Vec<Diagnostic>)),
}

/// A rule's check function over a family's context.
pub type CheckFn<C> = fn(&C, &mut Vec<Diagnostic>);

/// Runs every enabled rule of one family: `pick` selects the family's check functions from [`Check`].
pub fn run<C>(
    selection: &Selection,
    pick: fn(Check) -> Option<CheckFn<C>>,
    cx: &C,
    out: &mut Vec<Diagnostic>,
) {
    for rule in RULES {
        if let Some(check) = pick(rule.check) {
            if selection.enabled(rule.code) {
                check(cx, out);
                crate::timing::phase(rule.code);
            }
        }
    }
}

/// Like [`run`], with the rules shared out over the cores (each takes the next rule not yet started); the
/// findings come out in the same order as [`run`]'s. For a large configuration, where the rules take as long
/// as parsing.
pub fn run_parallel<C: Sync>(
    selection: &Selection,
    pick: fn(Check) -> Option<CheckFn<C>>,
    cx: &C,
    out: &mut Vec<Diagnostic>,
) {
    run_parallel_with(selection, pick, cx, out, None);
}

/// [`run_parallel`], with `beside` taken by the second thread while the first starts on the first rule:
/// work the report will need, in the time the second thread would wait for the first rule's walk of the
/// configuration. (Taken by the first thread, it moved the upstream index to that thread, where it ran
/// slower.)
pub fn run_parallel_beside<C: Sync>(
    selection: &Selection,
    pick: fn(Check) -> Option<CheckFn<C>>,
    cx: &C,
    out: &mut Vec<Diagnostic>,
    beside: &(dyn Fn() + Sync),
) {
    run_parallel_with(selection, pick, cx, out, Some(beside));
}

fn run_parallel_with<C: Sync>(
    selection: &Selection,
    pick: fn(Check) -> Option<CheckFn<C>>,
    cx: &C,
    out: &mut Vec<Diagnostic>,
    beside: Option<&(dyn Fn() + Sync)>,
) {
    let checks: Vec<(&str, CheckFn<C>)> = RULES
        .iter()
        .filter(|r| selection.enabled(r.code))
        .filter_map(|r| Some((r.code, pick(r.check)?)))
        .collect();
    // `None` is `beside`.
    let mut jobs: Vec<Option<(&str, CheckFn<C>)>> = checks.into_iter().map(Some).collect();
    if beside.is_some() {
        jobs.insert(1.min(jobs.len()), None);
    }
    let threads = crate::source::threads().min(jobs.len());
    if threads < 2 {
        for job in jobs {
            match job {
                None => beside.expect("a side job")(),
                Some((_, check)) => check(cx, out),
            }
        }
        return;
    }
    let found = crate::source::parallel_map(&jobs, threads, |job| {
        let start = std::time::Instant::now();
        let mut found = Vec::new();
        match job {
            None => {
                beside.expect("a side job")();
                crate::timing::interval("beside", start);
            }
            Some((code, check)) => {
                check(cx, &mut found);
                crate::timing::interval(code, start);
            }
        }
        found
    });
    out.extend(found.into_iter().flatten());
}

impl Check {
    pub fn nginx(self) -> Option<fn(&NginxCx<'_>, &mut Vec<Diagnostic>)> {
        match self {
            Check::Nginx(f) => Some(f),
            _ => None,
        }
    }
    pub fn phpfpm(self) -> Option<fn(&PhpFpmCx<'_>, &mut Vec<Diagnostic>)> {
        match self {
            Check::PhpFpm(f) => Some(f),
            _ => None,
        }
    }
    pub fn compose(self) -> Option<fn(&ComposeCx<'_>, &mut Vec<Diagnostic>)> {
        match self {
            Check::Compose(f) => Some(f),
            _ => None,
        }
    }
    pub fn stack(self) -> Option<fn(&StackCx<'_>, &mut Vec<Diagnostic>)> {
        match self {
            Check::Stack(f) => Some(f),
            _ => None,
        }
    }
}

pub struct Rule {
    /// Stable code, e.g. `N001`. Never reused for another meaning.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `stale-upstream-dns`.
    pub name: &'static str,
    pub severity: Severity,
    /// One line for `wirelint rules`.
    pub summary: &'static str,
    /// Markdown: the rule's doc comments.
    pub docs: &'static str,
    pub check: Check,
}

impl Rule {
    /// A finding of this rule at its default severity.
    pub fn diag(&'static self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.code, self.severity, span, message)
    }

    pub fn family(&self) -> &'static str {
        match self.code.as_bytes()[0] {
            b'N' => "nginx",
            b'P' => "php-fpm",
            b'C' => "compose",
            b'S' => "stack",
            _ => "wirelint",
        }
    }

    /// The docs with the one-space indent of `///` comments removed.
    pub fn docs_markdown(&self) -> String {
        let mut out = String::new();
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declares a rule. Its doc comments become its user-facing documentation.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// …
///     pub static RULE = Rule {
///         code: "N001",
///         name: "stale-upstream-dns",
///         severity: Warning,
///         summary: "…",
///         check: Check::Nginx(check),
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub static $id:ident = Rule {
            code: $code:literal,
            name: $name:literal,
            severity: $sev:ident,
            summary: $summary:literal,
            check: $check:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $id: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            severity: $crate::diagnostic::Severity::$sev,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}

/// Every rule, in code order. The single registration point.
pub static RULES: &[&Rule] = &[
    &compose::c000_invalid_compose::RULE,
    &compose::c001_dev_port_collision::RULE,
    &compose::c002_duplicate_published_port::RULE,
    &compose::c003_published_on_all_interfaces::RULE,
    &compose::c004_unquoted_port_mapping::RULE,
    &compose::c005_undefined_variable::RULE,
    &compose::c006_ports_ignored_by_network_mode::RULE,
    &compose::c007_depends_on_not_healthy::RULE,
    &nginx::n000_syntax_error::RULE,
    &nginx::n001_stale_upstream_dns::RULE,
    &nginx::n002_variable_pass_without_resolver::RULE,
    &nginx::n003_upstream_resolve_incomplete::RULE,
    &nginx::n004_include_not_found::RULE,
    &nginx::n005_unknown_directive::RULE,
    &nginx::n006_directive_not_allowed_here::RULE,
    &nginx::n007_wrong_argument_count::RULE,
    &nginx::n008_listen_loopback::RULE,
    &phpfpm::p000_syntax_error::RULE,
    &phpfpm::p001_listen_loopback::RULE,
    &phpfpm::p002_overridden_setting::RULE,
    &phpfpm::p003_allowed_clients_excludes_peers::RULE,
    &phpfpm::p004_duplicate_listen::RULE,
    &phpfpm::p005_include_not_found::RULE,
    &phpfpm::p006_unknown_directive::RULE,
    &phpfpm::p007_undefined_env_var::RULE,
    &stack::s001_upstream_host_unknown::RULE,
    &stack::s002_upstream_port_mismatch::RULE,
    &stack::s003_fpm_unreachable::RULE,
    &stack::s004_app_binds_loopback::RULE,
    &stack::s005_docroot_mismatch::RULE,
    &stack::s006_loopback_upstream_in_container::RULE,
    &meta::w001_unused_suppression::RULE,
    &meta::w002_suppression_without_reason::RULE,
    &meta::w003_invalid_suppression::RULE,
];

pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name.eq_ignore_ascii_case(code))
}

/// Which rules are enabled, from `--select`/`--ignore`. Selectors are codes (`N001`), prefixes (`N`, `N00`),
/// names (`stale-upstream-dns`) or `ALL`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

fn matches(selector: &str, rule: &Rule) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || rule.name.eq_ignore_ascii_case(selector)
        || (!selector.is_empty()
            && rule
                .code
                .to_ascii_uppercase()
                .starts_with(&selector.to_ascii_uppercase()))
}

impl Selection {
    /// Checks that every selector names at least one rule; returns the first one that does not.
    pub fn validate(&self) -> Result<(), String> {
        for s in self.select.iter().chain(&self.ignore) {
            if !RULES.iter().any(|r| matches(s, r)) {
                return Err(format!("unknown rule selector `{s}`"));
            }
        }
        Ok(())
    }

    pub fn enabled(&self, code: &str) -> bool {
        let Some(rule) = RULES.iter().find(|r| r.code == code) else {
            // Meta findings not in the table (none today) are always on.
            return true;
        };
        let selected = self.select.is_empty() || self.select.iter().any(|s| matches(s, rule));
        selected && !self.ignore.iter().any(|s| matches(s, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_documented() {
        let mut prev = "";
        for r in RULES {
            assert!(r.code > prev, "{} out of order or duplicated", r.code);
            prev = r.code;
            let docs = r.docs_markdown();
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## How to fix",
            ] {
                assert!(docs.contains(section), "{} docs lack {section}", r.code);
            }
        }
    }

    #[test]
    fn selection_by_prefix_name_and_ignore() {
        let sel = Selection {
            select: vec!["N".into()],
            ignore: vec!["syntax-error".into()],
        };
        assert!(!sel.enabled("N000"));
        assert!(Selection::default().enabled("N000"));
        assert!(Selection {
            select: vec!["X9".into()],
            ignore: vec![]
        }
        .validate()
        .is_err());
    }
}
