//! The MUA host: a mail client that composes a message and submits it by SMTP.

use super::smtp_client;
use crate::base::rfc2047::{self, Mailbox};
use crate::base::time::rfc5322;
use crate::host::env::HostCtx;
use crate::proto::smtp::Path;
use crate::proto::smtp::address::parse_mailbox;
use crate::proto::smtp::client::{ClientAuth, Job, RcptResult};
use crate::proto::smtp::envelope::{MailParams, Rcpt, RcptParams};
use crate::scenario::Send;
use crate::trace::{Field, Kind};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Build the message as the MUA would write it (RFC 5322), CRLF line ends:
/// header text that is not ASCII as RFC 2047 encoded-words in the step's
/// charset (folded to 76 columns), the body in that charset (ISO-2022-JP as
/// 7bit, RFC 1468). A reply that copies text ISO-2022-JP cannot write goes
/// out as UTF-8, as a mail client falls back.
pub fn compose(ctx: &HostCtx, s: &Send, seq: usize) -> Vec<u8> {
    let now = ctx.now();
    let writable = |cs: rfc2047::Charset| {
        let names = s.from_name.iter().chain(s.to_names.iter().flatten());
        let header_from = s.header_from.as_deref().and_then(Mailbox::parse).and_then(|m| m.name);
        [&s.subject, &s.body].into_iter().chain(names).chain(header_from.as_ref()).all(|t| cs.unwritable(t).is_none())
            && s.headers.iter().all(|(_, v)| cs.unwritable(v).is_none())
    };
    let cs = if writable(s.charset) { s.charset } else { rfc2047::Charset::Utf8 };
    let from = match s.header_from.as_deref() {
        Some(h) => Mailbox::parse(h),
        None => Some(Mailbox { name: s.from_name.clone(), addr: s.from.clone() }),
    };
    let to: Vec<Mailbox> =
        s.to.iter()
            .enumerate()
            .map(|(i, a)| Mailbox { name: s.to_names.get(i).cloned().flatten(), addr: a.clone() })
            .collect();
    let line = |f: Option<String>, fallback: String| f.unwrap_or(fallback) + "\r\n";
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", rfc5322(now)));
    m.push_str(&line(
        from.and_then(|f| rfc2047::address_field("From", &[f], cs)),
        format!("From: {}", s.header_from.as_deref().unwrap_or(&s.from)),
    ));
    m.push_str(&line(rfc2047::address_field("To", &to, cs), format!("To: {}", s.to.join(", "))));
    m.push_str(&line(
        rfc2047::unstructured_field("Subject", &s.subject, cs),
        format!("Subject: {}", rfc2047::encode(&s.subject, rfc2047::ONE_WORD)),
    ));
    m.push_str(&format!("Message-ID: <{}.{seq}@{}>\r\n", now.format("%Y%m%d%H%M%S"), ctx.hostname));
    for (k, v) in &s.headers {
        m.push_str(&line(
            rfc2047::unstructured_field(k, v, cs),
            format!("{k}: {}", rfc2047::encode(v, rfc2047::ONE_WORD)),
        ));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    let (body, cte) = cs.body(&s.body).or_else(|| rfc2047::Charset::Utf8.body(&s.body)).unwrap_or_default();
    let text =
        format!("Content-Type: text/plain; charset={}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}", cs.label());
    if s.attachments.is_empty() {
        m.push_str(&text);
        return m.into_bytes();
    }
    let b = format!("=_maillab_{seq}_{}", now.format("%H%M%S"));
    m.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\nThis is a message in MIME format.\r\n"
    ));
    m.push_str(&format!("--{b}\r\n{text}"));
    for a in &s.attachments {
        m.push_str(&format!(
            "--{b}\r\nContent-Type: {}; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            a.content_type, a.name, a.name
        ));
        m.push_str(&base64_lines(&made_up_file(&a.name, a.octets)));
    }
    m.push_str(&format!("--{b}--\r\n"));
    m.into_bytes()
}

/// Stand-in file content: the name and a counter, repeated to the size asked for.
fn made_up_file(name: &str, octets: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(octets);
    let mut i = 0u64;
    while out.len() < octets {
        out.extend_from_slice(format!("{name} {i:08}\n").as_bytes());
        i += 1;
    }
    out.truncate(octets);
    out
}

