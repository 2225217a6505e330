//! The nginx directive table: which contexts each directive is allowed in and how many arguments it
//! takes, per module definition.
//!
//! The data is `grammar/nginx/directives.tsv` (see `grammar/nginx/README.md` for where every row
//! comes from and how it was checked against `nginx -t`). `build.rs` compiles it into the statics
//! included below (a row it cannot read stops the build). Rows are kept in nginx's module order: when
//! several modules define the same name, nginx uses the first definition whose contexts allow the
//! current one, and so does [`lookup_in`].

use super::fxhash::FxHashMap;
use super::table_source::{ANY_CONTEXT, CONTEXT_NAMES};
use std::sync::OnceLock;

// `SPECS` (every definition, grouped by name) and `NAMES` (each name with its range in `SPECS`).
include!(concat!(env!("OUT_DIR"), "/directives.rs"));

/// nginx's configuration contexts (ngx_conf_t cmd_type bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Main,
    Events,
    Http,
    Server,
    Location,
    LocationIf,
    ServerIf,
    LimitExcept,
    Upstream,
    Mail,
    MailServer,
    Stream,
    StreamServer,
    StreamUpstream,
}

impl Context {
    /// Every context, in the order of their bits.
    pub const ALL: [Context; 14] = [
        Context::Main,
        Context::Events,
        Context::Http,
        Context::Server,
        Context::Location,
        Context::LocationIf,
        Context::ServerIf,
        Context::LimitExcept,
        Context::Upstream,
        Context::Mail,
        Context::MailServer,
        Context::Stream,
        Context::StreamServer,
        Context::StreamUpstream,
    ];

    /// The name the table uses (nginx's flag name without its prefix).
    pub fn name(self) -> &'static str {
        CONTEXT_NAMES[self as usize]
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of contexts (bitset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ContextSet(pub u32);

impl ContextSet {
    /// Whether a directive with this set may appear in `c`.
    pub fn contains(self, c: Context) -> bool {
        self.is_any() || self.0 & c.bit() != 0
    }

    /// Allowed everywhere (nginx's NGX_ANY_CONF, as for `include`).
    pub fn is_any(self) -> bool {
        self.0 & ANY_CONTEXT != 0
    }

    /// The contexts' table names, in bit order (`["any"]` for [`ContextSet::is_any`]).
    pub fn names(self) -> Vec<&'static str> {
        if self.is_any() {
            return vec!["any"];
        }
        CONTEXT_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }
}

/// nginx's argument-count rule for one definition.
///
/// The bits are nginx's own (`NGX_CONF_NOARGS` = 0x1 … `NGX_CONF_TAKE7` = 0x80, `FLAG` = 0x200,
/// `ANY` = 0x400, `1MORE` = 0x800, `2MORE` = 0x1000); `BLOCK` is kept apart in
/// [`DirectiveSpec::block`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity(pub u32);

impl Arity {
    pub const NOARGS: u32 = 0x1;
    pub const FLAG: u32 = 0x200;
    pub const ANY: u32 = 0x400;
    pub const MORE1: u32 = 0x800;
    pub const MORE2: u32 = 0x1000;

    /// Whether nginx accepts `n` arguments (not counting the name), as ngx_conf_handler() decides.
    /// A FLAG directive takes exactly one argument; that it must be `on` or `off` is a value check.
    pub fn accepts(self, n: usize) -> bool {
        let a = self.0;
        if a & Self::ANY != 0 {
            true
        } else if a & Self::FLAG != 0 {
            n == 1
        } else if a & Self::MORE1 != 0 {
            n >= 1
        } else if a & Self::MORE2 != 0 {
            n >= 2
        } else {
            n <= 7 && a & (1 << n) != 0
        }
    }

    /// Human wording of the rule, e.g. "1 or 2 arguments", "at least 1 argument", "on or off".
    pub fn describe(self) -> String {
        let a = self.0;
        if a & Self::ANY != 0 {
            return "any number of arguments".to_string();
        }
        if a & Self::FLAG != 0 {
            return "exactly 1 argument (on or off)".to_string();
        }
        if a & Self::MORE1 != 0 {
            return "at least 1 argument".to_string();
        }
        if a & Self::MORE2 != 0 {
            return "at least 2 arguments".to_string();
        }
        let counts: Vec<u32> = (0..8).filter(|n| a & (1 << n) != 0).collect();
        match counts.as_slice() {
            [] => "no valid argument count".to_string(),
            [0] => "no arguments".to_string(),
            [1] => "exactly 1 argument".to_string(),
            [n] => format!("exactly {n} arguments"),
            [init @ .., last] => {
                let init: Vec<String> = init.iter().map(u32::to_string).collect();
                format!("{} or {last} arguments", init.join(", "))
            }
        }
    }
}

/// One module's definition of a directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveSpec {
    pub name: &'static str,
    pub contexts: ContextSet,
    pub arity: Arity,
    /// Takes a `{ … }` body (nginx's NGX_CONF_BLOCK).
    pub block: bool,
    /// e.g. `ngx_http_core_module`; `nginx_plus:` prefix for NGINX Plus-only definitions.
    pub module: &'static str,
    /// First nginx (or module) version with this definition, where known.
    pub since: Option<&'static str>,
}

