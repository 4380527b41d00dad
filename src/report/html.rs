//! A self-contained HTML report of a run: the network, a sequence diagram,
//! a filterable table of every event, the transcript of each connection,
//! and each delivered message with its Received: chain read hop by hop.
//! Everything is inline (CSS, script, SVG): the file opens without a network.

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
    document.getElementById('count').textContent = shown + ' of ' + rows.length + ' events';
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

pub fn report(sc: &Scenario, events: &[Event]) -> String {
    let mut h = String::new();
    let title = sc.title.en.clone().or_else(|| sc.title.ja.clone()).unwrap_or_else(|| sc.name.clone());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>maillab: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&sc.name)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    if let Some(ja) = &sc.title.ja {
        let _ = writeln!(h, "<p lang=\"ja\">{}</p>", esc(ja));
    }
    if let Some(d) = sc.description.en.as_ref().or(sc.description.ja.as_ref()) {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    let (pass, fail) = (
        events.iter().filter(|e| e.kind == Kind::ExpectPass).count(),
        events.iter().filter(|e| e.kind == Kind::ExpectFail).count(),
    );
    let _ = writeln!(
        h,
        "<p><b>Expectations:</b> <span class=\"pass\">{pass} passed</span>, <span class=\"{}\">{fail} failed</span></p><ul>",
        if fail > 0 { "fail" } else { "pass" }
    );
    for e in events.iter().filter(|e| matches!(e.kind, Kind::ExpectPass | Kind::ExpectFail)) {
        let cls = if e.kind == Kind::ExpectPass { "pass" } else { "fail" };
        let _ = writeln!(h, "<li class=\"{cls}\">{}</li>", esc(e.line.as_deref().unwrap_or("")));
    }
    h.push_str("</ul>\n<h2>Network</h2>\n<div class=\"scroll\">");
    h.push_str(&crate::report::graph::svg(sc));
    h.push_str("</div>\n<h2>Sequence of connections</h2>\n<div class=\"scroll\">");
    h.push_str(&seq::svg(events, Zoom::Sessions));
    h.push_str("</div>\n<details><summary>Every protocol line</summary><div class=\"scroll\">");
    h.push_str(&seq::svg(events, Zoom::Lines));
    h.push_str("</div></details>\n");

    // Delivered messages with their path.
    h.push_str("<h2>Delivered messages</h2>\n");
    for e in events.iter().filter(|e| e.kind == Kind::Deliver) {
        let msg = e.field_str(Field::Message).unwrap_or("");
        let _ = writeln!(
            h,
            "<details open><summary>{} · mailbox {} on {}</summary>",
            crate::trace::render::clock(e.t),
            esc(e.field_str(Field::Mailbox).unwrap_or("?")),
            esc(&e.host)
        );
        h.push_str("<p>The path, read from the Received: fields bottom-up (oldest hop first):</p>\n");
        for (i, r) in hops(msg).iter().enumerate() {
            let by = crate::base::message::received_by(r).unwrap_or_else(|| "?".into());
            let from = r.split_whitespace().nth(1).unwrap_or("?");
            let _ = writeln!(
                h,
                "<div class=\"hop\">hop {}: <b>{}</b> → <b>{}</b> <small>{}</small></div>",
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
    h.push_str("<h2>Transcripts</h2>\n");
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
        let _ = writeln!(
            h,
            "<details><summary>#{s} {} → {} ({} lines)</summary><pre>",
            esc(&client),
            esc(&server),
            evs.len()
        );
        for e in evs {
            let who = if e.kind.is_reply() { "S" } else { "C" };
            let _ = writeln!(h, "{who}: {}", esc(e.line.as_deref().unwrap_or("")));
        }
        h.push_str("</pre></details>\n");
    }

    // The full event table.
    let mut kinds: Vec<&str> = events.iter().filter(|e| e.kind != Kind::Wire).map(|e| e.kind.name()).collect();
    kinds.sort();
    kinds.dedup();
    h.push_str("<h2>Every event</h2>\n<p><input id=\"filter\" placeholder=\"filter: host, text, code…\"> <select id=\"kind\"><option value=\"\">all kinds</option>");
    for k in &kinds {
        let _ = write!(h, "<option>{}</option>", esc(k));
    }
    h.push_str("</select> <span id=\"count\"></span></p>\n<table id=\"events\"><thead><tr><th>time</th><th>#</th><th>host</th><th>peer</th><th>kind</th><th>line</th></tr></thead><tbody>\n");
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
            esc(e.line.as_deref().unwrap_or(""))
        );
    }
    let _ = write!(h, "</tbody></table>\n<script>{SCRIPT}</script>\n</body></html>\n");
    h
}
