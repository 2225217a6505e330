use crate::compose::ports::PortSyntax;
use crate::compose::yaml::Style;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports a port mapping written as a plain (unquoted) YAML scalar that YAML 1.1 reads as a base-60
    /// number: `22:22`, `2222:22`, `5000:50` — every part after the first colon is at most 59. Docker
    /// Compose v2 reads YAML 1.2 and gets the string, but YAML 1.1 tools (compose v1, PyYAML-based
    /// scripts and linters) read `22:22` as the integer 1342. Mappings such as `8080:80` are not
    /// affected and are not reported.
    ///
    /// ## Why is this bad?
    /// The same file means different things to different tools: a deploy script or older compose sees a
    /// different port, or rejects the file.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   sftp:
    ///     image: atmoz/sftp
    ///     ports:
    ///       - 2222:22
    /// ```
    ///
    /// ## How to fix
    /// Quote the mapping (`wirelint check --fix` does it, changing nothing else in the file):
    /// ```yaml
    /// services:
    ///   sftp:
    ///     image: atmoz/sftp
    ///     ports:
    ///       - "2222:22"
    /// ```
    pub static RULE = Rule {
        code: "C004",
        name: "unquoted-port-mapping",
        severity: Warning,
        summary: "an unquoted port mapping that YAML 1.1 reads as a base-60 number",
        check: Check::Compose(check),
    }
}

/// YAML 1.1's sexagesimal integer: `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
pub fn is_yaml11_base60(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = s.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    let fb = first.as_bytes();
    if fb.is_empty()
        || !(b'1'..=b'9').contains(&fb[0])
        || !fb.iter().all(|c| c.is_ascii_digit() || *c == b'_')
    {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        let b = p.as_bytes();
        let ok = match b.len() {
            1 => b[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    for s in &cx.project.services {
        for b in &s.ports {
            if b.syntax != PortSyntax::Short(Style::Plain) || seen.contains(&b.span) {
                continue;
            }
            let text = cx.sources.text(b.span);
            if !is_yaml11_base60(text) {
                continue;
            }
            seen.push(b.span);
            let value: i64 = text.split(':').fold(0i64, |acc, p| {
                acc.saturating_mul(60)
                    .saturating_add(p.replace('_', "").parse().unwrap_or(0))
            });
            out.push(
                RULE.diag(
                    b.span,
                    format!("unquoted port mapping {text} reads as the number {value} in YAML 1.1 tools"),
                )
                .with_help(format!("quote it: \"{text}\""))
                .with_fix(Fix {
                    title: "quote the port mapping".into(),
                    edits: vec![Edit {
                        span: b.span,
                        replacement: format!("\"{text}\""),
                    }],
                    safe: true,
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_yaml11_base60;

    #[test]
    fn base60_only_when_every_later_part_is_below_60() {
        assert!(is_yaml11_base60("22:22"));
        assert!(is_yaml11_base60("2222:22"));
        assert!(is_yaml11_base60("5000:50"));
        assert!(is_yaml11_base60("1:2:3"));
        assert!(!is_yaml11_base60("8080:80"));
        assert!(!is_yaml11_base60("5000:5000"));
        assert!(!is_yaml11_base60("0:22"));
        assert!(!is_yaml11_base60("80"));
        assert!(!is_yaml11_base60("127.0.0.1:22:22"));
    }
}