/// Name → range in [`SPECS`], built on first use.
fn index() -> &'static FxHashMap<&'static str, (u16, u16)> {
    static INDEX: OnceLock<FxHashMap<&'static str, (u16, u16)>> = OnceLock::new();
    INDEX.get_or_init(|| NAMES.iter().map(|&(n, a, b)| (n, (a, b))).collect())
}

/// Whether the body of block directive `name` belongs to a module whose contexts wirelint does not
/// model: RTMP's `rtmp {}` (libnginx-mod-rtmp) holds its own `server`, `listen`, `application`, `live` …
/// The block itself is known (in the table); what is inside is not checked.
pub fn is_foreign_block(name: &str) -> bool {
    name == "rtmp"
}

/// All definitions of `name` (several modules may define it), empty if unknown.
pub fn lookup(name: &str) -> &'static [DirectiveSpec] {
    match index().get(name) {
        Some(&(a, b)) => &SPECS[usize::from(a)..usize::from(b)],
        None => &[],
    }
}

/// The definition that applies in `ctx`, if any (nginx picks the first module whose definition
/// allows the context).
pub fn lookup_in(name: &str, ctx: Context) -> Option<&'static DirectiveSpec> {
    lookup(name).iter().find(|s| s.contexts.contains(ctx))
}

/// Closest known directive name for a "did you mean" hint (edit distance ≤ 2), if any.
///
/// Names of 3 characters or fewer only get suggestions at distance 1 (two edits turn a short name
/// into too many unrelated ones). Ties go to the smaller distance, then to the name that comes first in the
/// table. Known names get no suggestion.
pub fn suggest(name: &str) -> Option<&'static str> {
    if name.is_empty() || !lookup(name).is_empty() {
        return None;
    }
    let max = if name.chars().count() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, &'static str)> = None;
    for spec in &SPECS {
        if best.is_some_and(|(_, b)| b == spec.name) {
            continue;
        }
        if spec.name.len().abs_diff(name.len()) > max {
            continue;
        }
        let d = edit_distance(name, spec.name, max);
        if d <= max && best.map_or(true, |(bd, _)| d < bd) {
            best = Some((d, spec.name));
        }
    }
    best.map(|(_, n)| n)
}

/// Every definition in the table, grouped by name.
pub fn all() -> &'static [DirectiveSpec] {
    &SPECS
}

