//! Sequence diagrams of a run: one lifeline per host, one arrow per
//! protocol line (or per connection), virtual time on the left, failures
//! (4xx/5xx replies, -ERR, NO/BAD, refused connections, bounces) in red.
//!
//! The words the diagram adds (a connection, a session, a connection that
//! failed) are in English or (`ja`) Japanese, worded as [`super::ja`] words
//! the same events; what the hosts said (commands, replies, DNS) stays as it
//! was on the wire.

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
    /// Sent by the end that opened the exchange (a command, a DNS query,
    /// a connection), not by the server answering it.
    pub request: bool,
    /// Which way mail goes in the exchange, for ordering the lifelines.
    pub flow: Flow,
}

/// Which way the exchange an arrow belongs to moves mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// SMTP (or a connection not known to be anything else): from the
    /// client to the server.
    Send,
    /// POP3 and IMAP: from the server to the client that reads.
    Fetch,
    /// DNS: no mail; servers that only answer DNS go to the right.
    Dns,
}

/// An accepted connection before any reply tells what it is.
fn connect_word(ja: bool) -> &'static str {
    if ja { "接続" } else { "connect" }
}

/// A connection once its protocol is known (`SMTP session`, `SMTP セッション`).
fn session_word(proto: &str, ja: bool) -> String {
    if ja { format!("{proto} セッション") } else { format!("{proto} session") }
}

/// The arrows of a trace, in order, the diagram's own words in English or
/// (`ja`) Japanese.
pub fn arrows(events: &[Event], zoom: Zoom, ja: bool) -> Vec<Arrow> {
    let mut out = Vec::new();
    let t = |e: &Event| super::render::clock(e.t);
    // For the session view: per connection, the first and the worst reply.
    let mut open: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for e in events {
        let line = e.line.clone().unwrap_or_default();
        let peer = e.peer.as_deref().unwrap_or_default().to_string();
        match (zoom, e.kind) {
            (Zoom::Lines, Kind::SmtpCmd | Kind::SmtpData | Kind::Pop3Cmd | Kind::ImapCmd) => out.push(Arrow {
                time: t(e),
                from: peer,
                to: e.host.to_string(),
                text: line,
                failure: false,
                request: true,
                flow: fetch_if(e.kind == Kind::Pop3Cmd || e.kind == Kind::ImapCmd),
            }),
            (Zoom::Lines, Kind::SmtpReply | Kind::Pop3Reply | Kind::ImapReply) => {
                let failure = e.is_failure();
                out.push(Arrow {
                    time: t(e),
                    from: e.host.to_string(),
                    to: peer,
                    text: line,
                    failure,
                    request: false,
                    flow: fetch_if(e.kind != Kind::SmtpReply),
                })
            }
            (_, Kind::DnsQuery) if zoom == Zoom::Lines => out.push(Arrow {
                time: t(e),
                from: peer,
                to: e.host.to_string(),
                text: format!("DNS? {line}"),
                failure: false,
                request: true,
                flow: Flow::Dns,
            }),
            (_, Kind::DnsAnswer) => {
                let failure = e.is_failure();
                let text = if zoom == Zoom::Lines { line } else { format!("DNS {line}") };
                out.push(Arrow {
                    time: t(e),
                    from: e.host.to_string(),
                    to: peer,
                    text,
                    failure,
                    request: false,
                    flow: Flow::Dns,
                })
            }
            (Zoom::Sessions, Kind::TcpAccept) => {
                if let Some(s) = e.session {
                    open.insert(s, out.len());
                    out.push(Arrow {
                        time: t(e),
                        from: peer,
                        to: e.host.to_string(),
                        text: connect_word(ja).to_string(),
                        failure: false,
                        request: true,
                        flow: Flow::Send,
                    });
                }
            }
            (Zoom::Sessions, k @ (Kind::SmtpReply | Kind::Pop3Reply | Kind::ImapReply)) => {
                if let Some(i) = e.session.and_then(|s| open.get(&s)).copied()
                    && let Some(a) = out.get_mut(i)
                {
                    let failure = e.is_failure();
                    let proto = k.name().split('.').next().unwrap_or("").to_ascii_uppercase();
                    if a.text == connect_word(ja) {
                        a.text = session_word(&proto, ja);
                        a.flow = fetch_if(k != Kind::SmtpReply);
                    }
                    if failure && !a.failure {
                        a.failure = true;
                        a.text = format!("{}: {line}", session_word(&proto, ja));
                    }
                }
            }
            (_, Kind::TcpError) => {
                // The host that could not connect is the client; the line is
                // maillab's (`connect to hub [192.0.2.20]:25: …`), so it is read
                // in the diagram's language, the socket's reason as it was.
                out.push(Arrow {
                    time: t(e),
                    from: e.host.to_string(),
                    to: peer,
                    text: e.line_in(ja).into_owned(),
                    failure: true,
                    request: true,
                    flow: Flow::Send,
                })
            }
            _ => {}
        }
    }
    out
}

fn fetch_if(fetch: bool) -> Flow {
    if fetch { Flow::Fetch } else { Flow::Send }
}

