//! `wirelint explain` for php-fpm: every pool's effective directives with the file and line that set them
//! and the values they overrode.

use super::{Assignment, EffectiveDirective, ListenAddress, Loaded, PoolSet};
use crate::source::SourceMap;
use serde_json::{json, Value};

fn place(sources: &SourceMap, a: &Assignment) -> (String, usize) {
    let loc = sources.location(a.line);
    (loc.file, loc.line)
}

/// The directory all of a set's own files share (`docker/php/`), so provenance can name files briefly.
fn common_dir(sources: &SourceMap, set: &PoolSet) -> String {
    let names: Vec<&str> = set
        .files
        .iter()
        .map(|f| sources.get(*f).name.as_str())
        .filter(|n| !n.starts_with('<'))
        .collect();
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut base = first.rfind('/').map_or("", |i| &first[..=i]);
    for n in &names[1..] {
        while !n.starts_with(base) {
            let trimmed = &base[..base.len() - 1];
            base = trimmed.rfind('/').map_or("", |i| &trimmed[..=i]);
        }
    }
    base.to_string()
}

fn provenance(sources: &SourceMap, base: &str, d: &EffectiveDirective) -> String {
    let short = |a: &Assignment| {
        let (file, line) = place(sources, a);
        format!("{}:{line}", file.strip_prefix(base).unwrap_or(&file))
    };
    let mut out = short(d.winner());
    for a in d.overridden().iter().rev() {
        out.push_str(&format!("; overrides {} {:?}", short(a), a.shown()));
    }
    out
}

fn listen_note(set: &PoolSet, pool: &super::EffectivePool) -> Option<String> {
    let (addr, _) = set.listen(pool)?;
    Some(match addr {
        ListenAddress::AllAddresses { port } => format!("every address, port {port}"),
        ListenAddress::Tcp { host, port } if addr.is_loopback() => {
            format!("loopback {host} port {port}: only this container/host can connect")
        }
        ListenAddress::Tcp { host, port } => format!("address {host}, port {port}"),
        ListenAddress::Unix { path } => format!("unix socket {path}"),
    })
}

pub fn human(sources: &SourceMap, loaded: &Loaded) -> String {
    let mut out = String::new();
    for set in &loaded.sets {
        out.push_str(&format!(
            "php-fpm configuration {} ({} files, in load order):\n",
            set.label,
            set.files.len()
        ));
        for (i, f) in set.files.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, sources.get(*f).name));
        }
        if let Some(image) = &set.image {
            out.push_str(&format!("image: {} ({})\n", image.image, image.reason));
        }
        if let Some(prefix) = &set.prefix {
            out.push_str(&format!("prefix: {prefix}\n"));
        }
        let base = common_dir(sources, set);
        if !base.is_empty() {
            out.push_str(&format!("(file names below are relative to {base})\n"));
        }
        let width = |ds: &[EffectiveDirective]| {
            ds.iter()
                .map(|d| d.key.len() + 3 + d.winner().shown().len())
                .max()
                .unwrap_or(0)
        };
        if !set.global.is_empty() {
            out.push_str("\n[global]\n");
            let w = width(&set.global);
            for d in &set.global {
                let text = format!("{} = {}", d.key, d.winner().shown());
                out.push_str(&format!(
                    "  {text:<w$}   ({})\n",
                    provenance(sources, &base, d)
                ));
            }
        }
        for pool in &set.pools {
            let defined: Vec<String> = pool
                .sections
                .iter()
                .map(|s| {
                    let l = sources.location(*s);
                    format!(
                        "{}:{}",
                        l.file.strip_prefix(base.as_str()).unwrap_or(&l.file),
                        l.line
                    )
                })
                .collect();
            out.push_str(&format!(
                "\n[{}]   (sections: {})\n",
                pool.name,
                defined.join(", ")
            ));
            let w = width(&pool.directives);
            for d in &pool.directives {
                let text = format!("{} = {}", d.key, d.winner().shown());
                out.push_str(&format!(
                    "  {text:<w$}   ({})\n",
                    provenance(sources, &base, d)
                ));
            }
            match listen_note(set, pool) {
                Some(note) => out.push_str(&format!("  => listens on {note}\n")),
                None if pool.get("listen").is_none() => {
                    out.push_str("  => no listen address: php-fpm refuses to start this pool\n")
                }
                None => out.push_str("  => listen address depends on the environment\n"),
            }
        }
        out.push('\n');
    }
    out
}

fn directive_json(sources: &SourceMap, d: &EffectiveDirective) -> Value {
    let w = d.winner();
    let (file, line) = place(sources, w);
    json!({
        "key": d.key,
        "value": w.value,
        "raw": w.raw,
        "file": file,
        "line": line,
        "overrides": d.overridden().iter().rev().map(|a| {
            let (file, line) = place(sources, a);
            json!({"value": a.value, "raw": a.raw, "file": file, "line": line})
        }).collect::<Vec<_>>(),
    })
}

pub fn json(sources: &SourceMap, loaded: &Loaded) -> String {
    let sets: Vec<Value> = loaded
        .sets
        .iter()
        .map(|set| {
            json!({
                "label": set.label,
                "main": set.main.map(|m| sources.get(m).name.clone()),
                "prefix": set.prefix,
                "image": set.image.as_ref().map(|i| json!({"image": i.image, "reason": i.reason})),
                "files": set.files.iter().map(|f| sources.get(*f).name.clone()).collect::<Vec<_>>(),
                "global": set.global.iter().map(|d| directive_json(sources, d)).collect::<Vec<_>>(),
                "pools": set.pools.iter().map(|p| json!({
                    "name": p.name,
                    "sections": p.sections.iter().map(|s| {
                        let l = sources.location(*s);
                        json!({"file": l.file, "line": l.line})
                    }).collect::<Vec<_>>(),
                    "listen": listen_note(set, p),
                    "directives": p.directives.iter().map(|d| directive_json(sources, d)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "php_fpm": sets })).unwrap_or_default();
    text.push('\n');
    text
}