/// Optimal-string-alignment distance (adjacent transpositions count 1), capped: returns `cap + 1`
/// as soon as the distance must exceed `cap`.
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > cap {
            return cap + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    use super::super::table_source::{self, context_bit};

    /// The embedded table as `build.rs` reads it.
    const TABLE: &str = include_str!("../../grammar/nginx/directives.tsv");

    #[test]
    fn the_statics_are_the_table_grouped_by_name() {
        let rows = table_source::rows(TABLE).expect("the table reads");
        assert!(rows.len() > 1000, "table has {} rows", rows.len());
        let (rows, ranges) = table_source::group(rows);
        assert_eq!(rows.len(), SPECS.len());
        for (r, s) in rows.iter().zip(&SPECS) {
            assert_eq!(
                (r.name, r.contexts, r.arity, r.block, r.module, r.since),
                (s.name, s.contexts.0, s.arity.0, s.block, s.module, s.since)
            );
        }
        let names: Vec<_> = NAMES
            .iter()
            .map(|&(n, a, b)| (n, usize::from(a), usize::from(b)))
            .collect();
        assert_eq!(names, ranges);
    }

    #[test]
    fn context_names_and_bits_agree() {
        for (i, name) in CONTEXT_NAMES.iter().enumerate() {
            assert_eq!(context_bit(name), Some(1 << i), "{name}");
        }
        for (i, c) in Context::ALL.iter().enumerate() {
            assert_eq!(c.name(), CONTEXT_NAMES[i]);
        }
        assert_eq!(context_bit("any"), Some(ANY_CONTEXT));
        assert_eq!(context_bit("Http"), None);
    }

    #[test]
    fn no_duplicate_identical_rows() {
        let mut seen = HashSet::new();
        for line in TABLE
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            assert!(seen.insert(line), "duplicate row: {line}");
        }
    }

    #[test]
    fn rows_of_a_name_are_contiguous_after_grouping() {
        for s in all() {
            assert!(lookup(s.name).iter().any(|x| std::ptr::eq(x, s)));
        }
    }

    #[test]
    fn server_is_a_block_in_http_and_not_in_upstream() {
        let http = lookup_in("server", Context::Http).expect("server in http");
        assert!(http.block);
        assert_eq!(http.module, "ngx_http_core_module");
        assert!(http.arity.accepts(0) && !http.arity.accepts(1));
        let ups = lookup_in("server", Context::Upstream).expect("server in upstream");
        assert!(!ups.block);
        assert!(ups.arity.accepts(1) && ups.arity.accepts(5) && !ups.arity.accepts(0));
        assert!(lookup_in("server", Context::Stream).is_some_and(|s| s.block));
        assert!(lookup_in("server", Context::StreamUpstream).is_some_and(|s| !s.block));
        assert!(lookup_in("server", Context::Mail).is_some_and(|s| s.block));
        assert!(lookup_in("server", Context::Location).is_none());
        assert!(lookup("server").len() >= 5);
    }

    #[test]
    fn proxy_pass_contexts() {
        assert!(lookup_in("proxy_pass", Context::Location).is_some());
        assert!(lookup_in("proxy_pass", Context::LocationIf).is_some());
        assert!(lookup_in("proxy_pass", Context::LimitExcept).is_some());
        assert!(lookup_in("proxy_pass", Context::Server).is_none());
        assert!(lookup_in("proxy_pass", Context::Http).is_none());
        let stream = lookup_in("proxy_pass", Context::StreamServer).expect("stream proxy_pass");
        assert_eq!(stream.module, "ngx_stream_proxy_module");
        assert_eq!(stream.arity.describe(), "exactly 1 argument");
    }

    #[test]
    fn listen_arity() {
        let l = lookup_in("listen", Context::Server).expect("listen");
        assert!(!l.block);
        assert!(!l.arity.accepts(0));
        assert!(l.arity.accepts(1) && l.arity.accepts(7) && l.arity.accepts(12));
        assert_eq!(l.arity.describe(), "at least 1 argument");
        assert!(lookup_in("listen", Context::Location).is_none());
        assert!(lookup_in("listen", Context::MailServer).is_some());
        assert!(lookup_in("listen", Context::StreamServer).is_some());
    }

    #[test]
    fn blocks_and_their_arity() {
        let loc = lookup_in("location", Context::Server).expect("location");
        assert!(loc.block);
        assert_eq!(loc.arity.describe(), "1 or 2 arguments");
        assert!(lookup_in("location", Context::Location).is_some());
        let iff = lookup_in("if", Context::Location).expect("if");
        assert!(iff.block && iff.arity.accepts(3) && !iff.arity.accepts(0));
        assert!(lookup_in("if", Context::LocationIf).is_none());
        assert!(lookup_in("http", Context::Main).is_some_and(|s| s.block));
        assert!(lookup_in("events", Context::Main).is_some_and(|s| s.block));
    }

    #[test]
    fn include_is_allowed_everywhere() {
        let inc = lookup("include");
        assert_eq!(inc.len(), 1);
        assert!(inc[0].contexts.is_any());
        assert_eq!(inc[0].contexts.names(), vec!["any"]);
        for c in Context::ALL {
            assert!(lookup_in("include", c).is_some(), "{c:?}");
        }
    }

    #[test]
    fn flags_take_one_argument() {
        let g = lookup_in("gzip", Context::Http).expect("gzip");
        assert!(g.arity.accepts(1) && !g.arity.accepts(0) && !g.arity.accepts(2));
        assert_eq!(g.arity.describe(), "exactly 1 argument (on or off)");
    }

    #[test]
    fn describe_wording() {
        assert_eq!(Arity(0x1).describe(), "no arguments");
        assert_eq!(Arity(0x6).describe(), "1 or 2 arguments");
        assert_eq!(Arity(0xe).describe(), "1, 2 or 3 arguments");
        assert_eq!(Arity(0x3).describe(), "0 or 1 arguments");
        assert_eq!(Arity(0x4).describe(), "exactly 2 arguments");
        assert_eq!(Arity(Arity::MORE2).describe(), "at least 2 arguments");
        assert_eq!(Arity(Arity::ANY).describe(), "any number of arguments");
        assert!(Arity(Arity::ANY).accepts(0) && Arity(Arity::ANY).accepts(100));
        assert!(!Arity(0x80).accepts(8) && Arity(0x80).accepts(7));
    }

    #[test]
    fn context_set_names() {
        let s = lookup_in("proxy_pass", Context::Location)
            .expect("proxy_pass")
            .contexts;
        assert_eq!(s.names(), vec!["location", "lif", "limit_except"]);
        assert!(!s.is_any());
        assert_eq!(ContextSet::default().names(), Vec::<&str>::new());
        for c in Context::ALL {
            assert_eq!(context_bit(c.name()), Some(c.bit()));
        }
    }

    #[test]
    fn third_party_and_plus_directives_are_known() {
        for name in [
            "content_by_lua_block",
            "access_by_lua_file",
            "lua_shared_dict",
            "js_import",
            "js_content",
            "more_set_headers",
            "health_check",
            "sticky",
            "zone_sync",
            "api",
            "status_zone",
            "ntlm",
            "queue",
            "state",
            "http2",
            "brotli",
        ] {
            assert!(!lookup(name).is_empty(), "{name} unknown");
        }
        let sticky = lookup_in("sticky", Context::Upstream).expect("sticky");
        assert!(sticky.module.starts_with("nginx_plus:"));
        let lua = lookup_in("content_by_lua_block", Context::Location).expect("lua");
        assert!(lua.block && lua.arity.accepts(0) && !lua.arity.accepts(1));
        assert!(lookup_in("content_by_lua_block", Context::StreamServer).is_some());
        let resolver = lookup_in("resolver", Context::Upstream).expect("upstream resolver");
        assert_eq!(resolver.since, Some("1.27.3"));
        assert!(lookup_in("resolver", Context::Http).is_some_and(|s| s.since.is_none()));
    }

    #[test]
    fn unknown_names() {
        assert!(lookup("proxy_pas").is_empty());
        assert!(lookup("").is_empty());
        assert!(lookup_in("no_such_directive", Context::Http).is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("proxy_pas"), Some("proxy_pass"));
        assert_eq!(suggest("proxy_pss"), Some("proxy_pass"));
        assert_eq!(suggest("lisen"), Some("listen"));
        assert_eq!(suggest("server_nmae"), Some("server_name"));
        assert_eq!(suggest("fastcgi_param"), None); // known
        assert_eq!(suggest("completely_unrelated_thing"), None);
        assert_eq!(suggest(""), None);
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("abc", "abc", 2), 0);
        assert_eq!(edit_distance("abc", "acb", 2), 1);
        assert_eq!(edit_distance("abc", "ab", 2), 1);
        assert_eq!(edit_distance("kitten", "sitting", 5), 3);
        assert_eq!(edit_distance("kitten", "sitting", 2), 3);
    }

    #[test]
    fn grouping_keeps_table_order_within_a_name() {
        let rows = table_source::rows(
            "name\tcontexts\targs\tmodule\tsince\tsource\n\
             a\thttp\tTAKE1\tm1\t\tx\n\
             b\thttp\tTAKE1\tm1\t\tx\n\
             a\tupstream\tTAKE2\tm2\t\tx\n\
             c\tmain\tNOARGS\tm3\t1.0\tx\n\
             a\tstream\tTAKE3\tm4\t\tx\n",
        )
        .expect("rows");
        let (rows, ranges) = table_source::group(rows);
        assert_eq!(ranges, [("a", 0, 3), ("b", 3, 4), ("c", 4, 5)]);
        let mods: Vec<&str> = rows[..3].iter().map(|x| x.module).collect();
        assert_eq!(mods, ["m1", "m2", "m4"]);
        assert_eq!(rows[4].since, Some("1.0"));
        assert_eq!(table_source::rows(""), Ok(vec![]));
    }

    #[test]
    fn malformed_rows_are_errors_not_panics() {
        let header = "# c\nname\tcontexts\targs\tmodule\tsince\tsource\nok\thttp\tTAKE1\tm\t\tx\n";
        for (row, why) in [
            ("bad ctx\tnowhere\tTAKE1\tm\t\tx", "bad directive name"),
            ("x\tnowhere\tTAKE1\tm\t\tx", "unknown context"),
            ("x\thttp\tTAKE9\tm\t\tx", "unknown argument flag"),
            ("x\thttp\tBLOCK\tm\t\tx", "no argument-count flag"),
            (
                "y\thttp\tTAKE1\tm",
                "expected 6 tab-separated columns, found 4",
            ),
        ] {
            let err = table_source::rows(&format!("{header}{row}\n")).expect_err(row);
            assert_eq!(err.0, 4, "{row}");
            assert!(err.1.contains(why), "{row}: {}", err.1);
        }
        assert_eq!(
            table_source::rows("nom\tcontexts\n"),
            Err((1, "bad header".to_string()))
        );
    }
}
