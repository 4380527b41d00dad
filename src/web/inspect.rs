//! The message inspector: a message's header fields, and its `Received:`
//! fields read as hops in travel order (the oldest first), each with the
//! scenario host that added it, what it said (from, by, with, id, for, the
//! date after `;`: RFC 5321 §4.4, RFC 5322 §3.6.7), the delay since the
//! previous hop and the header fields that hop added.
//!
//! Which fields a hop added is read from their places in the header: an MTA
//! prepends its trace fields at the top (RFC 5321 §4.4), so the fields
//! between a hop's `Received:` and the next hop's `Received:` above it came
//! in at that hop (with final delivery's `Return-Path:` and `Delivered-To:`
//! above the newest `Received:`), and the fields below the oldest
//! `Received:` are the sender's. The MTAs of maillab add fields only at the
//! top, so this is exact for every message a run holds.

use crate::scenario::Scenario;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

/// The clauses of one `Received:` field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Received {
    pub from: Option<String>,
    pub by: Option<String>,
    pub via: Option<String>,
    pub with: Option<String>,
    pub id: Option<String>,
    pub for_: Option<String>,
    pub date: Option<DateTime<FixedOffset>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hop {
    /// The scenario host that added the field (by its `by` name), or the `by` name itself.
    pub by: String,
    pub from: String,
    pub time: Option<String>,
    pub with: Option<String>,
    pub id: Option<String>,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// Header fields this hop added (its `Received:` first).
    pub added: Vec<String>,
    pub received: String,
    pub delay_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inspected {
    pub raw: String,
    pub headers: Vec<Header>,
    pub hops: Vec<Hop>,
}

/// Split text into words, keeping each parenthesised comment (nested ones too) as one word.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut escaped = false;
    for c in s.chars() {
        if depth > 0 {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '(' {
                depth += 1;
            } else if c == ')' {
                depth -= 1;
                if depth == 0 {
                    out.push(std::mem::take(&mut cur));
                }
            }
            continue;
        }
        if c == '(' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c);
            depth = 1;
        } else if c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Read a `Received:` field's value (unfolded or not).
pub fn parse_received(v: &str) -> Received {
    let v = crate::base::message::unfold(v);
    let (clauses, date) = match v.rfind(';') {
        Some(p) => (&v[..p], Some(v[p + 1..].trim())),
        None => (v.as_str(), None),
    };
    let mut r = Received { date: date.and_then(parse_date), ..Default::default() };
    let ws = words(clauses);
    let mut i = 0;
    while i < ws.len() {
        let key = ws[i].to_ascii_lowercase();
        let slot = match key.as_str() {
            "from" => Some(&mut r.from),
            "by" => Some(&mut r.by),
            "via" => Some(&mut r.via),
            "with" => Some(&mut r.with),
            "id" => Some(&mut r.id),
            "for" => Some(&mut r.for_),
            _ => None,
        };
        i += 1;
        let Some(slot) = slot else { continue };
        let mut val = Vec::new();
        if let Some(w) = ws.get(i)
            && !w.starts_with('(')
        {
            val.push(w.clone());
            i += 1;
        }
        // The comments that follow belong to the clause (`from a (a [192.0.2.1])`).
        while let Some(w) = ws.get(i)
            && w.starts_with('(')
        {
            val.push(w.clone());
            i += 1;
        }
        if slot.is_none() && !val.is_empty() {
            *slot = Some(val.join(" "));
        }
    }
    r
}

/// An RFC 5322 date, with or without a trailing comment such as `(JST)`.
fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = match s.find('(') {
        Some(p) => s[..p].trim(),
        None => s.trim(),
    };
    DateTime::parse_from_rfc2822(s).ok()
}

/// The scenario host whose host name (or name) is `by`.
fn host_of(sc: &Scenario, by: &str) -> Option<String> {
    let name = by.split_whitespace().next().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
    sc.hosts
        .iter()
        .find(|h| h.hostname.eq_ignore_ascii_case(&name) || h.name.eq_ignore_ascii_case(&name))
        .map(|h| h.name.clone())
}

