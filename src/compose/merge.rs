//! Merging compose files (and `extends`) per the Compose Specification's merge rules: mappings merge
//! key by key, scalars are replaced, `command`/`entrypoint`/`healthcheck.test` are replaced whole, list-or-map
//! fields (`environment`, `labels`, `depends_on`, `networks`, …) merge as mappings, other lists are appended
//! without repeats; `ports` and `volumes` are then de-duplicated by the model on their identity (host ip,
//! published, target, protocol / target). `!override` replaces, `!reset` removes.

use crate::compose::yaml::{Entry, Key, Node, Scalar, Style, Value};

/// Service keys whose list is replaced, not appended.
fn replaces(path: &[String]) -> bool {
    match path {
        [s, _, k] if s == "services" => matches!(k.as_str(), "command" | "entrypoint"),
        [s, _, h, t] if s == "services" => h == "healthcheck" && t == "test",
        _ => false,
    }
}

/// Service keys that are a list of `KEY=VALUE` (or names) or a mapping, merged as a mapping.
fn map_like(path: &[String]) -> Option<char> {
    match path {
        [s, _, k] if s == "services" => match k.as_str() {
            "environment" | "labels" | "annotations" | "sysctls" => Some('='),
            "extra_hosts" => Some('h'),
            "depends_on" | "networks" => Some(' '),
            _ => None,
        },
        [s, _, b, k] if s == "services" && b == "build" => {
            matches!(k.as_str(), "args" | "labels").then_some('=')
        }
        _ => None,
    }
}

/// A list form turned into mapping form, each key and value keeping the item's span.
fn to_map(n: Node, sep: char) -> Node {
    let Value::Seq(items) = n.value else {
        return n;
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Some(s) = item.as_scalar() else { continue };
        let (k, v) = match sep {
            '=' => match s.text.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (s.text.clone(), None),
            },
            'h' => match s.text.split_once('=').or_else(|| s.text.split_once(':')) {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (s.text.clone(), None),
            },
            _ => (s.text.clone(), None),
        };
        let value = Node {
            value: Value::Scalar(Scalar {
                text: v.clone().unwrap_or_default(),
                style: if v.is_some() {
                    Style::DoubleQuoted
                } else {
                    Style::Plain
                },
                interpolated: s.interpolated,
                original: None,
            }),
            span: item.span,
            tag: None,
        };
        entries.push(Entry {
            key: Key {
                text: k,
                span: item.span,
            },
            value,
        });
    }
    Node {
        value: Value::Map(entries),
        span: n.span,
        tag: n.tag,
    }
}

/// Merges `over` into `base`. `path` is the key path of both (`["services", "web", "ports"]`).
pub fn merge(base: Node, over: Node, path: &mut Vec<String>) -> Node {
    if over.has_tag("!override") {
        return Node { tag: None, ..over };
    }
    let (base, over) = match map_like(path) {
        Some(sep) if matches!(base.value, Value::Seq(_)) != matches!(over.value, Value::Seq(_)) => {
            (to_map(base, sep), to_map(over, sep))
        }
        _ => (base, over),
    };
    match (base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => Node {
            value: Value::Map(merge_maps(b, o, path)),
            span: over.span,
            tag: over.tag,
        },
        (Value::Seq(b), Value::Seq(o)) if !replaces(path) => {
            let mut items = b;
            for item in o {
                let dup = match &item.value {
                    Value::Scalar(s) => items
                        .iter()
                        .any(|x| x.as_scalar().is_some_and(|y| y.text == s.text)),
                    _ => false,
                };
                if !dup {
                    items.push(item);
                }
            }
            Node {
                value: Value::Seq(items),
                span: over.span,
                tag: over.tag,
            }
        }
        (_, ov) => Node {
            value: ov,
            span: over.span,
            tag: over.tag,
        },
    }
}

fn merge_maps(mut base: Vec<Entry>, over: Vec<Entry>, path: &mut Vec<String>) -> Vec<Entry> {
    // Index for large mappings (thousands of services).
    let mut index: std::collections::HashMap<String, usize> = base
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.text.clone(), i))
        .collect();
    let mut removed = Vec::new();
    for e in over {
        if e.value.has_tag("!reset") {
            if let Some(&i) = index.get(&e.key.text) {
                removed.push(i);
            }
            continue;
        }
        match index.get(&e.key.text) {
            Some(&i) => {
                let placeholder = Node {
                    value: Value::Seq(Vec::new()),
                    span: e.value.span,
                    tag: None,
                };
                let old = std::mem::replace(&mut base[i].value, placeholder);
                path.push(e.key.text.clone());
                base[i].value = merge(old, e.value, path);
                path.pop();
                // The key written last is where the value now comes from.
                base[i].key.span = e.key.span;
            }
            None => {
                index.insert(e.key.text.clone(), base.len());
                base.push(e);
            }
        }
    }
    if !removed.is_empty() {
        removed.sort_unstable();
        for i in removed.into_iter().rev() {
            base.remove(i);
        }
    }
    base
}

/// Drops entries tagged `!reset` that had nothing to reset, as compose does within one file.
pub fn strip_resets(n: &mut Node) {
    match &mut n.value {
        Value::Map(entries) => {
            entries.retain(|e| !e.value.has_tag("!reset"));
            for e in entries {
                strip_resets(&mut e.value);
            }
        }
        Value::Seq(items) => {
            items.retain(|i| !i.has_tag("!reset"));
            for i in items {
                strip_resets(i);
            }
        }
        Value::Scalar(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;
    use crate::source::FileId;

    fn m(a: &str, b: &str) -> Node {
        let a = parse(FileId(0), a).unwrap().roots.remove(0);
        let b = parse(FileId(1), b).unwrap().roots.remove(0);
        let mut n = merge(a, b, &mut Vec::new());
        strip_resets(&mut n);
        n
    }

    #[test]
    fn services_merge() {
        let n = m(
            "services:\n  web:\n    image: a\n    command: [x, y]\n    ports: ['80:80']\n    environment: [A=1]\n",
            "services:\n  web:\n    image: b\n    command: [z]\n    ports: ['80:80', '81:81']\n    environment: {B: 2}\n",
        );
        let web = n.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("image").unwrap().as_str(), Some("b"));
        assert_eq!(web.get("image").unwrap().span.file, FileId(1));
        assert_eq!(web.get("command").unwrap().as_seq().unwrap().len(), 1);
        assert_eq!(web.get("ports").unwrap().as_seq().unwrap().len(), 2);
        let env = web.get("environment").unwrap();
        assert_eq!(env.get("A").unwrap().as_str(), Some("1"));
        assert_eq!(env.get("B").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn reset_and_override() {
        let n = m(
            "services:\n  web:\n    image: a\n    ports: ['80:80']\n    dns: [1.1.1.1]\n",
            "services:\n  web:\n    ports: !reset []\n    dns: !override [8.8.8.8]\n",
        );
        let web = n.get("services").unwrap().get("web").unwrap();
        assert!(web.get("ports").is_none());
        assert_eq!(web.get("dns").unwrap().as_seq().unwrap().len(), 1);
    }
}
