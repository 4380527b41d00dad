//! Steps that send mail: `send` (a new message, with attachments) and
//! `reply` (an answer to a fetched message), with optional SMTP AUTH.

use super::super::raw::{RawAttachment, RawAuth, RawDsn, RawHost, RawReply, RawSend, S};
use super::{Checker, MTA_ROLES};
use crate::base::diag::tr;
use crate::base::rfc2047::{Charset, Mailbox};
use crate::proto::smtp::address::parse_mailbox;
use crate::proto::smtp::envelope::{Notify, Ret, xtext_encode};
use crate::scenario::{Attachment, DsnRequest, ReplyTo, Role, Send, SmtpAuth};
use std::collections::BTreeMap;

/// A header field the MUA writes in every message, and what to write instead
/// (in the diagnostics' language).
fn written_by_the_client(name: &str) -> Option<String> {
    let hint = match name.to_ascii_lowercase().as_str() {
        "from" => tr(
            "write the sender (with a display name if you like) under `from:`, or a different one under `header_from:`",
            "送信者は `from:` に書いてください (表示名を付けてもかまいません)。別の From: にしたいときは `header_from:` に書きます",
        ),
        "to" => tr(
            "write the recipients (with display names if you like) under `to:`",
            "受信者は `to:` に書いてください (表示名を付けてもかまいません)",
        ),
        "subject" => tr("write it under `subject:`", "件名は `subject:` に書いてください"),
        "date" | "message-id" => tr(
            "the client writes it from the run's clock and its host name; leave this line out",
            "クライアントが実行の時計と自分のホスト名から書きます。この行は消してください",
        ),
        "mime-version" | "content-type" | "content-transfer-encoding" => tr(
            "choose the body's charset with `charset: iso-2022-jp` or `charset: utf-8`; the client writes the MIME fields to match",
            "本文の文字コードは `charset: iso-2022-jp` か `charset: utf-8` で選んでください。クライアントがそれに合う MIME のフィールドを書きます",
        ),
        _ => return None,
    };
    Some(hint)
}

/// The largest attachment a send step may make up (10 MB).
const MAX_ATTACHMENT: u64 = 10_000_000;

