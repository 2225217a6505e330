//! Validation against the Compose Specification JSON schema (`grammar/compose/compose-spec.json`).
//!
//! A small draft-07 validator of our own rather than a JSON-schema crate: it walks the spanned YAML tree, so
//! each error maps straight to the key or value it is about (taplo does the same), and it phrases errors the
//! way a compose user thinks (`unknown key "port" in service "web" — did you mean "ports"?`). It supports the
//! keywords the compose schema uses: `type`, `$ref`, `properties`, `patternProperties`,
//! `additionalProperties`, `required`, `items`, `oneOf`, `anyOf`, `allOf`, `enum`, `pattern`, `minimum`,
//! `maximum`, `uniqueItems`.

use crate::compose::yaml::{Node, Resolved, Value};
use crate::source::Span;
use serde_json::Value as Json;
use std::sync::OnceLock;

static SCHEMA_TEXT: &str = include_str!("../../grammar/compose/compose-spec.json");

fn schema() -> &'static Json {
    static S: OnceLock<Json> = OnceLock::new();
    S.get_or_init(|| {
        serde_json::from_str(SCHEMA_TEXT).expect("vendored compose schema is valid JSON")
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    pub span: Span,
    pub message: String,
}

/// Validates one compose file's root mapping.
pub fn validate(root: &Node) -> Vec<SchemaError> {
    let mut v = Validator {
        root: schema(),
        errors: Vec::new(),
    };
    let mut path = Vec::new();
    v.check(root, schema(), &mut path, None);
    v.errors
}

struct Validator {
    root: &'static Json,
    errors: Vec<SchemaError>,
}

/// One step of the path to a node: a mapping key or a 1-based list position.
#[derive(Clone, Copy)]
enum Seg<'n> {
    Key(&'n str),
    Item(usize),
}

/// Where a node is, in the user's words.
fn describe(path: &[Seg<'_>]) -> String {
    // List positions attach to their parent: `ports[2]`.
    let mut parts: Vec<String> = Vec::with_capacity(path.len());
    for seg in path {
        match seg {
            Seg::Key(k) => parts.push(k.to_string()),
            Seg::Item(i) => match parts.last_mut() {
                Some(last) => last.push_str(&format!("[{i}]")),
                None => parts.push(format!("[{i}]")),
            },
        }
    }
    match parts.as_slice() {
        [] => "the top level".into(),
        [top] => format!("\"{top}\""),
        [kind, name] => format!("{} \"{name}\"", singular(kind)),
        [kind, name, rest @ ..] => {
            let inner = rest.join(".");
            format!("\"{inner}\" of {} \"{name}\"", singular(kind))
        }
    }
}

fn singular(kind: &str) -> &str {
    match kind {
        "services" => "service",
        "networks" => "network",
        "volumes" => "volume",
        "configs" => "config",
        "secrets" => "secret",
        "models" => "model",
        "include" => "include",
        other => other,
    }
}

fn container(path: &[Seg<'_>]) -> String {
    match path {
        [] => "at the top level".into(),
        _ => format!("in {}", describe(path)),
    }
}

fn article(t: &str) -> &'static str {
    match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "true or false",
        "null" => "empty",
        _ => "a value",
    }
}

fn pattern_matches(pattern: &str, s: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    match pattern {
        "^x-" => s.starts_with("x-"),
        "^[a-zA-Z0-9._-]+$" => !s.is_empty() && s.chars().all(name_char),
        "^.+$" | ".+" => !s.is_empty(),
        "^[a-z]+$" => !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase()),
        "[a-zA-Z0-9][a-zA-Z0-9_.-]+" => {
            // Unanchored: somewhere an alphanumeric followed by one more allowed character.
            let b: Vec<char> = s.chars().collect();
            b.windows(2).any(|w| {
                w[0].is_ascii_alphanumeric()
                    && (w[1].is_ascii_alphanumeric() || "_.-".contains(w[1]))
            })
        }
        p if p.starts_with("always|never") => {
            let fixed = [
                "always",
                "never",
                "build",
                "if_not_present",
                "missing",
                "refresh",
                "daily",
                "weekly",
            ];
            // Unanchored alternation: any of these anywhere in the text.
            fixed.iter().any(|f| s.contains(f)) || s.contains("every_")
        }
        // A pattern this validator does not know: accept rather than report a false error.
        _ => true,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let cost = usize::from(ca != b[j]);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggest<'a>(key: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(key, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// Whether the node can be read as `ty`. Interpolated strings count as what their text says, because
/// compose casts them after interpolation.
fn has_type(n: &Node, ty: &str) -> bool {
    let actual = n.type_name();
    if actual == ty || (ty == "number" && actual == "integer") {
        return true;
    }
    if let Value::Scalar(s) = &n.value {
        if s.interpolated {
            return match ty {
                "integer" => s.text.trim().parse::<i64>().is_ok(),
                "number" => s.text.trim().parse::<f64>().is_ok(),
                "boolean" => matches!(s.text.as_str(), "true" | "false" | "True" | "False"),
                _ => false,
            };
        }
    }
    false
}

fn json_eq(n: &Node, j: &Json) -> bool {
    match (n.resolved(), j) {
        (_, Json::String(s)) => n.as_scalar().is_some_and(|x| &x.text == s),
        (Resolved::Int(i), Json::Number(x)) => x.as_i64() == Some(i),
        (Resolved::Bool(b), Json::Bool(x)) => b == *x,
        (Resolved::Null, Json::Null) => n.is_null(),
        _ => false,
    }
}

impl Validator {
    fn resolve(&self, mut s: &'static Json) -> &'static Json {
        for _ in 0..32 {
            match s.get("$ref").and_then(Json::as_str) {
                Some(r) => {
                    let Some(name) = r.strip_prefix("#/definitions/") else {
                        return s;
                    };
                    match self.root.get("definitions").and_then(|d| d.get(name)) {
                        Some(t) => s = t,
                        None => return s,
                    }
                }
                None => return s,
            }
        }
        s
    }

    /// Validates without recording; returns the errors it would report.
    fn trial<'n>(
        &self,
        n: &'n Node,
        s: &'static Json,
        path: &mut Vec<Seg<'n>>,
    ) -> Vec<SchemaError> {
        let mut v = Validator {
            root: self.root,
            errors: Vec::new(),
        };
        v.check(n, s, path, None);
        v.errors
    }

    fn err(&mut self, span: Span, message: String) {
        self.errors.push(SchemaError { span, message });
    }

    fn check<'n>(
        &mut self,
        n: &'n Node,
        s: &'static Json,
        path: &mut Vec<Seg<'n>>,
        key_span: Option<Span>,
    ) {
        let s = self.resolve(s);
        let at = n.head_span();
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Json::String(x) => vec![x.as_str()],
                Json::Array(xs) => xs.iter().filter_map(Json::as_str).collect(),
                _ => vec![],
            };
            if !types.is_empty() && !types.iter().any(|t| has_type(n, t)) {
                let want: Vec<&str> = types.iter().map(|t| article(t)).collect();
                self.err(
                    at,
                    format!(
                        "{} must be {}, not {}",
                        describe(path),
                        want.join(" or "),
                        article(n.type_name())
                    ),
                );
                return;
            }
        }
        if let Some(Json::Array(vals)) = s.get("enum") {
            if !vals.iter().any(|v| json_eq(n, v)) {
                let list: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                self.err(
                    at,
                    format!("{} must be one of {}", describe(path), list.join(", ")),
                );
            }
        }
        if let Some(p) = s.get("pattern").and_then(Json::as_str) {
            if let Some(x) = n.as_scalar() {
                if n.type_name() == "string" && !pattern_matches(p, &x.text) {
                    self.err(
                        at,
                        format!("{} has an invalid value \"{}\"", describe(path), x.text),
                    );
                }
            }
        }
        if let Resolved::Int(i) = n.resolved() {
            if n.as_scalar().is_some() {
                if let Some(min) = s.get("minimum").and_then(Json::as_f64) {
                    if (i as f64) < min {
                        self.err(at, format!("{} must be at least {min}", describe(path)));
                    }
                }
                if let Some(max) = s.get("maximum").and_then(Json::as_f64) {
                    if (i as f64) > max {
                        self.err(at, format!("{} must be at most {max}", describe(path)));
                    }
                }
            }
        }
        if let Some(Json::Array(all)) = s.get("allOf") {
            for sub in all {
                self.check(n, sub, path, key_span);
            }
        }
        for kw in ["oneOf", "anyOf"] {
            if let Some(Json::Array(branches)) = s.get(kw) {
                // Only branches whose type fits the value can match; usually that is exactly one, which is
                // then validated directly (no trial runs, errors point into it).
                let fitting: Vec<&'static Json> = branches
                    .iter()
                    .filter(|b| self.type_matches(n, b))
                    .collect();
                match fitting.as_slice() {
                    [] => {
                        let mut kinds: Vec<&str> =
                            branches.iter().flat_map(|b| self.branch_types(b)).collect();
                        kinds.dedup();
                        self.err(
                            at,
                            format!(
                                "{} must be {}, not {}",
                                describe(path),
                                kinds.join(" or "),
                                article(n.type_name())
                            ),
                        );
                    }
                    [one] => self.check(n, one, path, key_span),
                    several => {
                        let results: Vec<Vec<SchemaError>> =
                            several.iter().map(|b| self.trial(n, b, path)).collect();
                        // oneOf with several matching branches does not occur for values users write in
                        // compose's schema; any match is accepted.
                        if !results.iter().any(Vec::is_empty) {
                            if let Some(best) = results.into_iter().min_by_key(Vec::len) {
                                self.errors.extend(best);
                            }
                        }
                    }
                }
            }
        }
        match &n.value {
            Value::Map(entries) => {
                let props = s.get("properties").and_then(Json::as_object);
                let pattern_props = s.get("patternProperties").and_then(Json::as_object);
                let additional = s.get("additionalProperties");
                if let Some(Json::Array(req)) = s.get("required") {
                    for r in req.iter().filter_map(Json::as_str) {
                        if !entries.iter().any(|e| e.key.text == r) {
                            self.err(
                                key_span.unwrap_or(at),
                                format!("{} needs \"{r}\"", describe(path)),
                            );
                        }
                    }
                }
                for e in entries {
                    let key = &e.key.text;
                    let mut matched = false;
                    path.push(Seg::Key(key));
                    if let Some(sub) = props.and_then(|p| p.get(key)) {
                        matched = true;
                        self.check(&e.value, sub, path, Some(e.key.span));
                    }
                    if let Some(pp) = pattern_props {
                        for (pat, sub) in pp {
                            if pattern_matches(pat, key) {
                                matched = true;
                                self.check(&e.value, sub, path, Some(e.key.span));
                            }
                        }
                    }
                    path.pop();
                    if !matched {
                        match additional {
                            Some(Json::Bool(false)) => {
                                let hint = props
                                    .and_then(|p| suggest(key, p.keys()))
                                    .map(|k| format!(" — did you mean \"{k}\"?"))
                                    .unwrap_or_default();
                                let what = if pattern_props
                                    .is_some_and(|pp| pp.keys().any(|k| k.contains("a-zA-Z0-9")))
                                    && props.is_none()
                                {
                                    format!(
                                        "invalid name \"{key}\" {}: use letters, digits, '.', '_' and '-'",
                                        container(path)
                                    )
                                } else if path.is_empty()
                                    && hint.is_empty()
                                    && ["image", "build"].iter().any(|k| e.value.get(k).is_some())
                                {
                                    // A version-1 file: services at the top level.
                                    format!(
                                        "unknown key \"{key}\" at the top level — a service? Services go under \"services:\""
                                    )
                                } else {
                                    format!("unknown key \"{key}\" {}{hint}", container(path))
                                };
                                self.err(e.key.span, what);
                            }
                            Some(sub @ Json::Object(_)) => {
                                path.push(Seg::Key(key));
                                self.check(&e.value, sub, path, Some(e.key.span));
                                path.pop();
                            }
                            _ => {}
                        }
                    }
                }
            }
            Value::Seq(items) => {
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Seg::Item(i + 1));
                        self.check(item, item_schema, path, None);
                        path.pop();
                    }
                }
                if s.get("uniqueItems") == Some(&Json::Bool(true)) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(t) = item.as_scalar() {
                            if items[..i]
                                .iter()
                                .any(|p| p.as_scalar().is_some_and(|q| q.text == t.text))
                            {
                                self.err(
                                    item.span,
                                    format!("\"{}\" appears twice in {}", t.text, describe(path)),
                                );
                            }
                        }
                    }
                }
            }
            Value::Scalar(_) => {}
        }
    }

    fn type_matches(&self, n: &Node, branch: &'static Json) -> bool {
        let b = self.resolve(branch);
        match b.get("type") {
            None => true,
            Some(Json::String(t)) => has_type(n, t),
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).any(|t| has_type(n, t)),
            _ => true,
        }
    }

    fn branch_types(&self, branch: &'static Json) -> Vec<&'static str> {
        let b = self.resolve(branch);
        match b.get("type") {
            Some(Json::String(t)) => vec![article(t)],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).map(article).collect(),
            _ => vec!["a value"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;
    use crate::source::FileId;

    fn errs(src: &str) -> Vec<String> {
        let d = parse(FileId(0), src).unwrap();
        validate(&d.roots[0])
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn unknown_key_with_suggestion() {
        let e = errs("services:\n  web:\n    image: x\n    port: [\"80\"]\n");
        assert_eq!(
            e,
            vec!["unknown key \"port\" in service \"web\" — did you mean \"ports\"?"]
        );
    }

    #[test]
    fn types_enums_and_valid_files() {
        assert!(errs("services:\n  web:\n    image: x\n    ports: [\"80:80\", {target: 80, published: 8080}]\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: y\n").is_empty());
        let e = errs("services:\n  web:\n    image: x\n    ports: 80\n");
        assert!(e[0].contains("must be a list"), "{e:?}");
        let e = errs(
            "services:\n  web:\n    image: x\n    depends_on:\n      db: {condition: healthy}\n",
        );
        assert!(e[0].contains("must be one of"), "{e:?}");
        let e = errs("web:\n  image: nginx\n");
        assert!(e[0].contains("Services go under"), "{e:?}");
        let e = errs("servics: {}\n");
        assert!(e[0].contains("did you mean \"services\""), "{e:?}");
        assert!(errs("x-anchors: {a: 1}\nservices: {}\n").is_empty());
    }
}
