use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports a comment that starts with `wirelint:` but is not a valid suppression: an unknown directive
    /// (`wirelint: disable…`), no code list (`ignore` without `[…]`), an empty or unclosed list, a code no
    /// rule has, or `ignore-file` below the first setting of the file. Such a comment silences nothing.
    ///
    /// ## Why is this bad?
    /// The author meant to silence a finding and believes it is silenced; instead the finding is still
    /// reported (or, for a code that does not exist, a typo hides which rule was meant).
    ///
    /// ## Example
    /// ```nginx
    /// # wirelint: ignore[N01] typo in the code
    /// proxy_pass http://app:8000;
    /// ```
    ///
    /// ## How to fix
    /// Use the grammar `wirelint: ignore[CODE, …] reason` on the line above or at the end of the line, or
    /// `wirelint: ignore-file[CODE, …] reason` at the top of the file, with codes from `wirelint rules`:
    /// ```nginx
    /// # wirelint: ignore[N001] app is a static host entry in this VM
    /// proxy_pass http://app:8000;
    /// ```
    pub static RULE = Rule {
        code: "W003",
        name: "invalid-suppression",
        severity: Error,
        summary: "a `wirelint:` comment is not a valid suppression",
        check: Check::Loader,
    }
}
