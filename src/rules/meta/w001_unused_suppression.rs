use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports a `wirelint: ignore[CODE]` comment (or one code in it) that silences no finding: the rule
    /// does not fire on the line the comment applies to, or `ignore-file[CODE]` finds nothing in the file.
    /// Codes of rules that are switched off (`--ignore`, `[rules] ignore`, an override) are not reported:
    /// their rules did not run.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next real problem on that line, and a misplaced one (on the wrong
    /// line) means the finding it was meant for is still reported while the comment suggests otherwise.
    ///
    /// ## Example
    /// ```nginx
    /// # wirelint: ignore[N001] backend is a fixed IP
    /// proxy_pass http://10.0.0.5:8080;
    /// ```
    ///
    /// ## How to fix
    /// Delete the comment (`wirelint check --fix` does it when every code in it is unused), or move it to the
    /// line the finding is on:
    /// ```nginx
    /// proxy_pass http://10.0.0.5:8080;
    /// ```
    pub static RULE = Rule {
        code: "W001",
        name: "unused-suppression",
        severity: Warning,
        summary: "a suppression comment silences no finding",
        check: Check::Loader,
    }
}