impl Checker {
    pub(super) fn send(&mut self, send: &RawSend, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Send> {
        let mua = self.host_ref(names, hosts, &send.from_host, &[Role::Mua], "the sending host (from_host)");
        let via = self.host_ref(names, hosts, &send.via, MTA_ROLES, "the server a message is sent via");
        let from = self.named_mailbox(&send.from);
        let mut ok = from.is_some();
        if send.to.value.is_empty() {
            self.err(
                &send.to,
                tr("a message needs at least one recipient", "メッセージには宛先が 1 つ以上必要です"),
                tr("write to: [user@example.com]", "to: [user@example.com] と書いてください"),
            );
            ok = false;
        }
        let mut to = Vec::new();
        for t in &send.to.value {
            match self.named_mailbox(t) {
                Some(m) => to.push(m),
                None => ok = false,
            }
        }
        ok &= self.send_header_fields(send);
        let charset = self.charset(send, from.as_ref(), &to, &mut ok);
        let auth = self.smtp_auth(&send.auth, &mut ok);
        let port = self.send_port(send, via.map(|v| &hosts[v]), &mut ok);
        let mut attachments = Vec::new();
        for a in &send.attachments {
            attachments.push(self.attachment(a, &mut ok));
        }
        let dsn = send.dsn.as_ref().map(|d| self.dsn(d, &mut ok));
        if !ok {
            return None;
        }
        let from = from?;
        Some(Send {
            mua: mua?,
            via: via?,
            from: from.addr,
            from_name: from.name,
            to_names: if to.iter().any(|m| m.name.is_some()) {
                to.iter().map(|m| m.name.clone()).collect()
            } else {
                Vec::new()
            },
            to: to.into_iter().map(|m| m.addr).collect(),
            header_from: send.header_from.as_ref().map(|h| h.value.clone()),
            charset,
            subject: send.subject.as_ref().map(|s| s.value.clone()).unwrap_or_else(|| "(no subject)".into()),
            body: send.body.clone().unwrap_or_default(),
            helo: send.helo.as_ref().map(|h| h.value.clone()),
            headers: send.headers.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
            auth,
            port,
            reply: None,
            attachments,
            dsn,
        })
    }

    /// `dsn:` — `notify` (`[never]` or any of success, failure, delay),
    /// `ret` (hdrs or full) and `envid` (printable, at most 100 characters
    /// as xtext: RFC 3461 §4.4).
    fn dsn(&mut self, d: &RawDsn, ok: &mut bool) -> DsnRequest {
        let mut out = DsnRequest::default();
        if let Some(list) = &d.notify {
            let mut n = Notify::NEVER;
            let mut never = None;
            for w in &list.value {
                match w.value.to_ascii_lowercase().as_str() {
                    "success" => n.success = true,
                    "failure" => n.failure = true,
                    "delay" => n.delay = true,
                    "never" => never = Some(w),
                    _ => {
                        self.err(
                            w,
                            tr(
                                format!("unknown notify word `{}`", w.value),
                                format!("notify に `{}` は書けません", w.value),
                            ),
                            tr(
                                "write [never], or any of success, failure, delay",
                                "[never] か、success・failure・delay のどれか (いくつでも) を書いてください",
                            ),
                        );
                        *ok = false;
                    }
                }
            }
            if list.value.is_empty() {
                self.err(
                    list,
                    tr("`notify` needs at least one word", "notify が空です"),
                    tr(
                        "write [never], or e.g. [success, failure]",
                        "[never] か、例えば [success, failure] と書いてください",
                    ),
                );
                *ok = false;
            } else if let Some(w) = never
                && list.value.len() > 1
            {
                self.err(
                    w,
                    tr("`never` cannot stand with other words", "never は他の語と一緒に書けません"),
                    tr(
                        "NEVER means no report at all (RFC 3461 §4.1); write [never] alone",
                        "NEVER は「報告は一切要らない」の意味です (RFC 3461 §4.1)。[never] だけを書いてください",
                    ),
                );
                *ok = false;
            }
            out.notify = Some(n);
        }
        if let Some(r) = &d.ret {
            out.ret = match r.value.to_ascii_lowercase().as_str() {
                "hdrs" => Some(Ret::Hdrs),
                "full" => Some(Ret::Full),
                _ => {
                    self.err(
                        r,
                        tr(format!("unknown ret `{}`", r.value), format!("ret に `{}` は書けません", r.value)),
                        tr(
                            "write hdrs (only the header section comes back) or full (the whole message)",
                            "hdrs (ヘッダ部だけを返す) か full (メール全体を返す) と書いてください",
                        ),
                    );
                    *ok = false;
                    None
                }
            };
        }
        if let Some(e) = &d.envid {
            if e.value.is_empty() || e.value.chars().any(char::is_control) || xtext_encode(&e.value).len() > 100 {
                self.err(
                    e,
                    tr(
                        "`envid` must be one line of at most 100 characters",
                        "envid は 100 文字以内の1行にしてください",
                    ),
                    tr(
                        "RFC 3461 §4.4 limits ENVID to 100 characters (as xtext); write e.g. envid: order-42",
                        "RFC 3461 §4.4 は ENVID を (xtext で) 100 文字までとしています。例: envid: order-42",
                    ),
                );
                *ok = false;
            }
            out.envid = Some(e.value.clone());
        }
        out
    }

    /// `port:` 25 (the default), 587 on a host that offers submission, 465 on one that has TLS too.
    fn send_port(&mut self, send: &RawSend, via: Option<&RawHost>, ok: &mut bool) -> u16 {
        use crate::proto::ports::{SMTP, SUBMISSION, SUBMISSIONS};
        let Some(p) = &send.port else { return SMTP };
        match p.value {
            SMTP => SMTP,
            SUBMISSIONS => {
                let tls = |h: &RawHost| h.tls.as_ref().is_some_and(|t| t.value != "off");
                if let Some(h) = via
                    && !(h.submission.as_ref().is_some_and(|s| s.value) && tls(h))
                {
                    self.err(
                        p,
                        tr(format!("host `{}` does not listen on port 465", h.name.value), format!("ホスト `{}` はポート 465 で待ち受けていません", h.name.value)),
                        tr(format!(
                            "port 465 (submission over TLS) needs `submission: true` and `tls: offered` or `required` on host `{}`",
                            h.name.value
                        ), format!("ポート 465 (TLS 上のサブミッション) には、ホスト `{}` に `submission: true` と `tls: offered` または `required` が必要です", h.name.value)),
                    );
                    *ok = false;
                }
                SUBMISSIONS
            }
            SUBMISSION => {
                if let Some(h) = via
                    && !h.submission.as_ref().is_some_and(|s| s.value)
                {
                    self.err(
                        p,
                        tr(
                            format!("host `{}` does not listen on port 587", h.name.value),
                            format!("ホスト `{}` はポート 587 で待ち受けていません", h.name.value),
                        ),
                        tr(
                            format!("give host `{}` the setting `submission: true`, or send to port 25", h.name.value),
                            format!(
                                "ホスト `{}` に `submission: true` を設定するか、ポート 25 に送ってください",
                                h.name.value
                            ),
                        ),
                    );
                    *ok = false;
                }
                SUBMISSION
            }
            other => {
                self.err(
                    p,
                    tr(
                        format!("port {other} is not an SMTP port here"),
                        format!("ポート {other} はここでは SMTP のポートではありません"),
                    ),
                    tr(
                        "use 25 (SMTP), 587 (submission) or 465 (submission over TLS)",
                        "25 (SMTP)・587 (サブミッション)・465 (TLS 上のサブミッション) のどれかを使ってください",
                    ),
                );
                *ok = false;
                SMTP
            }
        }
    }

    /// An address with an optional display name (`Name <user@example>`); `None`
    /// after a diagnostic when it is malformed.
    fn named_mailbox(&mut self, s: &S<String>) -> Option<Mailbox> {
        if !self.one_line(s, ("an address", "アドレス")) {
            return None;
        }
        let Some(m) = Mailbox::parse(&s.value) else {
            self.err(
                s,
                tr(
                    format!("`{}` is not an address with a display name", s.value),
                    format!("`{}` は表示名付きのアドレスではありません", s.value),
                ),
                tr(
                    "write user@example.com or Display Name <user@example.com>",
                    "user@example.com か 表示名 <user@example.com> の形で書いてください",
                ),
            );
            return None;
        };
        match parse_mailbox(&m.addr) {
            Ok(_) => Some(m),
            Err(e) => {
                self.err(
                    s,
                    tr(
                        format!("malformed mail address: {}", e.en()),
                        format!("メールアドレスの形が正しくありません: {}", e.ja()),
                    ),
                    super::address_hint(&e),
                );
                None
            }
        }
    }

    /// `charset:` (`utf-8` or `iso-2022-jp`), and whether that charset can
    /// write the subject, the body, the display names and the extra headers.
    fn charset(&mut self, send: &RawSend, from: Option<&Mailbox>, to: &[Mailbox], ok: &mut bool) -> Charset {
        let Some(c) = &send.charset else { return Charset::Utf8 };
        let Some(cs) = Charset::from_label(&c.value) else {
            self.err(
                c,
                tr(format!("unknown charset `{}`", c.value), format!("`{}` という文字コードはありません", c.value)),
                tr(
                    "use utf-8 (the default) or iso-2022-jp (Japanese mail as clients long wrote it)",
                    "utf-8 (既定) か iso-2022-jp (長く使われてきた日本語メールの形) を使ってください",
                ),
            );
            *ok = false;
            return Charset::Utf8;
        };
        let hf = send.header_from.as_ref().and_then(|h| Mailbox::parse(&h.value)).and_then(|m| m.name);
        let names =
            from.and_then(|m| m.name.clone()).into_iter().chain(hf).chain(to.iter().filter_map(|m| m.name.clone()));
        let texts = [
            (("the subject", "件名"), send.subject.as_ref().map(|s| s.value.clone())),
            (("the body", "本文"), send.body.clone()),
        ]
        .into_iter()
        .filter_map(|((en, ja), t)| Some((tr(en, ja), t?)))
        .chain(names.map(|n| (tr(format!("the display name `{n}`"), format!("表示名 `{n}` ")), n)))
        .chain(send.headers.iter().map(|(k, v)| {
            (tr(format!("the header field {}", k.value), format!("ヘッダフィールド {} ", k.value)), v.value.clone())
        }));
        for (what, text) in texts {
            if let Some(bad) = cs.unwritable(&text) {
                let (label, code) = (cs.label(), u32::from(bad));
                self.err(
                    c,
                    tr(
                        format!("{label} cannot write `{bad}` (U+{code:04X}), found in {what}"),
                        format!("{what}にある `{bad}` (U+{code:04X}) は {label} では書けません"),
                    ),
                    tr(
                        "ISO-2022-JP has only ASCII and the JIS X 0208 characters (kana, kanji, full-width symbols); \
                         leave the character out or write `charset: utf-8`",
                        "ISO-2022-JP で書けるのは ASCII と JIS X 0208 の文字 (かな・漢字・全角記号) だけです。\
                         その文字を消すか、`charset: utf-8` と書いてください",
                    ),
                );
                *ok = false;
            }
        }
        cs
    }

    /// `subject`, `header_from`, `helo` and the extra `headers`; false when one is bad.
    fn send_header_fields(&mut self, send: &RawSend) -> bool {
        let mut ok = true;
        if let Some(s) = &send.subject {
            ok &= self.one_line(s, ("a subject", "件名"));
        }
        if let Some(hf) = &send.header_from {
            if !self.one_line(hf, ("`header_from`", "`header_from` ")) {
                ok = false;
            } else if Mailbox::parse(&hf.value).is_none() {
                self.err(
                    hf,
                    tr(
                        format!("`{}` is not an address with a display name", hf.value),
                        format!("`{}` は表示名付きのアドレスではありません", hf.value),
                    ),
                    tr(
                        "write user@example.com or Display Name <user@example.com>",
                        "user@example.com か 表示名 <user@example.com> の形で書いてください",
                    ),
                );
                ok = false;
            }
        }
        if let Some(h) = &send.helo {
            ok &= self.domain(h).is_some();
        }
        for (k, v) in &send.headers {
            let name = k.value.as_str();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic() && c != ':') {
                self.err(
                    k,
                    tr(
                        format!("`{name}` is not a header field name"),
                        format!("`{name}` はヘッダフィールドの名前ではありません"),
                    ),
                    tr(
                        "use letters, digits and hyphens, e.g. X-Course",
                        "英字・数字・ハイフンを使ってください (例: X-Course)",
                    ),
                );
                ok = false;
            } else if let Some(hint) = written_by_the_client(name) {
                self.err(
                    k,
                    tr(
                        format!(
                            "the mail client writes `{name}:` itself; a second one would make the message malformed"
                        ),
                        format!("`{name}:` はメールクライアント自身が書きます。2 つ目があるとメッセージの形が壊れます"),
                    ),
                    hint,
                );
                ok = false;
            }
            ok &= self.one_line(v, (&format!("the value of `{name}`"), &format!("`{name}` の値")));
        }
        ok
    }

