//! Steps that send mail: `send` (a new message, with attachments) and
//! `reply` (an answer to a fetched message), with optional SMTP AUTH.

use super::super::raw::{RawAttachment, RawAuth, RawHost, RawReply, RawSend};
use super::{Checker, MTA_ROLES};
use crate::scenario::{Attachment, ReplyTo, Role, Send, SmtpAuth};
use std::collections::BTreeMap;

/// The largest attachment a send step may make up (10 MB).
const MAX_ATTACHMENT: u64 = 10_000_000;

impl Checker {
    pub(super) fn send(&mut self, send: &RawSend, hosts: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Send> {
        let mua = self.host_ref(names, hosts, &send.from_host, &[Role::Mua], "the sending host (from_host)");
        let via = self.host_ref(names, hosts, &send.via, MTA_ROLES, "the server a message is sent via");
        let mut ok = self.mailbox(&send.from);
        if send.to.value.is_empty() {
            self.err(&send.to, "a message needs at least one recipient", "write to: [user@example.com]");
            ok = false;
        }
        for t in &send.to.value {
            ok &= self.mailbox(t);
        }
        ok &= self.send_header_fields(send);
        let auth = self.smtp_auth(&send.auth, &mut ok);
        let port = self.send_port(send, via.map(|v| &hosts[v]), &mut ok);
        let mut attachments = Vec::new();
        for a in &send.attachments {
            attachments.push(self.attachment(a, &mut ok));
        }
        if !ok {
            return None;
        }
        Some(Send {
            mua: mua?,
            via: via?,
            from: send.from.value.clone(),
            to: send.to.value.iter().map(|t| t.value.clone()).collect(),
            header_from: send.header_from.as_ref().map(|h| h.value.clone()),
            subject: send.subject.clone().unwrap_or_else(|| "(no subject)".into()),
            body: send.body.clone().unwrap_or_default(),
            helo: send.helo.as_ref().map(|h| h.value.clone()),
            headers: send.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            auth,
            port,
            reply: None,
            attachments,
        })
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
                        format!("host `{}` does not listen on port 465", h.name.value),
                        format!(
                            "port 465 (submission over TLS) needs `submission: true` and `tls: offered` or `required` on host `{}`",
                            h.name.value
                        ),
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
                        format!("host `{}` does not listen on port 587", h.name.value),
                        format!("give host `{}` the setting `submission: true`, or send to port 25", h.name.value),
                    );
                    *ok = false;
                }
                SUBMISSION
            }
            other => {
                self.err(
                    p,
                    format!("port {other} is not an SMTP port here"),
                    "use 25 (SMTP), 587 (submission) or 465 (submission over TLS)",
                );
                *ok = false;
                SMTP
            }
        }
    }

    /// `header_from`, `helo` and the names of extra `headers`; false when one is bad.
    fn send_header_fields(&mut self, send: &RawSend) -> bool {
        let mut ok = true;
        if let Some(hf) = &send.header_from
            && hf.value.contains('\n')
        {
            self.err(hf, "a header value cannot span lines here", "");
            ok = false;
        }
        if let Some(h) = &send.helo {
            ok &= self.domain(h).is_some();
        }
        for k in send.headers.keys() {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_graphic() && c != ':') {
                self.err(
                    &send.from_host,
                    format!("`{k}` is not a header field name"),
                    "use letters, digits and hyphens, e.g. X-Course",
                );
                ok = false;
            }
        }
        ok
    }

    /// One made-up attachment; `ok` turns false when it is bad.
    fn attachment(&mut self, a: &RawAttachment, ok: &mut bool) -> Attachment {
        let name_ok = !a.name.value.is_empty() && !a.name.value.contains(['"', '\r', '\n', '/', '\\']);
        if !name_ok {
            self.err(
                &a.name,
                format!("`{}` is not a file name", a.name.value),
                "write a plain name such as minutes.pdf",
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
                    format!("`{}` is not a MIME type for a file", t.value),
                    "write e.g. application/pdf or image/png",
                );
            }
            *ok = false;
        }
        let octets = a.octets.unwrap_or(1024);
        if octets > MAX_ATTACHMENT {
            self.err(
                &a.name,
                format!("{octets} octets is too large for an attachment here"),
                format!("use at most {MAX_ATTACHMENT} octets"),
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
                self.err(m, format!("unknown AUTH mechanism `{}`", m.value), "use PLAIN, LOGIN or CRAM-MD5");
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
        if r.keep.is_none() && r.body.is_none() {
            self.err(
                &r.from_host,
                "a reply needs `keep` (lines to copy) or `body`",
                "write e.g. `keep: confirm` to answer a confirmation request",
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
            to: Vec::new(),
            header_from: None,
            subject: String::new(),
            body: r.body.clone().unwrap_or_default(),
            helo: None,
            headers: Vec::new(),
            auth,
            port: crate::proto::ports::SMTP,
            reply: Some(ReplyTo { subject: r.subject.clone(), keep: r.keep.clone() }),
            attachments: Vec::new(),
        })
    }
}
