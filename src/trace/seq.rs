//! Sequence diagrams of a run: one lifeline per host, one arrow per
//! protocol line (or per connection), virtual time on the left, failures
//! (4xx/5xx replies, -ERR, NO/BAD, refused connections, bounces) in red.

use super::Event;
use super::Kind;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zoom {
    /// Every command, reply and DNS message.
    Lines,
    /// One arrow per connection or DNS exchange, with its outcome.
    Sessions,
}

/// One arrow of the diagram.
#[derive(Clone, Debug)]
pub struct Arrow {
    pub time: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub failure: bool,
}

/// The arrows of a trace, in order.
pub fn arrows(events: &[Event], zoom: Zoom) -> Vec<Arrow> {
    let mut out = Vec::new();
    let t = |e: &Event| super::render::clock(e.t);
    // For the session view: per connection, the first and the worst reply.
    let mut open: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for e in events {
        let line = e.line.clone().unwrap_or_default();
        let peer = e.peer.as_deref().unwrap_or_default().to_string();
        match (zoom, e.kind) {
            (Zoom::Lines, Kind::SmtpCmd | Kind::SmtpData | Kind::Pop3Cmd | Kind::ImapCmd) => {
                out.push(Arrow { time: t(e), from: peer, to: e.host.to_string(), text: line, failure: false })
            }
            (Zoom::Lines, Kind::SmtpReply | Kind::Pop3Reply | Kind::ImapReply) => {
                let failure = e.is_failure();
                out.push(Arrow { time: t(e), from: e.host.to_string(), to: peer, text: line, failure })
            }
            (_, Kind::DnsQuery) if zoom == Zoom::Lines => out.push(Arrow {
                time: t(e),
                from: peer,
                to: e.host.to_string(),
                text: format!("DNS? {line}"),
                failure: false,
            }),
            (_, Kind::DnsAnswer) => {
                let failure = e.is_failure();
                let text = if zoom == Zoom::Lines { line } else { format!("DNS {line}") };
                out.push(Arrow { time: t(e), from: e.host.to_string(), to: peer, text, failure })
            }
            (Zoom::Sessions, Kind::TcpAccept) => {
                if let Some(s) = e.session {
                    open.insert(s, out.len());
                    out.push(Arrow {
                        time: t(e),
                        from: peer,
                        to: e.host.to_string(),
                        text: String::from("connect"),
                        failure: false,
                    });
                }
            }
            (Zoom::Sessions, k @ (Kind::SmtpReply | Kind::Pop3Reply | Kind::ImapReply)) => {
                if let Some(i) = e.session.and_then(|s| open.get(&s)).copied()
                    && let Some(a) = out.get_mut(i)
                {
                    let failure = e.is_failure();
                    let proto = k.name().split('.').next().unwrap_or("").to_ascii_uppercase();
                    if a.text == "connect" {
                        a.text = format!("{proto} session");
                    }
                    if failure && !a.failure {
                        a.failure = true;
                        a.text = format!("{proto} session: {line}");
                    }
                }
            }
            (_, Kind::TcpError) => {
                out.push(Arrow { time: t(e), from: e.host.to_string(), to: peer, text: line, failure: true })
            }
            _ => {}
        }
    }
    out
}

/// Hosts in order of first appearance.
fn lifelines(arrows: &[Arrow]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for a in arrows {
        for h in [&a.from, &a.to] {
            if !v.contains(h) {
                v.push(h.clone());
            }
        }
    }
    v
}

fn mm(s: &str) -> String {
    s.replace(';', "#59;").replace('#', "#35;").replace("#35;59;", "#59;").replace('<', "#lt;").replace('>', "#gt;")
}

pub fn mermaid(events: &[Event], zoom: Zoom) -> String {
    let arrows = arrows(events, zoom);
    let mut s = String::from("sequenceDiagram\n");
    for h in lifelines(&arrows) {
        let _ = writeln!(s, "  participant {}", h.replace(['.', ' ', '-'], "_") + " as " + &h);
    }
    for a in &arrows {
        let arrow = if a.failure { "--x" } else { "->>" };
        let _ = writeln!(
            s,
            "  {}{arrow}{}: {} {}",
            a.from.replace(['.', ' ', '-'], "_"),
            a.to.replace(['.', ' ', '-'], "_"),
            a.time,
            mm(&a.text)
        );
    }
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn svg(events: &[Event], zoom: Zoom) -> String {
    let arrows = arrows(events, zoom);
    let lines = lifelines(&arrows);
    let (left, col, row, top) = (110.0, 230.0, 22.0, 70.0);
    let x = |h: &str| left + lines.iter().position(|l| l == h).unwrap_or(0) as f64 * col + col / 2.0;
    let width = left + lines.len().max(1) as f64 * col + 20.0;
    let height = top + arrows.len() as f64 * row + 40.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
    );
    s.push_str("  <defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker><marker id=\"f\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#c5221f\"/></marker></defs>\n");
    for h in &lines {
        let cx = x(h);
        let _ = writeln!(
            s,
            "  <rect x=\"{:.1}\" y=\"20\" width=\"{:.1}\" height=\"28\" rx=\"4\" fill=\"#e8f0fe\" stroke=\"#333\"/><text x=\"{cx:.1}\" y=\"38\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"12\">{}</text>",
            cx - col / 2.0 + 15.0,
            col - 30.0,
            xml(h)
        );
        let _ = writeln!(
            s,
            "  <line x1=\"{cx:.1}\" y1=\"48\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            height - 20.0
        );
    }
    for (i, a) in arrows.iter().enumerate() {
        let y = top + i as f64 * row;
        let (x1, x2) = (x(&a.from), x(&a.to));
        let colour = if a.failure { "#c5221f" } else { "#444" };
        let marker = if a.failure { "f" } else { "a" };
        let _ = writeln!(s, "  <text x=\"6\" y=\"{:.1}\" fill=\"#666\">{}</text>", y + 4.0, xml(&a.time));
        let _ = writeln!(
            s,
            "  <line x1=\"{x1:.1}\" y1=\"{y:.1}\" x2=\"{x2:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" stroke-width=\"1.3\" marker-end=\"url(#{marker})\"/>"
        );
        let text: String = a.text.chars().take(70).collect();
        let _ = writeln!(
            s,
            "  <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>",
            (x1 + x2) / 2.0,
            y - 4.0,
            xml(&text)
        );
    }
    s.push_str("</svg>\n");
    s
}
