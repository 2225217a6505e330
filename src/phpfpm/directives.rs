//! The keys php-fpm knows, per section, from `grammar/phpfpm/directives.tsv` (php-src `fpm_conf.c`).

use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Global,
    Pool,
    /// `php_value[…]` and friends: pool sections only.
    Array,
}

/// How php-fpm parses the value (`fpm_conf_set_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    Integer,
    Time,
    Boolean,
    Pm,
    LogLevel,
    RlimitCore,
    SyslogFacility,
    Array,
    FlagArray,
}

#[derive(Clone, Debug)]
pub struct Directive {
    pub section: Section,
    pub name: &'static str,
    pub ty: ValueType,
}

const TABLE: &str = include_str!("../../grammar/phpfpm/directives.tsv");

pub fn all() -> &'static [Directive] {
    static CELL: OnceLock<Vec<Directive>> = OnceLock::new();
    CELL.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut cols = l.split('\t');
                let section = match cols.next()? {
                    "global" => Section::Global,
                    "pool" => Section::Pool,
                    "array" => Section::Array,
                    _ => return None,
                };
                let name = cols.next()?;
                let ty = match cols.next()? {
                    "string" => ValueType::String,
                    "integer" => ValueType::Integer,
                    "time" => ValueType::Time,
                    "boolean" => ValueType::Boolean,
                    "pm" => ValueType::Pm,
                    "log_level" => ValueType::LogLevel,
                    "rlimit_core" => ValueType::RlimitCore,
                    "syslog_facility" => ValueType::SyslogFacility,
                    "array" => ValueType::Array,
                    "flag_array" => ValueType::FlagArray,
                    _ => return None,
                };
                Some(Directive { section, name, ty })
            })
            .collect()
    })
}

/// A plain key in a section (case-insensitive, as `strcasecmp` in php-fpm).
pub fn find(section: Section, key: &str) -> Option<&'static Directive> {
    all()
        .iter()
        .find(|d| d.section == section && d.name.eq_ignore_ascii_case(key))
}

/// An array name (`php_value`), compared exactly as php-fpm does.
pub fn find_array(name: &str) -> Option<&'static Directive> {
    all()
        .iter()
        .find(|d| d.section == Section::Array && d.name == name)
}

/// Why a value is rejected by php-fpm's parser for `ty`, in php-fpm's words.
pub fn check_value(ty: ValueType, value: &str) -> Option<&'static str> {
    let integer = |v: &str| {
        v.char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '-'))
    };
    match ty {
        ValueType::String | ValueType::Array => None,
        ValueType::Integer => {
            (!integer(value)).then_some("is not a valid number (greater or equal than zero)")
        }
        ValueType::Time => {
            let Some(last) = value.chars().last() else {
                return Some("invalid time value");
            };
            (!(last.is_ascii_digit() || "smhd".contains(last)))
                .then_some("unknown suffix used in time value")
        }
        ValueType::Boolean | ValueType::FlagArray => {
            // PHP 8.2 accepts "1", "0" and "" (measured; newer branches drop "0").
            (!matches!(value, "1" | "0" | "")).then_some("invalid boolean value")
        }
        ValueType::Pm => (!["static", "dynamic", "ondemand"]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(value)))
        .then_some("invalid process manager (static, dynamic or ondemand)"),
        ValueType::LogLevel => (!["debug", "notice", "warning", "warn", "error", "alert"]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(value)))
        .then_some("invalid value for 'log_level'"),
        ValueType::RlimitCore => {
            if value.eq_ignore_ascii_case("unlimited") {
                None
            } else if !integer(value) {
                Some("is not a valid number (greater or equal than zero)")
            } else if value.starts_with('-') && value != "-" && value != "-0" {
                Some("must be greater than zero or 'unlimited'")
            } else {
                None
            }
        }
        ValueType::SyslogFacility => {
            const F: &[&str] = &[
                "AUTH", "AUTHPRIV", "CRON", "DAEMON", "FTP", "KERN", "LPR", "MAIL", "NEWS",
                "SYSLOG", "USER", "UUCP", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4",
                "LOCAL5", "LOCAL6", "LOCAL7",
            ];
            (!F.iter().any(|f| f.eq_ignore_ascii_case(value))).then_some("invalid value")
        }
    }
}

/// The closest known key in `section`, for "did you mean".
pub fn suggest(section: Section, key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    let names = all().iter().filter(|d| {
        d.section == section || (section == Section::Pool && d.section == Section::Array)
    });
    let mut best: Option<(usize, &'static str)> = None;
    for d in names {
        let dist = levenshtein(&key, d.name);
        let limit = (d.name.len() / 3).clamp(1, 3);
        if dist <= limit && !matches!(best, Some((b, _)) if b <= dist) {
            best = Some((dist, d.name));
        }
    }
    best.map(|(_, n)| n)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_matches_php_fpm_parsers() {
        assert!(all().len() > 60);
        assert_eq!(find(Section::Pool, "LISTEN").unwrap().ty, ValueType::String);
        assert!(find(Section::Global, "listen").is_none());
        assert!(find_array("php_value").is_some());
        assert!(find_array("PHP_VALUE").is_none());
        // Measured with php-fpm8.2 -tt.
        assert!(check_value(ValueType::Integer, "abc").is_some());
        assert!(check_value(ValueType::Integer, "").is_none());
        assert!(check_value(ValueType::Time, "30x").is_some());
        assert!(check_value(ValueType::Time, "30s").is_none());
        assert!(check_value(ValueType::Boolean, "0").is_none());
        assert!(check_value(ValueType::Boolean, "2").is_some());
        assert!(check_value(ValueType::Time, "").is_some());
        assert!(check_value(ValueType::Pm, "Static").is_none());
        assert_eq!(
            suggest(Section::Pool, "pm.max_childs"),
            Some("pm.max_children")
        );
        assert_eq!(suggest(Section::Pool, "lisen"), Some("listen"));
        assert_eq!(suggest(Section::Pool, "zzzzzz"), None);
    }
}
