use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports a `wirelint: ignore[CODE]` or `ignore-file[CODE]` comment with no reason after the codes.
    /// The suppression still applies; the finding asks for the reason.
    ///
    /// ## Why is this bad?
    /// A suppression is a decision that the finding does not apply here. Without the why, the next reader
    /// cannot tell a considered exception from a silenced bug, and cannot tell when it stops being true.
    ///
    /// ## Example
    /// ```nginx
    /// proxy_pass http://app:8000;  # wirelint: ignore[N001]
    /// ```
    ///
    /// ## How to fix
    /// Say why after the closing bracket:
    /// ```nginx
    /// proxy_pass http://app:8000;  # wirelint: ignore[N001] app is a static host entry in this VM
    /// ```
    pub static RULE = Rule {
        code: "W002",
        name: "suppression-without-reason",
        severity: Warning,
        summary: "a suppression comment gives no reason",
        check: Check::Loader,
    }
}
