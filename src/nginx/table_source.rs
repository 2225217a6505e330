//! Reading `grammar/nginx/directives.tsv`: its rows, the words it uses for contexts and argument counts
//! and the bits they stand for. `build.rs` includes this file to compile the table into statics;
//! [`super::directives`] uses the names at run time, and its tests check the statics against this
//! reading of the table.

/// Table names of the contexts, indexed by bit number. Bits 0..=13 are `directives::Context`; the rest
/// are blocks of NGINX Plus and add-on modules that the linter does not model as contexts, kept so the
/// directives inside them are known.
pub const CONTEXT_NAMES: [&str; 17] = [
    "main",
    "events",
    "http",
    "server",
    "location",
    "lif",
    "sif",
    "limit_except",
    "upstream",
    "mail",
    "mail_server",
    "stream",
    "stream_server",
    "stream_upstream",
    "mgmt",
    "oidc_provider",
    "acme_issuer",
];

/// The bit of "allowed everywhere" (nginx's NGX_ANY_CONF, e.g. `include`): the table's `any`.
pub const ANY_CONTEXT: u32 = 1 << 31;

/// The bit of a context name in the table (`any`: [`ANY_CONTEXT`]).
pub fn context_bit(name: &str) -> Option<u32> {
    if name == "any" {
        return Some(ANY_CONTEXT);
    }
    CONTEXT_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| 1 << i)
}

/// nginx's bits for an argument-count flag of the table (`NGX_CONF_NOARGS` = 0x1 … `NGX_CONF_TAKE7` =
/// 0x80, `FLAG` = 0x200, `ANY` = 0x400, `1MORE` = 0x800, `2MORE` = 0x1000). `BLOCK` is not one: it
/// is kept apart.
pub fn arity_bits(flag: &str) -> Option<u32> {
    Some(match flag {
        "NOARGS" => 0x1,
        "TAKE1" => 0x2,
        "TAKE2" => 0x4,
        "TAKE3" => 0x8,
        "TAKE4" => 0x10,
        "TAKE5" => 0x20,
        "TAKE6" => 0x40,
        "TAKE7" => 0x80,
        "TAKE12" => 0x6,
        "TAKE13" => 0xa,
        "TAKE23" => 0xc,
        "TAKE123" => 0xe,
        "TAKE1234" => 0x1e,
        "FLAG" => 0x200,
        "ANY" => 0x400,
        "1MORE" => 0x800,
        "2MORE" => 0x1000,
        _ => return None,
    })
}

/// The header line of the table.
pub const HEADER: &str = "name\tcontexts\targs\tmodule\tsince\tsource";

/// One row of the table: one module's definition of a directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    /// Bits of [`context_bit`].
    pub contexts: u32,
    /// Bits of [`arity_bits`].
    pub arity: u32,
    /// Takes a `{ … }` body (`BLOCK` among the argument flags).
    pub block: bool,
    pub module: &'a str,
    pub since: Option<&'a str>,
}

/// Reads one row (not a comment or the header).
pub fn row(line: &str) -> Result<Row<'_>, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    let [name, contexts, args, module, since, source] = cols[..] else {
        return Err(format!(
            "expected 6 tab-separated columns, found {}",
            cols.len()
        ));
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("bad directive name {name:?}"));
    }
    let mut context_bits = 0;
    for c in contexts.split(',') {
        context_bits |= context_bit(c).ok_or_else(|| format!("unknown context {c:?}"))?;
    }
    let mut arity = 0;
    let mut block = false;
    for a in args.split('|') {
        if a == "BLOCK" {
            block = true;
        } else {
            arity |= arity_bits(a).ok_or_else(|| format!("unknown argument flag {a:?}"))?;
        }
    }
    if arity == 0 {
        return Err("no argument-count flag".to_string());
    }
    if module.is_empty() {
        return Err("empty module".to_string());
    }
    if source.is_empty() {
        return Err("empty source".to_string());
    }
    Ok(Row {
        name,
        contexts: context_bits,
        arity,
        block,
        module,
        since: Some(since).filter(|s| !s.is_empty()),
    })
}

/// Every row of the table text, in table order; or the first problem, with its 1-based line number.
pub fn rows(text: &str) -> Result<Vec<Row<'_>>, (usize, String)> {
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if line != HEADER {
                return Err((i + 1, "bad header".to_string()));
            }
            continue;
        }
        rows.push(row(line).map_err(|e| (i + 1, e))?);
    }
    Ok(rows)
}

/// The rows grouped by name: names in order of first appearance, each name's rows in table (= nginx
/// module) order; with each name's range in the grouped rows.
pub fn group(rows: Vec<Row<'_>>) -> (Vec<Row<'_>>, Vec<(&str, usize, usize)>) {
    let mut names: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<Row>> = Default::default();
    for r in rows {
        if !groups.contains_key(r.name) {
            names.push(r.name);
        }
        groups.entry(r.name).or_default().push(r);
    }
    let mut grouped = Vec::new();
    let mut ranges = Vec::new();
    for name in names {
        let start = grouped.len();
        grouped.extend(groups.remove(name).unwrap_or_default());
        ranges.push((name, start, grouped.len()));
    }
    (grouped, ranges)
}
