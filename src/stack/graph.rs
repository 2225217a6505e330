//! `wirelint graph`: the stack as a Mermaid flowchart or a Graphviz DOT digraph — services (with their
//! published ports), nginx → upstream edges, and findings highlighted (red: error, orange: warning).

use super::resolve::{resolve, Resolution};
use super::targets::pass_targets;
use super::Stack;
use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::args::Host;
use crate::source::SourceMap;

/// Output format of `graph`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GraphFormat {
    #[default]
    Mermaid,
    Dot,
}

struct Edge {
    from: usize,
    to: Option<usize>,
    label: String,
    /// Shown when `to` is not a service.
    target_text: String,
    worst: Option<Severity>,
}

fn worst(ds: &[&Diagnostic]) -> Option<Severity> {
    ds.iter().map(|d| d.severity).max()
}

fn id(stack: &Stack, i: usize) -> String {
    let p = &stack.placements[i];
    let raw = format!("{}_{}", stack.project(p).name, stack.name(i));
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn edges(sources: &SourceMap, stack: &Stack, findings: &[Diagnostic]) -> Vec<Edge> {
    let mut out = Vec::new();
    for (i, p) in stack.placements.iter().enumerate() {
        let Some(config) = &p.nginx else { continue };
        for t in pass_targets(sources, config) {
            let (host, r) = match &t.host {
                Host::Name(h) => (h.clone(), resolve(stack, i, h)),
                Host::Ip(ip) if ip.is_loopback() => (ip.to_string(), Resolution::Loopback),
                Host::Ip(ip) => (ip.to_string(), Resolution::Ip),
                _ => continue,
            };
            let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
            let on_edge: Vec<&Diagnostic> = findings
                .iter()
                .filter(|d| {
                    d.span.file == t.host_span.file
                        && d.span.start >= t.directive.start
                        && d.span.end <= t.directive.end
                })
                .collect();
            let codes: Vec<&str> = on_edge.iter().map(|d| d.code).collect();
            let mut label = format!("{} {host}{port}", t.kind.directive());
            if !codes.is_empty() {
                let mut c = codes.clone();
                c.sort_unstable();
                c.dedup();
                label.push_str(&format!(" {}", c.join(" ")));
            }
            let to = match r {
                Resolution::Service { placement, .. } => Some(placement),
                Resolution::Loopback => Some(i).filter(|_| false),
                _ => None,
            };
            out.push(Edge {
                from: i,
                to,
                label,
                target_text: format!("{host}{port}"),
                worst: worst(&on_edge),
            });
        }
    }
    out
}

fn node_label(sources: &SourceMap, stack: &Stack, i: usize) -> String {
    let p = &stack.placements[i];
    let svc = stack.service(p);
    let mut l = svc.name.value.clone();
    if let Some(img) = &p.image {
        l.push_str(&format!("<br/>{}", img.reference));
    }
    for b in &svc.ports {
        l.push_str(&format!(
            "<br/>publishes {}",
            sources.text(b.span).trim_matches('"')
        ));
    }
    l
}

fn node_worst(stack: &Stack, i: usize, findings: &[Diagnostic]) -> Option<Severity> {
    let p = &stack.placements[i];
    let ds: Vec<&Diagnostic> = findings
        .iter()
        .filter(|d| d.severity >= Severity::Warning && super::explain::touches(stack, p, d))
        .collect();
    worst(&ds)
}

pub fn render(
    sources: &SourceMap,
    stack: &Stack,
    findings: &[Diagnostic],
    format: GraphFormat,
) -> String {
    let es = edges(sources, stack, findings);
    match format {
        GraphFormat::Mermaid => mermaid(sources, stack, findings, &es),
        GraphFormat::Dot => dot(sources, stack, findings, &es),
    }
}

fn mermaid(sources: &SourceMap, stack: &Stack, findings: &[Diagnostic], es: &[Edge]) -> String {
    let mut o = String::from("flowchart LR\n");
    for (pi, lp) in stack.projects.iter().enumerate() {
        o.push_str(&format!(
            "  subgraph project_{pi}[\"project {}\"]\n",
            lp.project.name
        ));
        for i in (0..stack.placements.len()).filter(|&i| stack.placements[i].project == pi) {
            let class = match node_worst(stack, i, findings) {
                Some(Severity::Error) => ":::error",
                Some(Severity::Warning) => ":::warning",
                _ => "",
            };
            o.push_str(&format!(
                "    {}[\"{}\"]{class}\n",
                id(stack, i),
                node_label(sources, stack, i).replace('"', "'")
            ));
        }
        o.push_str("  end\n");
    }
    let mut styles = Vec::new();
    for (n, e) in es.iter().enumerate() {
        let link = n;
        let to = match e.to {
            Some(t) => id(stack, t),
            None => {
                let ext = format!("ext{n}");
                o.push_str(&format!("  {ext}((\"{}\"))\n", e.target_text));
                ext
            }
        };
        o.push_str(&format!(
            "  {} -->|\"{}\"| {to}\n",
            id(stack, e.from),
            e.label
        ));
        match e.worst {
            Some(Severity::Error) => {
                styles.push(format!("  linkStyle {link} stroke:#d00,stroke-width:3px\n"))
            }
            Some(Severity::Warning) => {
                styles.push(format!("  linkStyle {link} stroke:#e80,stroke-width:2px\n"))
            }
            _ => {}
        }
    }
    for s in styles {
        o.push_str(&s);
    }
    o.push_str("  classDef error fill:#fdd,stroke:#d00,stroke-width:2px\n");
    o.push_str("  classDef warning fill:#fed,stroke:#e80\n");
    o
}

fn dot(sources: &SourceMap, stack: &Stack, findings: &[Diagnostic], es: &[Edge]) -> String {
    let mut o = String::from(
        "digraph stack {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    for (pi, lp) in stack.projects.iter().enumerate() {
        o.push_str(&format!(
            "  subgraph cluster_{pi} {{\n    label=\"project {}\";\n",
            lp.project.name
        ));
        for i in (0..stack.placements.len()).filter(|&i| stack.placements[i].project == pi) {
            let color = match node_worst(stack, i, findings) {
                Some(Severity::Error) => ", color=\"#dd0000\", style=filled, fillcolor=\"#ffdddd\"",
                Some(Severity::Warning) => {
                    ", color=\"#ee8800\", style=filled, fillcolor=\"#ffeedd\""
                }
                _ => "",
            };
            o.push_str(&format!(
                "    {} [label=\"{}\"{color}];\n",
                id(stack, i),
                node_label(sources, stack, i)
                    .replace("<br/>", "\\n")
                    .replace('"', "'")
            ));
        }
        o.push_str("  }\n");
    }
    for (n, e) in es.iter().enumerate() {
        let to = match e.to {
            Some(t) => id(stack, t),
            None => {
                o.push_str(&format!(
                    "  ext{n} [label=\"{}\", shape=ellipse];\n",
                    e.target_text
                ));
                format!("ext{n}")
            }
        };
        let color = match e.worst {
            Some(Severity::Error) => ", color=\"#dd0000\", penwidth=2",
            Some(Severity::Warning) => ", color=\"#ee8800\"",
            _ => "",
        };
        o.push_str(&format!(
            "  {} -> {to} [label=\"{}\"{color}];\n",
            id(stack, e.from),
            e.label
        ));
    }
    o.push_str("}\n");
    o
}
