//! Posts: who may post and what, numbering, the subject tag and header
//! fields of a distributed article, the archive and `get`.

use super::compose::cte_8bit;
use super::{
    Article, Attachments, Cx, Delivery, Kind, List, NoteKind, Others, Out, OutMail, Reason, TooLarge, mime, same,
};

impl List {
    pub(super) fn post(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let subject = mime::subject(data);
        let hs = crate::base::message::headers(data);
        let mut out = Vec::new();
        // A post that already went through this list is a loop.
        let ours = crate::base::message::values(&hs, "X-ML-Name").iter().any(|v| same(v.trim(), &self.cfg.name));
        if ours {
            out.push(Self::note(
                NoteKind::Loop,
                "dropped: the message already carries this list's X-ML-Name (a mail loop)",
                &from,
            ));
            return out;
        }
        if envelope_from.is_none() {
            out.push(Self::note(
                NoteKind::Forward,
                "a message from the null sender <> (a bounce?) reached the posting address; passed to the administrator",
                &from,
            ));
            out.push(self.forward_admin(None, data));
            return out;
        }
        if !self.may_post(&from) {
            let kind = self.cfg.kind;
            let why = self.reason(|t| t.why_may_not_post(&from, kind));
            return match self.cfg.others {
                Others::Hold => self.hold(cx, &from, &subject, data, &why),
                Others::Reject => self.refuse(cx, NoteKind::Reject, false, &from, envelope_from, data, &why),
                Others::Ignore => self.refuse(cx, NoteKind::Reject, true, &from, envelope_from, data, &why),
            };
        }
        // Outsiders are sorted out first, so that an oversized spam is not answered.
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = self.reason(|t| t.why_too_large(data.len(), max));
            let silent = self.cfg.too_large == TooLarge::Ignore;
            return self.refuse(cx, NoteKind::Size, silent, &from, envelope_from, data, &why);
        }
        self.accept(cx, &from, data)
    }

    /// Run the content checks on a post that may be distributed, then distribute it.
    pub(super) fn accept(&mut self, cx: &mut Cx, from: &str, data: &[u8]) -> Vec<Out> {
        let mut out = Vec::new();
        let mut body = data.to_vec();
        match self.cfg.attachments {
            Attachments::Keep => {}
            Attachments::Strip => {
                let t = self.texts();
                if let Some((stripped, removed)) =
                    mime::strip_attachments_with(data, t.stripped_intro(), |r| t.removed_part(r))
                {
                    let list: Vec<String> = removed.iter().map(|r| r.to_string()).collect();
                    out.push(Self::note(
                        NoteKind::Strip,
                        format!("removed {} part(s): {}", removed.len(), list.join(", ")),
                        from,
                    ));
                    body = stripped;
                }
            }
            Attachments::Reject => {
                let extra = mime::extra_parts(data);
                if !extra.is_empty() {
                    let why = self.reason(|t| t.why_attachments(&extra));
                    out.extend(self.refuse(cx, NoteKind::Content, false, from, Some(from), data, &why));
                    return out;
                }
            }
        }
        out.extend(self.distribute(cx, from, &body));
        out
    }

    /// Turn a post down: a note, a reply to the poster (when it may be answered), a notice to the administrators.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn refuse(
        &mut self,
        cx: &Cx,
        kind: NoteKind,
        silent: bool,
        from: &str,
        envelope_from: Option<&str>,
        data: &[u8],
        why: &Reason,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        if silent {
            out.push(Self::note(NoteKind::Ignore, format!("ignored without reply: {}", why.note), from));
            return out;
        }
        out.push(Self::note(kind, format!("rejected: {}", why.note), from));
        let why = &why.text;
        let t = self.texts();
        let (post, ctl, ml) = (self.cfg.post_address(), self.cfg.ctl_address(), self.ml());
        if self.answerable(envelope_from, from, data) {
            let subject = mime::subject(data);
            let body = t.not_distributed(&post, why, &subject, data.len(), &ctl);
            out.push(self.text_mail(cx, "reply", from, &t.not_distributed_subject(&ml), &body));
        }
        let subject = mime::subject(data);
        let body = t.refused_notice(from, &subject, why);
        out.extend(self.notify_admins(cx, &t.refused_notice_subject(&ml), &body));
        out
    }

    /// The `Subject:` field of a distributed post (no line end): the tag in
    /// front of the decoded subject, encoded again in the charset the poster's
    /// client used (`raw`: the field as it came), so a Japanese subject in
    /// ISO-2022-JP stays ISO-2022-JP.
    fn subject_field(&self, n: u32, subject: &str, raw: &str) -> String {
        use crate::base::rfc2047::{Charset, unstructured_field};
        let text = self.tagged_subject(n, subject);
        let cs = crate::base::rfc2047::charset_of(raw).unwrap_or(Charset::Utf8);
        unstructured_field("Subject", &text, cs)
            .or_else(|| unstructured_field("Subject", &text, Charset::Utf8))
            .unwrap_or_else(|| format!("Subject: {}", mime::encode_word(&text)))
    }

    /// The subject with the list's tag in front (decoded text).
    fn tagged_subject(&self, n: u32, subject: &str) -> String {
        let mut rest = subject.trim();
        let mut re = false;
        let open = format!("[{}:", self.cfg.name);
        loop {
            // `get` rather than indexing: a subject is any UTF-8, and a cut inside a character is no prefix.
            if rest.get(..open.len()).is_some_and(|p| p.eq_ignore_ascii_case(&open)) {
                match rest.find(']') {
                    Some(end) => rest = rest[end + 1..].trim_start(),
                    None => break,
                }
            } else if rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
                re = true;
                rest = rest[3..].trim_start();
            } else {
                break;
            }
        }
        let body = if re { format!("Re: {rest}") } else { rest.to_string() };
        if self.cfg.subject_tag { format!("[{}:{n:05}] {body}", self.cfg.name) } else { body }
    }

    /// Number, archive and send a post.
    fn distribute(&mut self, cx: &Cx, from: &str, data: &[u8]) -> Vec<Out> {
        self.seq += 1;
        let n = self.seq;
        let subject = mime::subject(data);
        let (header, body) = mime::split(data);
        let mut h = String::new();
        let (mut had_subject, mut had_reply_to) = (false, false);
        for f in mime::fields(header) {
            let name = mime::field_name(&f).to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "return-path"
                    | "delivered-to"
                    | "x-ml-name"
                    | "x-mail-count"
                    | "x-ml-info"
                    | "precedence"
                    | "errors-to"
            ) || name.starts_with("list-")
            {
                continue;
            }
            if name == "subject" {
                if !had_subject {
                    h.push_str(&self.subject_field(n, &subject, &f));
                    h.push_str("\r\n");
                }
                had_subject = true;
                continue;
            }
            if name == "reply-to" {
                had_reply_to = true;
            }
            h.push_str(&f);
            h.push_str("\r\n");
        }
        if !had_subject {
            h.push_str(&self.subject_field(n, "(no subject)", ""));
            h.push_str("\r\n");
        }
        if self.cfg.reply_to_list && !had_reply_to && self.cfg.kind == Kind::Participatory {
            h.push_str(&format!("Reply-To: {}\r\n", self.cfg.post_address()));
        }
        h.push_str(&format!(
            "X-ML-Name: {}\r\nX-Mail-Count: {n:05}\r\nX-ML-Info: Questions? Mail the word \"help\" to {}\r\n",
            self.cfg.name,
            self.cfg.ctl_address()
        ));
        h.push_str(&self.list_fields());
        h.push_str("Precedence: list\r\n\r\n");
        let mut article = h.into_bytes();
        article.extend_from_slice(body);
        self.archive.push(Article {
            n,
            from: from.into(),
            subject: subject.clone(),
            date: cx.now,
            data: article.clone(),
        });
        let each: Vec<String> =
            self.members.iter().filter(|m| m.delivery == Delivery::Each).map(|m| m.address.clone()).collect();
        let digest = self.members.iter().filter(|m| m.delivery == Delivery::Digest).count();
        let nomail = self.members.iter().filter(|m| m.delivery == Delivery::NoMail).count();
        // Only while someone reads digests: a member who turns them on later starts from there.
        if digest > 0 {
            self.digest_queue.push(n);
        }
        let mut out = vec![Self::note(
            NoteKind::Distribute,
            format!(
                "ARTICLE {n}: \"{subject}\" archived; sent to {} member(s), {digest} get it in the next digest, {nomail} receive no mail",
                each.len()
            ),
            from,
        )];
        if !each.is_empty() {
            out.push(Out::Mail(OutMail {
                what: "distribute",
                from: Some(self.cfg.admin_address()),
                to: each,
                data: article,
            }));
        }
        out
    }

    /// An archived article, sent to a member who asked for it with `get`.
    pub(super) fn article_mail(&mut self, cx: &Cx, to: &str, a: &Article) -> Out {
        let boundary = format!("=_article_{}_{}", a.n, self.mails + 1);
        let (n, post, ml) = (a.n, self.cfg.post_address(), self.ml());
        let t = self.texts();
        let text = t.article_attached(n, &post);
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n{}\r\n\
             {text}\r\n\
             --{boundary}\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--{boundary}--\r\n",
            cte_8bit(&text),
            String::from_utf8_lossy(&a.data).trim_end()
        );
        let subject = t.article_subject(n, &ml);
        let data = self.compose(cx, "auto-replied", to, &subject, &content);
        Out::Mail(OutMail { what: "article", from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }
}
