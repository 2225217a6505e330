//! php-fpm rules (P). Each runs on one [`crate::phpfpm::PoolSet`]: the files one php-fpm process loads.

pub mod p000_syntax_error;
pub mod p001_listen_loopback;
pub mod p002_overridden_setting;
pub mod p003_allowed_clients_excludes_peers;
pub mod p004_duplicate_listen;
pub mod p005_include_not_found;
pub mod p006_unknown_directive;
pub mod p007_undefined_env_var;

use crate::phpfpm::Assignment;
use crate::source::SourceMap;

/// `file:line` of an assignment, for messages.
pub(crate) fn place(sources: &SourceMap, a: &Assignment) -> String {
    let loc = sources.location(a.line);
    format!("{}:{}", loc.file, loc.line)
}