    /// One made-up attachment; `ok` turns false when it is bad.
    fn attachment(&mut self, a: &RawAttachment, ok: &mut bool) -> Attachment {
        let name_ok = !a.name.value.is_empty()
            && !a.name.value.contains(['"', '/', '\\'])
            && !a.name.value.chars().any(|c| c.is_ascii_control());
        if !name_ok {
            self.err(
                &a.name,
                tr(
                    format!("`{}` is not a file name", a.name.value),
                    format!("`{}` はファイル名ではありません", a.name.value),
                ),
                tr("write a plain name such as minutes.pdf", "minutes.pdf のような単純な名前を書いてください"),
            );
            *ok = false;
        }
        let ct = a
            .content_type
            .as_ref()
            .map(|t| t.value.to_ascii_lowercase())
            .unwrap_or_else(|| "application/octet-stream".into());
        let ct_ok = ct.split_once('/').is_some_and(|(t, s)| {
            let tok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c));
            tok(t) && tok(s) && t != "multipart" && t != "message"
        });
        if !ct_ok {
            if let Some(t) = &a.content_type {
                self.err(
                    t,
                    tr(
                        format!("`{}` is not a MIME type for a file", t.value),
                        format!("`{}` はファイルの MIME タイプではありません", t.value),
                    ),
                    tr(
                        "write e.g. application/pdf or image/png",
                        "例えば application/pdf や image/png と書いてください",
                    ),
                );
            }
            *ok = false;
        }
        let octets = a.octets.unwrap_or(1024);
        if octets > MAX_ATTACHMENT {
            self.err(
                &a.name,
                tr(
                    format!("{octets} octets is too large for an attachment here"),
                    format!("{octets} オクテットは、ここでは添付ファイルとして大きすぎます"),
                ),
                tr(
                    format!("use at most {MAX_ATTACHMENT} octets"),
                    format!("{MAX_ATTACHMENT} オクテット以下にしてください"),
                ),
            );
            *ok = false;
        }
        Attachment { name: a.name.value.clone(), content_type: ct, octets: octets as usize }
    }

    fn smtp_auth(&mut self, a: &Option<RawAuth>, ok: &mut bool) -> Option<SmtpAuth> {
        let a = a.as_ref()?;
        let mechanism = a.mechanism.as_ref().map(|m| m.value.to_ascii_uppercase()).unwrap_or_else(|| "PLAIN".into());
        if !["PLAIN", "LOGIN", "CRAM-MD5"].contains(&mechanism.as_str()) {
            if let Some(m) = &a.mechanism {
                self.err(
                    m,
                    tr(
                        format!("unknown AUTH mechanism `{}`", m.value),
                        format!("`{}` という AUTH 方式はありません", m.value),
                    ),
                    tr("use PLAIN, LOGIN or CRAM-MD5", "PLAIN・LOGIN・CRAM-MD5 のどれかを使ってください"),
                );
            }
            *ok = false;
        }
        match self.password_for(&a.user, &a.password) {
            Some(password) => Some(SmtpAuth { user: a.user.value.clone(), password, mechanism }),
            None => {
                *ok = false;
                None
            }
        }
    }

    pub(super) fn reply(&mut self, r: &RawReply, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Send> {
        let mua = self.host_ref(names, hosts, &r.from_host, &[Role::Mua], "the replying host (from_host)");
        let via = self.host_ref(names, hosts, &r.via, MTA_ROLES, "the server the reply is sent via");
        let mut ok = self.mailbox(&r.from);
        if let Some(s) = &r.subject {
            ok &= self.one_line(s, ("a subject", "件名"));
        }
        if r.keep.is_none() && r.body.is_none() {
            self.err(
                &r.from_host,
                tr("a reply needs `keep` (lines to copy) or `body`", "返信には `keep` (写す行) か `body` が必要です"),
                tr(
                    "write e.g. `keep: confirm` to answer a confirmation request",
                    "確認の依頼に答えるなら、例えば `keep: confirm` と書いてください",
                ),
            );
            ok = false;
        }
        let auth = self.smtp_auth(&r.auth, &mut ok);
        if !ok {
            return None;
        }
        Some(Send {
            mua: mua?,
            via: via?,
            from: r.from.value.clone(),
            from_name: None,
            to: Vec::new(),
            to_names: Vec::new(),
            header_from: None,
            charset: Charset::Utf8,
            subject: String::new(),
            body: r.body.clone().unwrap_or_default(),
            helo: None,
            headers: Vec::new(),
            auth,
            port: crate::proto::ports::SMTP,
            reply: Some(ReplyTo { subject: r.subject.as_ref().map(|s| s.value.clone()), keep: r.keep.clone() }),
            attachments: Vec::new(),
            dsn: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::base::rfc2047::Charset;
    use crate::scenario::Action;
    use crate::scenario::load_str;

    const BASE: &str = "version: 1
name: t
hosts:
  - name: pc
    role: mua
    address: 192.0.2.1
  - name: mx
    role: mx
    address: 192.0.2.2
    domains: [example.com]
users:
  - address: alice@example.com
    password: pw
steps:
  - send:
      from_host: pc
      via: mx
      from: bob@example.org
      to: [alice@example.com]
";

    /// The diagnostics of `BASE` with `extra` lines added to the send step:
    /// (line, column, message, hint) each.
    fn problems(extra: &str) -> Vec<(u64, u64, String, String)> {
        let src = format!("{BASE}{extra}");
        match load_str(&src, "t.yaml") {
            Ok(_) => panic!("accepted:\n{src}"),
            Err(d) => d.0.into_iter().map(|d| (d.line, d.column, d.message, d.hint.unwrap_or_default())).collect(),
        }
    }

    #[test]
    fn display_names_and_charset_reach_the_model() {
        let src = BASE.replace("from: bob@example.org", "from: 山田 太郎 <bob@example.org>").replace(
            "to: [alice@example.com]",
            "to: [\"Alice <alice@example.com>\", alice@example.com]\n      charset: ISO-2022-JP\n      subject: 会議",
        );
        let sc = load_str(&src, "t.yaml").expect("valid");
        let Action::Send(s) = &sc.steps[0].action else { panic!("a send step") };
        assert_eq!((s.from.as_str(), s.from_name.as_deref()), ("bob@example.org", Some("山田 太郎")));
        assert_eq!(s.to, ["alice@example.com", "alice@example.com"]);
        assert_eq!(s.to_names, [Some("Alice".to_string()), None]);
        assert_eq!(s.charset, Charset::Iso2022Jp);
    }

    #[test]
    fn headers_the_client_writes_are_refused_where_they_stand() {
        let d =
            problems("      headers:\n        X-Course: ok\n        content-type: text/plain; charset=ISO-2022-JP\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].0, d[0].1), (22, 9));
        assert_eq!(
            d[0].2,
            "the mail client writes `content-type:` itself; a second one would make the message malformed"
        );
        assert!(d[0].3.contains("charset: iso-2022-jp"), "{}", d[0].3);
        let d = problems("      headers:\n        Subject: x\n        Message-ID: <1@x>\n");
        assert_eq!(d.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>(), [(21, 9), (22, 9)]);
    }

    #[test]
    fn dsn_reaches_the_model_and_bad_values_are_shown_where_they_stand() {
        use crate::proto::smtp::envelope::{Notify, Ret};
        let src = format!("{BASE}      dsn: {{notify: [success, FAILURE], ret: hdrs, envid: order-42}}\n");
        let sc = load_str(&src, "t.yaml").expect("valid");
        let Action::Send(s) = &sc.steps[0].action else { panic!("a send step") };
        let d = s.dsn.as_ref().expect("dsn");
        assert_eq!(d.notify, Some(Notify { success: true, failure: true, delay: false }));
        assert_eq!((d.ret, d.envid.as_deref()), (Some(Ret::Hdrs), Some("order-42")));
        let d = problems("      dsn:\n        notify: [never, success]\n        ret: body\n");
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].0, d[0].1), (21, 18));
        assert_eq!(d[0].2, "`never` cannot stand with other words");
        assert_eq!((d[1].0, d[1].1), (22, 14));
        assert_eq!(d[1].2, "unknown ret `body`");
        let d = problems("      dsn: {notify: [sometimes], envid: \"\"}\n");
        assert_eq!(d[0].2, "unknown notify word `sometimes`");
        assert_eq!(d[1].2, "`envid` must be one line of at most 100 characters");
        let d = problems("      dsn: {notify: []}\n");
        assert_eq!(d[0].2, "`notify` needs at least one word");
        let d = problems("      dsn: {retrun: full}\n");
        assert!(d[0].2.contains("retrun"), "{d:?}");
    }

    /// A line break in a value the client writes into the header would
    /// start a field of its own (`Bcc:` here); other control characters
    /// (a tab aside) are refused with it, each at its value.
    #[test]
    fn header_values_are_one_line() {
        let d = problems("      subject: \"Hel\\r\\nBcc: x@evil\\r\\nlo\"\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].0, d[0].1), (20, 16));
        assert_eq!(d[0].2, "a subject is one line; this one holds a carriage return (CR, `\\r`)");
        assert!(d[0].3.contains("header injection"), "{}", d[0].3);
        let d = problems("      subject: |\n        two\n        lines\n");
        assert_eq!(d[0].2, "a subject is one line; this one holds a line break (LF, `\\n`)");
        let d = problems("      headers:\n        X-Course: \"a\\0b\"\n        X-Esc: \"\\e[31m\"\n");
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            (d[0].0, d[0].1, d[0].2.as_str()),
            (21, 19, "the value of `X-Course` is one line; this one holds a NUL character (`\\0`)")
        );
        assert_eq!(
            (d[1].0, d[1].1, d[1].2.as_str()),
            (22, 16, "the value of `X-Esc` is one line; this one holds the control character U+001B")
        );
        let d = problems("      header_from: \"Taro\\r <taro@example.org>\"\n");
        assert_eq!((d[0].0, d[0].1), (20, 20));
        assert_eq!(d[0].2, "`header_from` is one line; this one holds a carriage return (CR, `\\r`)");
        let src = BASE.replace("      to: [alice@example.com]\n", "      to: [\"Alice\\n <alice@example.com>\"]\n");
        let Err(d) = load_str(&src, "t.yaml") else { panic!("accepted") };
        assert_eq!(d.0[0].message, "an address is one line; this one holds a line break (LF, `\\n`)");
        // A tab is allowed.
        let src = format!("{BASE}      subject: \"a\\tb\"\n      headers: {{ X-Course: \"a\\tb\" }}\n");
        assert!(load_str(&src, "t.yaml").is_ok());
    }

    #[test]
    fn iso_2022_jp_cannot_write_everything() {
        let d = problems("      charset: iso-2022-jp\n      subject: 絵文字 😀\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].0, d[0].1), (20, 16));
        assert_eq!(d[0].2, "ISO-2022-JP cannot write `😀` (U+1F600), found in the subject");
        let d = problems("      charset: latin-1\n");
        assert_eq!(d[0].2, "unknown charset `latin-1`");
        let d = problems("      header_from: 山田 <taro@example.org\n");
        assert_eq!(d[0].2, "`山田 <taro@example.org` is not an address with a display name");
    }
}