/// Take a message apart for the inspector.
pub fn inspect(sc: &Scenario, data: &[u8]) -> Inspected {
    let hs = crate::base::message::headers(data);
    let headers: Vec<Header> = hs.iter().map(|(n, v)| Header { name: n.clone(), value: v.clone() }).collect();
    // Positions of the Received: fields, top (newest) first.
    let recv: Vec<usize> = (0..hs.len()).filter(|&i| hs[i].0.eq_ignore_ascii_case("Received")).collect();
    let mut hops = Vec::new();
    let mut prev_time: Option<DateTime<FixedOffset>> = None;
    for (k, &pos) in recv.iter().enumerate().rev() {
        // The fields between the next newer Received: (or the top) and this one.
        let upper = if k == 0 { 0 } else { recv[k - 1] + 1 };
        let mut added = vec![hs[pos].0.clone()];
        added.extend(hs[upper..pos].iter().map(|(n, _)| n.clone()));
        let r = parse_received(&hs[pos].1);
        let by_name = r.by.as_deref().map(|b| b.split_whitespace().next().unwrap_or("").to_string());
        let by = r.by.as_deref().and_then(|b| host_of(sc, b)).or(by_name).unwrap_or_default();
        let delay_s = match (prev_time, r.date) {
            (Some(a), Some(b)) => Some((b - a).num_milliseconds() as f64 / 1000.0),
            _ => None,
        };
        if r.date.is_some() {
            prev_time = r.date;
        }
        hops.push(Hop {
            by,
            from: r.from.clone().unwrap_or_default(),
            time: r.date.map(|d| d.to_rfc3339()),
            with: r.with.clone(),
            id: r.id.clone(),
            for_: r.for_.clone(),
            added,
            received: hs[pos].1.clone(),
            delay_s,
        });
    }
    Inspected { raw: String::from_utf8_lossy(data).into_owned(), headers, hops }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sendmail_received_field() {
        let v = "from hub.example.ac.jp (hub.example.ac.jp [192.0.2.20])\r\n\tby mx.example.com (8.18.1/8.18.1) with ESMTP id 63110001019584\r\n\tfor <alice@example.com>; Wed, 1 Apr 2026 10:00:00 +0900";
        let r = parse_received(v);
        assert_eq!(r.from.as_deref(), Some("hub.example.ac.jp (hub.example.ac.jp [192.0.2.20])"));
        assert_eq!(r.by.as_deref(), Some("mx.example.com (8.18.1/8.18.1)"));
        assert_eq!(r.with.as_deref(), Some("ESMTP"));
        assert_eq!(r.id.as_deref(), Some("63110001019584"));
        assert_eq!(r.for_.as_deref(), Some("<alice@example.com>"));
        assert_eq!(r.date.map(|d| d.to_rfc3339()).as_deref(), Some("2026-04-01T10:00:00+09:00"));
    }

    #[test]
    fn postfix_style_and_odd_fields() {
        let r = parse_received(
            "from pc.example (pc.example [192.0.2.23]) by mail.example (Postfix) with ESMTPSA id 4AbC; Wed, 1 Apr 2026 10:00:05 +0900 (JST)",
        );
        assert_eq!(r.with.as_deref(), Some("ESMTPSA"));
        assert_eq!(r.by.as_deref(), Some("mail.example (Postfix)"));
        assert_eq!(r.date.map(|d| d.timestamp() % 60), Some(5));
        // Nested comments, upper-case keywords, no date, no clauses: never a panic.
        let r = parse_received("FROM a ((nested) x) BY b VIA UUCP");
        assert_eq!(
            (r.from.as_deref(), r.by.as_deref(), r.via.as_deref()),
            (Some("a ((nested) x)"), Some("b"), Some("UUCP"))
        );
        assert_eq!(r.date, None);
        for odd in ["", ";", "from", "(((", "by ; ;", "from (a) by"] {
            let _ = parse_received(odd);
        }
    }

    #[test]
    fn hops_in_travel_order_with_what_each_added() {
        let sc = match crate::scenario::load_file(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml"),
        ) {
            Ok(s) => s,
            Err(d) => panic!("{d}"),
        };
        let m = "Return-Path: <taro@cs.example.ac.jp>\r\n\
Received: from hub.example.ac.jp (hub.example.ac.jp [192.0.2.20])\r\n\tby mx.example.com (8.18.1/8.18.1) with ESMTP id M1\r\n\tfor <alice@example.com>; Wed, 1 Apr 2026 10:00:02 +0900\r\n\
Received: from dept.cs.example.ac.jp (dept.cs.example.ac.jp [192.0.2.10])\r\n\tby hub.example.ac.jp (8.18.1/8.18.1) with ESMTP id H1\r\n\tfor <alice@example.com>; Wed, 1 Apr 2026 10:00:00 +0900\r\n\
Received: from pc1 by dept.cs.example.ac.jp with ESMTP id D1; Wed, 1 Apr 2026 10:00:00 +0900\r\n\
From: taro@cs.example.ac.jp\r\nSubject: Lunch\r\n\r\nbody\r\n";
        let x = inspect(&sc, m.as_bytes());
        let by: Vec<&str> = x.hops.iter().map(|h| h.by.as_str()).collect();
        assert_eq!(by, vec!["dept", "hub", "mx"]);
        assert_eq!(x.hops[0].added, vec!["Received"]);
        assert_eq!(x.hops[2].added, vec!["Received", "Return-Path"]);
        assert_eq!(x.hops[0].delay_s, None);
        assert_eq!(x.hops[1].delay_s, Some(0.0));
        assert_eq!(x.hops[2].delay_s, Some(2.0));
        assert_eq!(x.hops[1].id.as_deref(), Some("H1"));
        assert_eq!(x.headers.len(), 6);
        // A by-name that is no scenario host is shown as it is.
        let x = inspect(&sc, b"Received: from a by relay.elsewhere.example; Wed, 1 Apr 2026 10:00:00 +0900\r\n\r\n");
        assert_eq!(x.hops[0].by, "relay.elsewhere.example");
    }
}