/// Base64 in lines of 76 characters (RFC 2045 §6.8).
fn base64_lines(data: &[u8]) -> String {
    use base64::Engine as _;
    let enc = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(enc.len() + enc.len() / 38 + 2);
    for chunk in enc.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// Run a `send` step: connect to the server, submit, report the result.
pub async fn send(ctx: &HostCtx, s: &Send, via: Ipv4Addr, via_hostname: &str, step: usize) {
    let label = ctx.peer_name(via);
    let data = compose(ctx, s, step);
    let from = match parse_mailbox(&s.from) {
        Ok(m) => Path::Mailbox(m),
        Err(_) => Path::Null,
    };
    let rcpts: Vec<crate::proto::smtp::Mailbox> = s.to.iter().filter_map(|t| parse_mailbox(t).ok()).collect();
    let conn = match smtp_client::connect(ctx, SocketAddrV4::new(via, s.port), &label, Some(step)).await {
        Ok(c) => c,
        Err(e) => {
            ctx.emit(
                ctx.ev(Kind::MuaResult)
                    .peer(&label)
                    .line(format!("step {step}: could not connect: {e}"))
                    .field(Field::Step, step),
            );
            return;
        }
    };
    let session = conn.session;
    let helo = s.helo.clone().unwrap_or_else(|| ctx.hostname.clone());
    let auth = s.auth.as_ref().map(|a| ClientAuth {
        user: a.user.clone(),
        password: a.password.clone(),
        mechanism: a.mechanism.clone(),
    });
    let (dsn, rcpts) = dsn_params(s.dsn.as_ref(), rcpts);
    // A UTF-8 address needs an SMTPUTF8 transaction (RFC 6531).
    let smtputf8 = from.needs_smtputf8() || rcpts.iter().any(|r| r.addr.needs_smtputf8());
    let out = smtp_client::transact(
        ctx,
        conn,
        &label,
        via_hostname,
        s.port == crate::proto::ports::SUBMISSIONS,
        Job { helo, smtputf8, from, rcpts, data, auth, starttls: true, chunking: false, dsn },
    )
    .await;
    let accepted = out.results.iter().filter(|(_, r)| matches!(r, RcptResult::Accepted(_))).count();
    let mut line = format!("step {step}: {accepted} of {} recipient(s) accepted by {label}", out.results.len());
    for (m, r) in &out.results {
        if let RcptResult::Refused { reply, .. } = r {
            line.push_str(&format!("; <{m}> refused: {}", reply.one_line()));
        }
    }
    ctx.emit(
        ctx.ev(Kind::MuaResult)
            .peer(&label)
            .session(session)
            .line(line)
            .field(Field::Step, step)
            .field(Field::Accepted, accepted),
    );
}

/// The step's `dsn:` as ESMTP parameters: RET and ENVID, and for each
/// recipient its NOTIFY and an ORCPT naming it as the client wrote it (as
/// Thunderbird does when a delivery report is asked for).
fn dsn_params(
    d: Option<&crate::scenario::DsnRequest>,
    rcpts: Vec<crate::proto::smtp::Mailbox>,
) -> (MailParams, Vec<Rcpt>) {
    let Some(d) = d else { return (MailParams::default(), rcpts.into_iter().map(Rcpt::plain).collect()) };
    let p = MailParams { ret: d.ret, envid: d.envid.clone(), ..MailParams::default() };
    let rcpts = rcpts
        .into_iter()
        .map(|addr| {
            let dsn = RcptParams { notify: d.notify, orcpt: Some(("rfc822".into(), addr.to_string())) };
            Rcpt { addr, dsn }
        })
        .collect();
    (p, rcpts)
}

/// Turn a `reply` step into a message: answer the newest fetched message
/// that fits, to its Reply-To (else From), keeping the lines asked for.
/// `None` when no fetched message fits.
pub fn reply_to(s: &Send, fetched: &[String]) -> Option<Send> {
    let spec = s.reply.as_ref()?;
    let found = fetched.iter().rev().find(|m| {
        let subject = crate::listserv::mime::subject(m.as_bytes());
        let subject_ok = spec.subject.as_ref().is_none_or(|want| subject.to_lowercase().contains(&want.to_lowercase()));
        let keep_ok = spec.keep.as_ref().is_none_or(|k| !kept_lines(m, k).is_empty());
        subject_ok && keep_ok
    })?;
    let data = found.as_bytes();
    let hs = crate::base::message::headers(data);
    let parser = mail_parser::MessageParser::new();
    let parsed = parser.parse_headers(data)?;
    let to = parsed
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .or_else(|| parsed.from().and_then(|a| a.first()).and_then(|a| a.address()))?
        .to_string();
    let subject = crate::listserv::mime::subject(data);
    let subject = if subject.to_ascii_lowercase().starts_with("re:") { subject } else { format!("Re: {subject}") };
    let mut body = String::new();
    if let Some(k) = &spec.keep {
        for l in kept_lines(found, k) {
            body.push_str(&l);
            body.push('\n');
        }
    }
    body.push_str(&s.body);
    let mut headers = s.headers.clone();
    if let Some(id) = crate::base::message::first(&hs, "Message-ID") {
        headers.push(("In-Reply-To".into(), id.to_string()));
        headers.push(("References".into(), id.to_string()));
    }
    Some(Send { to: vec![to], subject, body, headers, reply: None, ..s.clone() })
}

/// Body lines of a message that start with `word` (as a whole word), trimmed.
fn kept_lines(m: &str, word: &str) -> Vec<String> {
    let text = crate::listserv::mime::body_text(m.as_bytes());
    text.lines()
        .map(str::trim)
        .filter(|l| {
            l.get(..word.len()).is_some_and(|p| p.eq_ignore_ascii_case(word))
                && l[word.len()..].chars().next().is_none_or(char::is_whitespace)
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::kept_lines;

    #[test]
    fn kept_lines_take_whole_words_and_any_text() {
        let m = "Subject: x\r\n\r\nconfirm 1234 Anne\r\nconfirmation is needed\r\n\u{78ba}\u{8a8d} confirm\r\n  CONFIRM 5 B\r\n";
        assert_eq!(kept_lines(m, "confirm"), vec!["confirm 1234 Anne".to_string(), "CONFIRM 5 B".into()]);
    }
}
