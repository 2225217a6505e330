//! nginx rules (N).

pub mod n000_syntax_error;
pub mod n001_stale_upstream_dns;
pub mod n002_variable_pass_without_resolver;
pub mod n003_upstream_resolve_incomplete;
pub mod n004_include_not_found;
pub mod n005_unknown_directive;
pub mod n006_directive_not_allowed_here;
pub mod n007_wrong_argument_count;
pub mod n008_listen_loopback;

/// `parts` joined in one allocation of the exact size, for messages built once per finding:
/// `[…].concat()` took 400 instructions each (thousands of findings in a large configuration).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}
