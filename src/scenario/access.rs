//! An MTA's access database, in the spirit of sendmail's `/etc/mail/access`
//! (with `FEATURE(access_db)`'s tags) and Postfix's `check_client_access`,
//! `check_sender_access` and `check_recipient_access` tables.
//!
//! One entry per line, `TAG:KEY ACTION`, e.g. `Connect:192.0.2 RELAY`,
//! `From:spammer@example.com REJECT`, `To:partner.example RELAY`,
//! `Connect:bad.example ERROR:5.7.1:550 Go away`. Keys match as sendmail's
//! do: an address by its octets (`192.0.2.9`, then `192.0.2`, `192.0`,
//! `192`), a host name or mail domain by itself and then each parent domain,
//! a mail address in full, then `user@`, then its domain.

use crate::base::diag::tr;
use std::net::Ipv4Addr;

/// What an entry is about: the client, the envelope sender or a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// The connecting client: its address or (forward-confirmed) name.
    Connect,
    /// The envelope sender (`MAIL FROM`).
    From,
    /// A recipient (`RCPT TO`).
    To,
}

/// What to do with what matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Accept, even if a later check would refuse (no relaying by itself).
    Ok,
    /// Accept, and relay: for a client or a destination.
    Relay,
    /// Refuse with the flavour's words.
    Reject,
    /// Accept the mail and throw it away.
    Discard,
    /// Refuse with this status and text: `ERROR:5.7.1:550 text`.
    Error { status: String, code: u16, text: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub tag: Tag,
    /// Lower case; an address prefix (`192.0.2`), a domain, `user@` or an address.
    pub key: String,
    pub action: Action,
}

/// Parse one line `TAG:KEY ACTION`; `Err` has the message and a hint, in
/// the diagnostics' language.
pub fn parse_line(line: &str) -> Result<Entry, (String, String)> {
    let line = line.trim();
    let (lhs, rhs) = line.split_once(char::is_whitespace).ok_or_else(|| {
        (
            tr(
                format!("access entry `{line}` has no action"),
                format!("アクセスの行 `{line}` に動作 (ACTION) がありません"),
            ),
            tr(
                "write `TAG:KEY ACTION`, e.g. `Connect:192.0.2 RELAY`",
                "`TAG:KEY ACTION` の形で書いてください (例: `Connect:192.0.2 RELAY`)",
            ),
        )
    })?;
    let (tag, key) = lhs.split_once(':').ok_or_else(|| {
        (
            tr(format!("access key `{lhs}` has no tag"), format!("アクセスのキー `{lhs}` にタグがありません")),
            tr(
                "start it with Connect: (client), From: (sender) or To: (recipient)",
                "Connect: (クライアント)、From: (送信者)、To: (受信者) のどれかで始めてください",
            ),
        )
    })?;
    let tag = match tag.to_ascii_lowercase().as_str() {
        "connect" => Tag::Connect,
        "from" => Tag::From,
        "to" => Tag::To,
        other => {
            return Err((
                tr(format!("unknown access tag `{other}:`"), format!("`{other}:` というアクセスのタグはありません")),
                tr(
                    "use Connect: (client), From: (sender) or To: (recipient)",
                    "Connect: (クライアント)、From: (送信者)、To: (受信者) のどれかを使ってください",
                ),
            ));
        }
    };
    let key = key.trim().to_ascii_lowercase();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err((
            tr(format!("access key `{lhs}` is empty"), format!("アクセスのキー `{lhs}` が空です")),
            tr("write e.g. `From:example.com REJECT`", "例えば `From:example.com REJECT` のように書いてください"),
        ));
    }
    if tag == Tag::Connect && key.contains('@') {
        return Err((
            tr(
                format!("`Connect:{key}` names a mail address"),
                format!("`Connect:{key}` はメールアドレスを指しています"),
            ),
            tr(
                "Connect: takes a client address (192.0.2 or 192.0.2.9) or host name; use From: or To: for addresses",
                "Connect: にはクライアントのアドレス (192.0.2 や 192.0.2.9) かホスト名を書きます。\
                 メールアドレスには From: か To: を使ってください",
            ),
        ));
    }
    let rhs = rhs.trim();
    let action = match rhs.to_ascii_uppercase().as_str() {
        "OK" => Action::Ok,
        "RELAY" => Action::Relay,
        "REJECT" => Action::Reject,
        "DISCARD" => Action::Discard,
        _ => parse_error(rhs).ok_or_else(|| {
            (
                tr(format!("unknown access action `{rhs}`"), format!("`{rhs}` というアクセスの動作はありません")),
                tr(
                    "use OK, RELAY, REJECT, DISCARD or ERROR:5.7.1:550 text",
                    "OK、RELAY、REJECT、DISCARD、ERROR:5.7.1:550 テキスト のどれかを使ってください",
                ),
            )
        })?,
    };
    if action == Action::Relay && tag == Tag::From {
        return Err((
            tr(
                "RELAY for a sender would let anyone who writes that address relay",
                "送信者に RELAY を付けると、そのアドレスを名乗るだれもが中継できてしまいます",
            ),
            tr(
                "relay by client (Connect:) or by destination (To:) instead",
                "中継はクライアント (Connect:) か宛先 (To:) で許してください",
            ),
        ));
    }
    Ok(Entry { tag, key, action })
}

