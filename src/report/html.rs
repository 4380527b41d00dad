//! A self-contained HTML report of a run: the network, a sequence diagram,
//! a filterable table of every event, the transcript of each connection,
//! and each delivered message with its Received: chain read hop by hop.
//! Everything is inline (CSS, script, SVG): the file opens without a network.
//! In English or (`ja`, `maillab run --lang ja --html`) in Japanese: the
//! page's words, and each event's line as [`Event::line_in`] gives it (the
//! expectations' results and maillab's narration; what the hosts said stays
//! as they said it).

use crate::scenario::Scenario;
use crate::trace::Event;
use crate::trace::seq::{self, Zoom};
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = r#"
body { font-family: Helvetica, Arial, sans-serif; margin: 0 2em 3em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
.pass { color: #137333; } .fail { color: #c5221f; font-weight: bold; }
.scroll { overflow-x: auto; border: 1px solid #ddd; padding: 0.5em; background: #fafafa; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left; vertical-align: top; }
td.line { font-family: Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
tr.bad td.line { color: #c5221f; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 12px; }
.decoded { color: #57606a; }
details { margin: 0.4em 0; } summary { cursor: pointer; font-weight: bold; }
.hop { margin: 0.2em 0 0.2em 1em; font-size: 13px; }
#filter { width: 30em; padding: 4px; }
"#;

/// The page's words in English or Japanese.
fn t(ja: bool, en: &'static str, j: &'static str) -> &'static str {
    if ja { j } else { en }
}

/// The filter of the event table and its count (`N of M events`, in the page's language).
const SCRIPT: &str = r#"
(function () {
  var input = document.getElementById('filter');
  var kind = document.getElementById('kind');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#events tbody tr'));
  function apply() {
    var q = input.value.toLowerCase();
    var k = kind.value;
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!k || r.getAttribute('data-kind') === k) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.style.display = ok ? '' : 'none';
      if (ok) { shown++; }
    });
    var ja = document.documentElement.lang === 'ja';
    document.getElementById('count').textContent = ja
      ? rows.length + ' 件中 ' + shown + ' 件'
      : shown + ' of ' + rows.length + ' events';
  }
  input.addEventListener('input', apply);
  kind.addEventListener('change', apply);
  apply();
  document.body.setAttribute('data-ready', 'yes');
})();
"#;

/// The hops of a message, oldest first, from its Received: fields.
fn hops(msg: &str) -> Vec<String> {
    let hs = crate::base::message::headers(msg.as_bytes());
    let mut v: Vec<String> = crate::base::message::values(&hs, "Received").iter().map(|s| s.to_string()).collect();
    v.reverse();
    v
}

/// The report of a run, in English or (`ja`) in Japanese.
pub fn report(sc: &Scenario, events: &[Event], ja: bool) -> String {
    let mut h = String::new();
    let (title, other, description) = if ja {
        (
            sc.title.ja.clone().or_else(|| sc.title.en.clone()).unwrap_or_else(|| sc.name.clone()),
            None,
            sc.description.ja.as_ref().or(sc.description.en.as_ref()),
        )
    } else {
        (
            sc.title.en.clone().or_else(|| sc.title.ja.clone()).unwrap_or_else(|| sc.name.clone()),
            sc.title.ja.as_ref(),
            sc.description.en.as_ref().or(sc.description.ja.as_ref()),
        )
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>maillab: {}</title><style>{STYLE}</style></head><body>\n",
        t(ja, "en", "ja"),
        esc(&sc.name)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    if let Some(o) = other {
        let _ = writeln!(h, "<p lang=\"ja\">{}</p>", esc(o));
    }
    if let Some(d) = description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    let (pass, fail) = (
        events.iter().filter(|e| e.kind == Kind::ExpectPass).count(),
        events.iter().filter(|e| e.kind == Kind::ExpectFail).count(),
    );
    let cls = if fail > 0 { "fail" } else { "pass" };
    let _ = if ja {
        writeln!(
            h,
            "<p><b>期待値:</b> <span class=\"pass\">成立 {pass} 件</span>、<span class=\"{cls}\">不成立 {fail} 件</span></p><ul>"
        )
    } else {
        writeln!(
            h,
            "<p><b>Expectations:</b> <span class=\"pass\">{pass} passed</span>, <span class=\"{cls}\">{fail} failed</span></p><ul>"
        )
    };
    for e in events.iter().filter(|e| matches!(e.kind, Kind::ExpectPass | Kind::ExpectFail)) {
        let cls = if e.kind == Kind::ExpectPass { "pass" } else { "fail" };
        let _ = writeln!(h, "<li class=\"{cls}\">{}</li>", esc(&e.line_in(ja)));
    }
    let _ = write!(h, "</ul>\n<h2>{}</h2>\n<div class=\"scroll\">", t(ja, "Network", "ネットワーク"));
    h.push_str(&crate::report::graph::svg(sc, ja));
    let _ = write!(h, "</div>\n<h2>{}</h2>\n<div class=\"scroll\">", t(ja, "Sequence of connections", "接続の順序"));
    h.push_str(&seq::svg(events, Zoom::Sessions, ja));
    let _ = write!(
        h,
        "</div>\n<details><summary>{}</summary><div class=\"scroll\">",
        t(ja, "Every protocol line", "プロトコルのすべての行")
    );
    h.push_str(&seq::svg(events, Zoom::Lines, ja));
    h.push_str("</div></details>\n");

    // Delivered messages with their path.
    let _ = writeln!(h, "<h2>{}</h2>", t(ja, "Delivered messages", "配送されたメッセージ"));
    for e in events.iter().filter(|e| e.kind == Kind::Deliver) {
        let msg = e.field_str(Field::Message).unwrap_or("");
        let (mailbox, host) = (esc(e.field_str(Field::Mailbox).unwrap_or("?")), esc(&e.host));
        let where_ = if ja {
            format!("{host} のメールボックス {mailbox}")
        } else {
            format!("mailbox {mailbox} on {host}")
        };
        let _ = writeln!(h, "<details open><summary>{} · {where_}</summary>", crate::trace::render::clock(e.t));
        let _ = writeln!(
            h,
            "<p>{}</p>",
            t(
                ja,
                "The path, read from the Received: fields bottom-up (oldest hop first):",
                "経路（Received: フィールドを下から読んだもの、古い中継から）:"
            )
        );
        for (i, r) in hops(msg).iter().enumerate() {
            let by = crate::base::message::received_by(r).unwrap_or_else(|| "?".into());
            let from = r.split_whitespace().nth(1).unwrap_or("?");
            let _ = writeln!(
                h,
                "<div class=\"hop\">{} {}: <b>{}</b> → <b>{}</b> <small>{}</small></div>",
                t(ja, "hop", "中継"),
                i + 1,
                esc(from),
                esc(&by),
                esc(r)
            );
        }
        let lines: Vec<String> = crate::trace::render::header_lines(msg)
            .into_iter()
            .map(|(l, decoded)| if decoded { format!("<i class=\"decoded\">{}</i>", esc(&l)) } else { esc(&l) })
            .collect();
        let _ = writeln!(h, "<pre>{}</pre></details>", lines.join("\n"));
    }

    // Transcripts per connection.
    let _ = writeln!(h, "<h2>{}</h2>", t(ja, "Transcripts", "接続ごとのやりとり"));
    let mut sessions: BTreeMap<u64, Vec<&Event>> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.session.is_some() && (e.kind.is_command() || e.kind.is_reply() || e.kind == Kind::SmtpData))
    {
        sessions.entry(e.session.unwrap_or(0)).or_default().push(e);
    }
    for (s, evs) in &sessions {
        // Server-side events: the host is the server, the peer the client.
        let Some(first) = evs.first() else { continue };
        let (client, server) = (first.peer.as_deref().unwrap_or_default().to_string(), first.host.to_string());
        let n = evs.len();
        let lines = if ja { format!("{n} 行") } else { format!("{n} lines") };
        let _ = writeln!(h, "<details><summary>#{s} {} → {} ({lines})</summary><pre>", esc(&client), esc(&server));
        for e in evs {
            let who = if e.kind.is_reply() { "S" } else { "C" };
            let _ = writeln!(h, "{who}: {}", esc(&e.line_in(ja)));
        }
        h.push_str("</pre></details>\n");
    }

    // The full event table.
    let mut kinds: Vec<&str> = events.iter().filter(|e| e.kind != Kind::Wire).map(|e| e.kind.name()).collect();
    kinds.sort();
    kinds.dedup();
    let _ = write!(
        h,
        "<h2>{}</h2>\n<p><input id=\"filter\" placeholder=\"{}\"> <select id=\"kind\"><option value=\"\">{}</option>",
        t(ja, "Every event", "すべてのイベント"),
        t(ja, "filter: host, text, code…", "絞り込み: ホスト、文字列、コード…"),
        t(ja, "all kinds", "すべての種類")
    );
    for k in &kinds {
        let _ = write!(h, "<option>{}</option>", esc(k));
    }
    let heads = if ja {
        ["時刻", "#", "ホスト", "相手", "種類", "行"]
    } else {
        ["time", "#", "host", "peer", "kind", "line"]
    };
    let _ = write!(h, "</select> <span id=\"count\"></span></p>\n<table id=\"events\"><thead><tr>");
    for x in heads {
        let _ = write!(h, "<th>{x}</th>");
    }
    h.push_str("</tr></thead><tbody>\n");
    for e in events.iter().filter(|e| e.kind != Kind::Wire) {
        let _ = writeln!(
            h,
            "<tr data-kind=\"{}\"{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"line\">{}</td></tr>",
            e.kind,
            if e.is_failure() { " class=\"bad\"" } else { "" },
            crate::trace::render::clock(e.t),
            e.session.map(|s| s.to_string()).unwrap_or_default(),
            esc(&e.host),
            esc(e.peer.as_deref().unwrap_or("")),
            e.kind,
            esc(&e.line_in(ja))
        );
    }
    let _ = write!(h, "</tbody></table>\n<script>{SCRIPT}</script>\n</body></html>\n");
    h
}
