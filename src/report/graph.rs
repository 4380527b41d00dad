//! Pictures of a scenario's network: who forwards to whom, who asks which
//! DNS server, which MX records point where, which clients use which server.
//!
//! The network is built once as a petgraph graph; Graphviz DOT, Mermaid and
//! a self-contained SVG (no Graphviz needed) are rendered from it, in English
//! or (`ja`: `maillab graph --lang ja`, the HTML report of `run --lang ja`) in
//! Japanese. Only the words are translated: host names, roles (the values of
//! `role:`), protocol names, `smarthost` (the key) and MX records stay as the
//! scenario writes them, as in the browser lab's picture.

use crate::proto::dns::RecordData;
use crate::scenario::{Action, Role, Scenario};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub role: Role,
    pub address: String,
    pub hostname: String,
    pub external: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A MUA submits through this server (from the steps).
    Submits,
    /// A MUA reads its mailbox here (POP3/IMAP steps).
    Reads,
    /// Non-local mail goes to this smarthost.
    Smarthost,
    /// An MX record of a domain names this host.
    Mx,
    /// The host asks this DNS server.
    Resolver,
    /// A link with its own latency.
    Link,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub kind: EdgeKind,
    pub label: String,
    /// The label in Japanese where it has words of its own (a link's latency);
    /// `None` where the label is names alone (`SMTP`, `MX 10 example.com.`).
    pub label_ja: Option<String>,
}

