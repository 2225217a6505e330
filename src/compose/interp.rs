//! Variable interpolation as Docker Compose v2 (compose-go `template`) does it: `$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`,
//! `${VAR+replacement}`, `$$` for a literal `$`, and nesting inside defaults. A `$` followed by anything else
//! stays literal; a `${` that is not closed or holds an invalid name is an error.

use std::collections::HashMap;

/// Where variable values come from: the process (or injected) environment, then `.env`.
pub trait Lookup {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Lookup for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// A variable used without a default that has no value: compose substitutes "".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undefined {
    pub name: String,
    /// Byte range of the `$VAR`/`${VAR}` expression within the input text.
    pub range: std::ops::Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpError {
    /// `${VAR:?message}` or `${VAR?message}` with the variable missing (`:?`: unset or empty).
    Required {
        name: String,
        message: String,
        range: std::ops::Range<usize>,
        /// The variable is set, to the empty string (`${VAR:?message}` only).
        empty: bool,
    },
    /// Malformed `${…}`.
    Invalid { range: std::ops::Range<usize> },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interpolated {
    pub text: String,
    pub undefined: Vec<Undefined>,
    /// A variable with a default (`${X:-d}`, `${X-d}`) decided part of the value.
    pub used_default_var: Option<String>,
    /// Names of every variable referenced.
    pub vars: Vec<String>,
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Fast check before doing any work: most values hold no `$`.
pub fn needs_interpolation(s: &str) -> bool {
    s.as_bytes().contains(&b'$')
}

pub fn interpolate(input: &str, env: &dyn Lookup) -> Result<Interpolated, InterpError> {
    let mut out = Interpolated::default();
    let text = expand(input, 0, env, &mut out)?;
    out.text = text;
    Ok(out)
}

/// Expands `s`, whose first byte is at `base` in the original input (for ranges).
fn expand(
    s: &str,
    base: usize,
    env: &dyn Lookup,
    out: &mut Interpolated,
) -> Result<String, InterpError> {
    let b = s.as_bytes();
    let mut res = String::with_capacity(s.len());
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        res.push_str(&s[lit..i]);
        let start = i;
        match b.get(i + 1) {
            Some(b'$') => {
                res.push('$');
                i += 2;
            }
            Some(&c) if is_name_start(c) => {
                let mut j = i + 1;
                while j < b.len() && is_name_char(b[j]) {
                    j += 1;
                }
                let name = &s[i + 1..j];
                out.vars.push(name.to_string());
                match env.lookup(name) {
                    Some(v) => res.push_str(v),
                    None => out.undefined.push(Undefined {
                        name: name.to_string(),
                        range: base + start..base + j,
                    }),
                }
                i = j;
            }
            Some(b'{') => {
                let close = matching_brace(b, i + 2).ok_or(InterpError::Invalid {
                    range: base + start..base + s.len(),
                })?;
                let inner = &s[i + 2..close];
                let range = base + start..base + close + 1;
                res.push_str(&braced(inner, base + i + 2, range, env, out)?);
                i = close + 1;
            }
            _ => {
                // A lone `$` stays literal.
                res.push('$');
                i += 1;
            }
        }
        lit = i;
    }
    res.push_str(&s[lit..]);
    Ok(res)
}

/// Index of the `}` closing a `${` whose content starts at `from`, counting nested `${`.
fn matching_brace(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    inner: &str,
    inner_base: usize,
    range: std::ops::Range<usize>,
    env: &dyn Lookup,
    out: &mut Interpolated,
) -> Result<String, InterpError> {
    let b = inner.as_bytes();
    let invalid = || InterpError::Invalid {
        range: range.clone(),
    };
    if b.is_empty() || !is_name_start(b[0]) {
        return Err(invalid());
    }
    let mut j = 1;
    while j < b.len() && is_name_char(b[j]) {
        j += 1;
    }
    let name = &inner[..j];
    out.vars.push(name.to_string());
    let rest = &inner[j..];
    let value = env.lookup(name);
    let op_len = if rest.starts_with(":-") || rest.starts_with(":?") || rest.starts_with(":+") {
        2
    } else if rest.starts_with('-') || rest.starts_with('?') || rest.starts_with('+') {
        1
    } else if rest.is_empty() {
        0
    } else {
        return Err(invalid());
    };
    let op = &rest[..op_len];
    let arg = &rest[op_len..];
    let arg_base = inner_base + j + op_len;
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    Ok(match op {
        "" => match value {
            Some(v) => v.to_string(),
            None => {
                out.undefined.push(Undefined {
                    name: name.to_string(),
                    range,
                });
                String::new()
            }
        },
        ":-" | "-" => {
            let use_default = if op == ":-" {
                !set_nonempty
            } else {
                value.is_none()
            };
            out.used_default_var.get_or_insert_with(|| name.to_string());
            if use_default {
                expand(arg, arg_base, env, out)?
            } else {
                value.unwrap_or("").to_string()
            }
        }
        ":?" | "?" => {
            let missing = if op == ":?" {
                !set_nonempty
            } else {
                value.is_none()
            };
            if missing {
                let message = expand(arg, arg_base, env, out)?;
                return Err(InterpError::Required {
                    name: name.to_string(),
                    message,
                    range,
                    empty: value.is_some(),
                });
            }
            value.unwrap_or("").to_string()
        }
        ":+" | "+" => {
            let present = if op == ":+" {
                set_nonempty
            } else {
                value.is_some()
            };
            if present {
                expand(arg, arg_base, env, out)?
            } else {
                String::new()
            }
        }
        _ => return Err(invalid()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(s: &str, e: &HashMap<String, String>) -> String {
        interpolate(s, e).unwrap().text
    }

    /// Every operator on a set, an empty and an unset variable, as `docker-compose config` (Compose
    /// v2.40.3) substitutes them; `ERR` where it refuses the file.
    #[test]
    fn operators_match_compose() {
        let e = env(&[("S", "x"), ("E", "")]);
        let table = [
            ("${V}", ["x", "", ""]),
            ("$V", ["x", "", ""]),
            ("${V:-d}", ["x", "d", "d"]),
            ("${V-d}", ["x", "", "d"]),
            ("${V:+r}", ["r", "", ""]),
            ("${V+r}", ["r", "r", ""]),
            ("${V:?m}", ["x", "ERR", "ERR"]),
            ("${V?m}", ["x", "", "ERR"]),
        ];
        for (expr, want) in table {
            for (var, want) in ["S", "E", "N"].iter().zip(want) {
                let got = match interpolate(&expr.replace('V', var), &e) {
                    Ok(r) => r.text,
                    Err(_) => "ERR".to_string(),
                };
                assert_eq!(got, want, "{expr} with {var}");
            }
        }
    }

    #[test]
    fn forms() {
        let e = env(&[("A", "1"), ("E", "")]);
        assert_eq!(run("$A-${A}", &e), "1-1");
        assert_eq!(run("${E:-d} ${E-d} ${N-d}", &e), "d  d");
        assert_eq!(run("${A:+r}|${E:+r}|${E+r}|${N+r}", &e), "r||r|");
        assert_eq!(run("$${A} $$A", &e), "${A} $A");
        assert_eq!(run("${N:-${M:-z}}", &e), "z");
        assert_eq!(run("a$ b a$1 a$", &e), "a$ b a$1 a$");
        assert_eq!(run("${N:-a}b}", &e), "ab}");
    }

    #[test]
    fn undefined_and_errors() {
        let e = env(&[]);
        let r = interpolate("x:${PORT}:$HOST", &e).unwrap();
        assert_eq!(r.text, "x::");
        assert_eq!(r.undefined[0].name, "PORT");
        assert_eq!(r.undefined[0].range, 2..9);
        assert_eq!(r.undefined[1].range, 10..15);
        assert!(matches!(
            interpolate("${X:?boom}", &e),
            Err(InterpError::Required { .. })
        ));
        assert!(matches!(
            interpolate("${ X}", &e),
            Err(InterpError::Invalid { .. })
        ));
        assert!(matches!(
            interpolate("${X:=y}", &e),
            Err(InterpError::Invalid { .. })
        ));
        assert!(matches!(
            interpolate("a${X", &e),
            Err(InterpError::Invalid { .. })
        ));
        // `:?` refuses an empty value, `?` only an unset one (docker-compose config, Compose v2.40)
        let e = env(&[("E", "")]);
        assert!(matches!(
            interpolate("${E:?m}", &e),
            Err(InterpError::Required { empty: true, .. })
        ));
        assert_eq!(run("<${E?m}>", &e), "<>");
        assert!(matches!(
            interpolate("${N?m}", &e),
            Err(InterpError::Required { empty: false, .. })
        ));
        let e = env(&[]);
        // a default means no undefined finding
        assert!(interpolate("${X:-1}", &e).unwrap().undefined.is_empty());
    }
}