/// The hosts, left to right, in the order mail travels: an SMTP client
/// left of its server, a POP3 or IMAP server left of the client that
/// reads from it (the sender's PC, its relay, the hub, the MX, the
/// mailstore, the reader's PC). The pairs are taken in the order they
/// first talk, skipping a pair that would turn an earlier one round (a
/// bounce going back, a list server posting on); hosts that only answer
/// DNS go to the right. Among hosts the pairs leave free, the first to
/// appear comes first.
fn lifelines(arrows: &[Arrow]) -> Vec<String> {
    let mut hosts: Vec<&str> = Vec::new();
    for a in arrows {
        for h in [a.from.as_str(), a.to.as_str()] {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    let at = |h: &str| hosts.iter().position(|x| *x == h).unwrap_or(0);
    let n = hosts.len();
    // before[i][j]: host i goes left of host j.
    let mut before = vec![vec![false; n]; n];
    let mut mail = vec![false; n];
    for a in arrows {
        let (client, server) = if a.request { (at(&a.from), at(&a.to)) } else { (at(&a.to), at(&a.from)) };
        if a.flow != Flow::Dns {
            mail[client] = true;
            mail[server] = true;
        }
        let (l, r) = if a.flow == Flow::Fetch { (server, client) } else { (client, server) };
        if l == r || before[l][r] || before[r][l] {
            continue;
        }
        // Keep the order whole: what is left of `l` is left of `r` and of
        // everything right of it.
        let left: Vec<usize> = (0..n).filter(|&i| i == l || before[i][l]).collect();
        let right: Vec<usize> = (0..n).filter(|&j| j == r || before[r][j]).collect();
        for &i in &left {
            for &j in &right {
                before[i][j] = true;
            }
        }
    }
    // Hosts that take part in mail first, then those that only answer DNS.
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for pass_mail in [true, false] {
        loop {
            let next = (0..n).find(|&j| {
                !placed[j] && mail[j] == pass_mail && (0..n).all(|i| placed[i] || !before[i][j] || mail[i] != pass_mail)
            });
            let Some(j) = next else { break };
            placed[j] = true;
            order.push(hosts[j].to_string());
        }
    }
    // The order has no circles, so every host is placed; this is only a guard.
    order.extend((0..n).filter(|&j| !placed[j]).map(|j| hosts[j].to_string()));
    order
}

fn mm(s: &str) -> String {
    s.replace(';', "#59;").replace('#', "#35;").replace("#35;59;", "#59;").replace('<', "#lt;").replace('>', "#gt;")
}

/// The diagram as a Mermaid `sequenceDiagram`, its words in English or (`ja`) Japanese.
pub fn mermaid(events: &[Event], zoom: Zoom, ja: bool) -> String {
    let arrows = arrows(events, zoom, ja);
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

/// The start of an arrow's text that fits the width of 70 Latin characters,
/// so a Japanese label is cut where an English one as wide would be.
fn fitted(text: &str) -> &str {
    crate::base::textwidth::fit(text, 70.0 * 6.2)
}

/// The diagram as SVG, its words in English or (`ja`) Japanese.
pub fn svg(events: &[Event], zoom: Zoom, ja: bool) -> String {
    let arrows = arrows(events, zoom, ja);
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
        let text = fitted(&a.text);
        let _ = writeln!(
            s,
            "  <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>",
            (x1 + x2) / 2.0,
            y - 4.0,
            xml(text)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::super::{Field, Kind, ev};
    use super::*;

    /// Two connections: one accepted and answered with a refusal, one that
    /// could not be made, and a connection accepted that never got a reply.
    fn run() -> Vec<Event> {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a time");
        vec![
            ev(t, "dept", Kind::TcpAccept).session(1).peer("pc1").line("connection from pc1 [192.0.2.23]:49152"),
            ev(t, "dept", Kind::SmtpReply)
                .session(1)
                .peer("pc1")
                .line("220 dept.example ESMTP")
                .field(Field::Code, 220),
            ev(t, "dept", Kind::SmtpReply)
                .session(1)
                .peer("pc1")
                .line("554 5.7.1 Relay access denied")
                .field(Field::Code, 554),
            ev(t, "dept", Kind::TcpError).peer("hub").line("connect to hub [192.0.2.20]:25: Connection timed out"),
            ev(t, "hub", Kind::TcpAccept).session(2).peer("dept").line("connection from dept [192.0.2.10]:49153"),
        ]
    }

    fn texts(ja: bool) -> Vec<String> {
        arrows(&run(), Zoom::Sessions, ja).into_iter().map(|a| a.text).collect()
    }

    /// In Japanese the diagram's own words are Japanese, worded as the
    /// Japanese trace words the same events; the reply and the socket's
    /// reason stay as they were.
    #[test]
    fn the_diagrams_words_follow_the_language() {
        assert_eq!(
            texts(false),
            [
                "SMTP session: 554 5.7.1 Relay access denied",
                "connect to hub [192.0.2.20]:25: Connection timed out",
                "connect"
            ]
        );
        assert_eq!(
            texts(true),
            [
                "SMTP セッション: 554 5.7.1 Relay access denied",
                "hub [192.0.2.20]:25 に接続できません: Connection timed out",
                "接続"
            ]
        );
        let (en, ja) = (mermaid(&run(), Zoom::Sessions, false), mermaid(&run(), Zoom::Sessions, true));
        assert!(
            en.contains("pc1--xdept:") && ja.contains("pc1--xdept:") && ja.contains("SMTP セッション: 554"),
            "{ja}"
        );
        // A session that went well is just its protocol.
        let fine: Vec<Event> = run().into_iter().take(2).collect();
        assert!(svg(&fine, Zoom::Sessions, true).contains(">SMTP セッション</text>"));
        assert!(svg(&fine, Zoom::Sessions, false).contains(">SMTP session</text>"));
    }

    /// An arrow's text is cut at the width of 70 Latin characters: a
    /// Japanese one earlier, as its characters are wider.
    #[test]
    fn a_long_text_is_cut_by_its_width() {
        assert_eq!(fitted(&"a".repeat(90)), "a".repeat(70));
        let ja = format!("SMTP セッション: {}", "拒".repeat(60));
        let cut = fitted(&ja);
        assert!(ja.starts_with(cut) && cut.chars().count() < 70, "{cut}");
        assert!(crate::base::textwidth::width(cut) <= 70.0 * 6.2);
    }
}