pub fn build(sc: &Scenario) -> DiGraph<Node, Edge> {
    let mut g = DiGraph::new();
    let idx: Vec<NodeIndex> = sc
        .hosts
        .iter()
        .map(|h| {
            g.add_node(Node {
                name: h.name.clone(),
                role: h.role,
                address: h.address.to_string(),
                hostname: h.hostname.clone(),
                external: h.external.is_some(),
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut add_in =
        |g: &mut DiGraph<Node, Edge>, a: usize, b: usize, kind: EdgeKind, label: String, ja: Option<String>| {
            if seen.insert((a, b, kind, label.clone())) {
                g.add_edge(idx[a], idx[b], Edge { kind, label, label_ja: ja });
            }
        };
    let mut add = |g: &mut DiGraph<Node, Edge>, a: usize, b: usize, kind: EdgeKind, label: String| {
        add_in(g, a, b, kind, label, None)
    };
    for step in &sc.steps {
        match &step.action {
            Action::Send(s) => add(&mut g, s.mua, s.via, EdgeKind::Submits, "SMTP".into()),
            Action::Fetch(f) => {
                let p = match f.protocol {
                    crate::scenario::FetchProtocol::Pop3 => "POP3",
                    crate::scenario::FetchProtocol::Imap => "IMAP",
                };
                add(&mut g, f.mua, f.server, EdgeKind::Reads, p.into())
            }
            _ => {}
        }
    }
    let by_name: BTreeMap<&str, usize> = sc.hosts.iter().enumerate().map(|(i, h)| (h.hostname.as_str(), i)).collect();
    for (i, h) in sc.hosts.iter().enumerate() {
        if let Some(m) = &h.mta {
            if let Some(s) = m.smarthost {
                add(&mut g, i, s, EdgeKind::Smarthost, "smarthost".into());
            }
            // Final destinations ask DNS only to send bounces; draw the look-ups of forwarders.
            let forwards = !h.role.is_final() || !m.relay_to_domains.is_empty();
            if let Some(r) = m.resolver
                && m.smarthost.is_none()
                && forwards
            {
                add(&mut g, i, r, EdgeKind::Resolver, "DNS".into());
            }
        }
        if let Some(d) = &h.dns {
            for (_, recs) in &d.zones {
                for r in recs {
                    if let RecordData::Mx { preference, exchange } = &r.data
                        && let Some(&t) = by_name.get(exchange.as_str())
                    {
                        add(&mut g, i, t, EdgeKind::Mx, format!("MX {preference} {}", r.name));
                    }
                }
            }
        }
    }
    for (a, b, d) in &sc.links {
        let d = crate::scenario::format_duration(*d);
        add_in(&mut g, *a, *b, EdgeKind::Link, format!("latency {d}"), Some(format!("遅延 {d}")));
    }
    g
}

/// An edge's label in the picture's language.
fn edge_label(e: &Edge, ja: bool) -> &str {
    match (&e.label_ja, ja) {
        (Some(j), true) => j,
        _ => &e.label,
    }
}

fn node_label(n: &Node, ja: bool) -> String {
    let ext = match (n.external, ja) {
        (false, _) => "",
        (true, false) => " (external)",
        (true, true) => "（外部）",
    };
    format!("{} [{}{ext}]\\n{}\\n{}", n.name, n.role.name(), n.hostname, n.address)
}

fn shape(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Mua => ("box", "#e8f0fe"),
        Role::Relay => ("box3d", "#fef7e0"),
        Role::Hub => ("box3d", "#fde7c8"),
        Role::Mx => ("cylinder", "#e6f4ea"),
        Role::Mailstore => ("cylinder", "#d2f0dc"),
        Role::List => ("folder", "#fce8e6"),
        Role::Dns => ("hexagon", "#f3e8fd"),
    }
}

fn edge_style(k: EdgeKind) -> &'static str {
    match k {
        EdgeKind::Submits | EdgeKind::Smarthost => "solid",
        EdgeKind::Reads => "bold",
        EdgeKind::Mx => "dashed",
        EdgeKind::Resolver | EdgeKind::Link => "dotted",
    }
}

/// The picture as Graphviz DOT, its words in English or (`ja`) Japanese.
pub fn dot(sc: &Scenario, ja: bool) -> String {
    let g = build(sc);
    let mut s = format!("digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\", style=filled];\n", sc.name);
    for n in g.node_indices() {
        let node = &g[n];
        let (sh, fill) = shape(node.role);
        let _ = writeln!(s, "  n{} [label=\"{}\", shape={sh}, fillcolor=\"{fill}\"];", n.index(), node_label(node, ja));
    }
    for e in g.edge_references() {
        let _ = writeln!(
            s,
            "  n{} -> n{} [label=\"{}\", style={}];",
            e.source().index(),
            e.target().index(),
            edge_label(e.weight(), ja),
            edge_style(e.weight().kind)
        );
    }
    s.push_str("}\n");
    s
}

/// The picture as a Mermaid flowchart, its words in English or (`ja`) Japanese.
pub fn mermaid(sc: &Scenario, ja: bool) -> String {
    let g = build(sc);
    let mut s = String::from("flowchart LR\n");
    for n in g.node_indices() {
        let node = &g[n];
        let label = node_label(node, ja).replace("\\n", "<br/>");
        let (open, close) = match node.role {
            Role::Mua => ("[", "]"),
            Role::Relay | Role::Hub => ("[[", "]]"),
            Role::Mx | Role::Mailstore => ("[(", ")]"),
            Role::List => ("[/", "/]"),
            Role::Dns => ("{{", "}}"),
        };
        let _ = writeln!(s, "  n{}{open}\"{label}\"{close}", n.index());
    }
    for e in g.edge_references() {
        let arrow = match e.weight().kind {
            EdgeKind::Mx => "-.->",
            EdgeKind::Resolver | EdgeKind::Link => "-.-",
            EdgeKind::Reads => "==>",
            _ => "-->",
        };
        let _ = writeln!(
            s,
            "  n{} {arrow}|\"{}\"| n{}",
            e.source().index(),
            edge_label(e.weight(), ja),
            e.target().index()
        );
    }
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A left-to-right layered SVG: clients, relays, hubs, then MX hosts and
/// mailstores, then list servers; DNS servers in a band above, with the look-ups and MX
/// records as curves up and down. Its words are in English or (`ja`) Japanese.
pub fn svg(sc: &Scenario, ja: bool) -> String {
    let g = build(sc);
    let band = |r: Role| match r {
        Role::Mua => 0,
        Role::Relay => 1,
        Role::Hub => 2,
        Role::Mx | Role::Mailstore => 3,
        // A list server sits behind the mail servers it sends through.
        Role::List => 4,
        Role::Dns => 5,
    };
    let used: Vec<usize> = (0..5).filter(|c| g.node_indices().any(|n| band(g[n].role) == *c)).collect();
    let col_of = |c: usize| used.iter().position(|u| *u == c).unwrap_or(0);
    let longest = g.node_indices().map(|n| g[n].hostname.len().max(g[n].name.len() + 12)).max().unwrap_or(20);
    let (w, h, gx, gy, left) = ((7.0 * longest as f64 + 20.0).max(190.0), 64.0, 110.0, 36.0, 30.0);
    let has_dns = g.node_indices().any(|n| g[n].role == Role::Dns);
    let top = if has_dns { 50.0 + h + 80.0 } else { 50.0 };
    let mut rows = vec![0usize; used.len().max(1)];
    let mut dns_count = 0usize;
    let mut pos = BTreeMap::new();
    for n in g.node_indices() {
        let c = band(g[n].role);
        if c == 5 {
            let x = left + (used.len().saturating_sub(1) as f64 / 2.0 + dns_count as f64) * (w + gx) * 0.9;
            pos.insert(n, (x, 50.0));
            dns_count += 1;
            continue;
        }
        let col = col_of(c);
        let x = left + col as f64 * (w + gx);
        let y = top + rows[col] as f64 * (h + gy);
        rows[col] += 1;
        pos.insert(n, (x, y));
    }
    let max_x = pos.values().map(|p| p.0).fold(0.0, f64::max) + w + left;
    let max_y = pos.values().map(|p| p.1).fold(0.0, f64::max) + h + 30.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{max_x:.0}\" height=\"{max_y:.0}\" viewBox=\"0 0 {max_x:.0} {max_y:.0}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    );
    s.push_str("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n");
    let _ = writeln!(s, "  <text x=\"{left}\" y=\"26\" font-size=\"16\" font-weight=\"bold\">{}</text>", xml(&sc.name));
    let mut labels = String::new();
    for e in g.edge_references() {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(&e.source()), pos.get(&e.target())) else { continue };
        // Anchor points and bezier control points.
        let vertical = matches!(e.weight().kind, EdgeKind::Resolver | EdgeKind::Mx);
        let (ax, ay, bx, by, c1, c2) = if vertical {
            // Up to the DNS band or down from it.
            let (ay, by) = if y2 < y1 { (y1, y2 + h) } else { (y1 + h, y2) };
            let (ax, bx) = (x1 + w / 2.0, x2 + w / 2.0);
            let mid = (ay + by) / 2.0;
            (ax, ay, bx, by, (ax, mid), (bx, mid))
        } else if x2 >= x1 {
            let (ax, ay, bx, by) = (x1 + w, y1 + h / 2.0, x2, y2 + h / 2.0);
            let mid = (ax + bx) / 2.0;
            (ax, ay, bx, by, (mid, ay), (mid, by))
        } else {
            let (ax, ay, bx, by) = (x1, y1 + h / 2.0, x2 + w, y2 + h / 2.0);
            let mid = (ax + bx) / 2.0;
            (ax, ay, bx, by, (mid, ay), (mid, by))
        };
        let dash = match e.weight().kind {
            EdgeKind::Mx => " stroke-dasharray=\"6 4\"",
            EdgeKind::Resolver | EdgeKind::Link => " stroke-dasharray=\"2 3\"",
            _ => "",
        };
        let marker = if matches!(e.weight().kind, EdgeKind::Link) { "" } else { " marker-end=\"url(#arrow)\"" };
        let _ = writeln!(
            s,
            "  <path d=\"M {ax:.1} {ay:.1} C {:.1} {:.1}, {:.1} {:.1}, {bx:.1} {by:.1}\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.4\"{dash}{marker}/>",
            c1.0, c1.1, c2.0, c2.1
        );
        // The label sits a third of the way along, on a white patch.
        let t: f64 = 0.35;
        let bez = |p0: f64, p1: f64, p2: f64, p3: f64| {
            (1.0 - t).powi(3) * p0 + 3.0 * (1.0 - t).powi(2) * t * p1 + 3.0 * (1.0 - t) * t * t * p2 + t.powi(3) * p3
        };
        let (lx, ly) = (bez(ax, c1.0, c2.0, bx), bez(ay, c1.1, c2.1, by));
        let text = edge_label(e.weight(), ja);
        let tw = crate::base::textwidth::width(text) + 6.0;
        let _ = writeln!(
            labels,
            "  <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{tw:.1}\" height=\"15\" fill=\"white\" opacity=\"0.85\"/><text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\" font-size=\"11\">{}</text>",
            lx - tw / 2.0,
            ly - 11.0,
            ly,
            xml(text)
        );
    }
    // Labels go under the boxes, so a crowded label never hides a host's name.
    s.push_str(&labels);
    for n in g.node_indices() {
        let node = &g[n];
        let (x, y) = pos[&n];
        let (_, fill) = shape(node.role);
        let rx = if matches!(node.role, Role::Mx | Role::Mailstore) { 14 } else { 4 };
        let dash = if node.external { " stroke-dasharray=\"4 3\"" } else { "" };
        let _ = writeln!(
            s,
            "  <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{h}\" rx=\"{rx}\" fill=\"{fill}\" stroke=\"#333\"{dash}/>"
        );
        let lines = [format!("{} ({})", node.name, node.role.name()), node.hostname.clone(), node.address.clone()];
        for (k, l) in lines.iter().enumerate() {
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = writeln!(
                s,
                "  <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{weight}>{}</text>",
                x + w / 2.0,
                y + 20.0 + k as f64 * 16.0,
                xml(l)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_chain_edges() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml");
        let sc = crate::scenario::load_file(&path).expect("loads");
        let g = build(&sc);
        let edges: Vec<(String, String, EdgeKind)> = g
            .edge_references()
            .map(|e| (g[e.source()].name.clone(), g[e.target()].name.clone(), e.weight().kind))
            .collect();
        assert!(edges.contains(&("pc1".into(), "dept".into(), EdgeKind::Submits)));
        assert!(edges.contains(&("dept".into(), "hub".into(), EdgeKind::Smarthost)));
        assert!(edges.contains(&("ns".into(), "mx".into(), EdgeKind::Mx)));
        assert!(edges.contains(&("hub".into(), "ns".into(), EdgeKind::Resolver)));
        let d = dot(&sc, false);
        assert!(d.starts_with("digraph \"relay-chain\"") && d.contains("MX 10 example.com"));
        assert!(mermaid(&sc, false).starts_with("flowchart LR"));
        let svg = svg(&sc, false);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // One box per host (labels have white patches of their own).
        assert_eq!(svg.matches("rx=").count(), sc.hosts.len());
    }

    /// In Japanese every format words a link's latency and an external host
    /// in Japanese, and nothing else changes: names, roles, protocols and MX
    /// records are the scenario's.
    #[test]
    fn the_japanese_picture_has_japanese_words() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let sc = crate::scenario::load_file(&root.join("scenarios/relay-chain.yaml")).expect("loads");
        for (en, ja) in [(dot(&sc, false), dot(&sc, true)), (mermaid(&sc, false), mermaid(&sc, true))] {
            assert!(en.contains("latency 40ms") && !en.contains("遅延"), "{en}");
            assert!(ja.contains("遅延 40ms") && !ja.contains("latency"), "{ja}");
            assert_eq!(en.replace("latency 40ms", "遅延 40ms"), ja);
        }
        let (en, ja) = (svg(&sc, false), svg(&sc, true));
        assert!(ja.contains(">遅延 40ms</text>") && !ja.contains("latency"), "{ja}");
        // The white patch under the label is as wide as its two kanji and five letters.
        let patch = |s: &str, label: &str| -> f64 {
            let line = s.lines().find(|l| l.contains(&format!(">{label}</text>"))).expect("the label");
            let w = line.split("width=\"").nth(1).and_then(|r| r.split('"').next()).expect("a width");
            w.parse().expect("a number")
        };
        assert_eq!(patch(&en, "latency 40ms"), 6.2 * 12.0 + 6.0);
        assert_eq!(patch(&ja, "遅延 40ms"), 11.0 * 2.0 + 6.2 * 5.0 + 6.0);

        // A host played by a real server (the shipped lab of serve.md's "Joining two machines").
        let src = std::fs::read_to_string(root.join("labs/join-a.yaml")).expect("the lab");
        let sc = crate::scenario::load_str(&src, "join-a.yaml").expect("loads");
        for (en, ja) in [(dot(&sc, false), dot(&sc, true)), (mermaid(&sc, false), mermaid(&sc, true))] {
            assert!(en.contains("mail-net [mx (external)]") && !en.contains("外部"), "{en}");
            assert!(ja.contains("mail-net [mx（外部）]") && !ja.contains("external"), "{ja}");
        }
    }
}