/// `ERROR:5.7.1:550 text` (or `ERROR:550 text`): a refusal of one's own.
fn parse_error(rhs: &str) -> Option<Action> {
    let rest = rhs.strip_prefix("ERROR:").or_else(|| rhs.strip_prefix("error:"))?;
    let (status, rest) = match rest.split_once(':') {
        Some((s, r)) if s.split('.').count() == 3 && s.split('.').all(|p| p.parse::<u16>().is_ok()) => {
            (Some(s.to_string()), r)
        }
        _ => (None, rest),
    };
    let rest = rest.trim().trim_matches('"');
    let (code, text) = match rest.split_once(' ') {
        Some((c, t)) if c.len() == 3 && c.parse::<u16>().is_ok() => (c.parse().unwrap_or(550), t.trim()),
        _ => (550, rest),
    };
    if !(400..600).contains(&code) || text.is_empty() {
        return None;
    }
    let status = status.unwrap_or_else(|| if code >= 500 { "5.7.1".into() } else { "4.7.1".into() });
    if !status.starts_with(if code >= 500 { '5' } else { '4' }) {
        return None;
    }
    Some(Action::Error { status, code, text: text.to_string() })
}

/// The client's entry: its address by octets (most specific first), then
/// its name and each parent domain.
pub fn client<'a>(entries: &'a [Entry], ip: Ipv4Addr, name: Option<&str>) -> Option<&'a Entry> {
    // Most hosts have no access database: nothing to build keys for (every SMTP session asks).
    if entries.is_empty() {
        return None;
    }
    let o = ip.octets();
    let prefixes = [
        format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
        format!("{}.{}.{}", o[0], o[1], o[2]),
        format!("{}.{}", o[0], o[1]),
        format!("{}", o[0]),
    ];
    let mut keys: Vec<String> = prefixes.to_vec();
    if let Some(n) = name {
        keys.extend(domains(&n.to_ascii_lowercase()));
    }
    find(entries, Tag::Connect, &keys)
}

/// A sender's or recipient's entry: the address, then `user@`, then its
/// domain and each parent domain.
pub fn address<'a>(entries: &'a [Entry], tag: Tag, local: &str, domain: &str) -> Option<&'a Entry> {
    if entries.is_empty() {
        return None;
    }
    let (local, domain) = (local.to_ascii_lowercase(), domain.to_ascii_lowercase());
    let mut keys = vec![format!("{local}@{domain}"), format!("{local}@")];
    keys.extend(domains(&domain));
    find(entries, tag, &keys)
}

fn domains(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let mut rest = name;
    while let Some((_, parent)) = rest.split_once('.') {
        out.push(parent.to_string());
        rest = parent;
    }
    out
}

fn find<'a>(entries: &'a [Entry], tag: Tag, keys: &[String]) -> Option<&'a Entry> {
    keys.iter().find_map(|k| entries.iter().find(|e| e.tag == tag && e.key == *k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(lines: &[&str]) -> Vec<Entry> {
        lines.iter().map(|l| parse_line(l).unwrap_or_else(|e| panic!("{l}: {e:?}"))).collect()
    }

    #[test]
    fn lines_parse_into_entries() {
        let e = db(&["Connect:192.0.2 RELAY", "From:Spammer@Example.COM  REJECT", "To:partner.example OK"]);
        assert_eq!(e[0], Entry { tag: Tag::Connect, key: "192.0.2".into(), action: Action::Relay });
        assert_eq!(e[1].key, "spammer@example.com");
        assert_eq!(e[2].action, Action::Ok);
        assert_eq!(
            parse_line("Connect:bad.example ERROR:5.7.1:550 Go away").map(|e| e.action),
            Ok(Action::Error { status: "5.7.1".into(), code: 550, text: "Go away".into() })
        );
        assert_eq!(
            parse_line("From:x.example ERROR:\"450 Try later\"").map(|e| e.action),
            Ok(Action::Error { status: "4.7.1".into(), code: 450, text: "Try later".into() })
        );
        for bad in [
            "192.0.2 RELAY",
            "Connect:192.0.2",
            "Helo:x REJECT",
            "From:x.example MAYBE",
            "From:x.example RELAY",
            "Connect:a@b.example REJECT",
            "To:x ERROR:5.7.1:250 fine",
            "To:x ERROR:4.7.1:550 mixed",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_most_specific_key_wins() {
        let e = db(&[
            "Connect:192.0.2 RELAY",
            "Connect:192.0.2.99 REJECT",
            "Connect:spam-isp.example REJECT",
            "Connect:ok.spam-isp.example OK",
            "From:example.com REJECT",
            "From:friend@example.com OK",
            "From:postmaster@ OK",
            "To:partner.example RELAY",
        ]);
        let ip = |d| Ipv4Addr::new(192, 0, 2, d);
        assert_eq!(client(&e, ip(99), None).map(|x| &x.action), Some(&Action::Reject));
        assert_eq!(client(&e, ip(5), None).map(|x| &x.action), Some(&Action::Relay));
        let other = Ipv4Addr::new(198, 51, 100, 7);
        assert_eq!(client(&e, other, Some("dial7.spam-isp.example")).map(|x| &x.action), Some(&Action::Reject));
        assert_eq!(client(&e, other, Some("OK.spam-isp.example")).map(|x| &x.action), Some(&Action::Ok));
        assert_eq!(client(&e, other, Some("spam-isp.example.net")), None);
        assert_eq!(address(&e, Tag::From, "friend", "example.com").map(|x| &x.action), Some(&Action::Ok));
        assert_eq!(address(&e, Tag::From, "x", "mail.example.com").map(|x| &x.action), Some(&Action::Reject));
        assert_eq!(address(&e, Tag::From, "postmaster", "example.com").map(|x| &x.action), Some(&Action::Ok));
        assert_eq!(address(&e, Tag::To, "x", "partner.example").map(|x| &x.action), Some(&Action::Relay));
        assert_eq!(address(&e, Tag::To, "x", "example.com"), None, "From: entries say nothing about recipients");
    }
}
