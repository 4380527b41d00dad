//! The list's own mail: the header fields every message from the list
//! carries, replies and notices, and when the list may answer at all.

use super::{Cx, Kind, List, Out, OutMail, mime, same};

/// The Content-Transfer-Encoding line a text part needs: none for ASCII
/// (7bit is the default), 8bit for UTF-8 text.
pub(super) fn cte_8bit(text: &str) -> &'static str {
    if text.is_ascii() { "" } else { "Content-Transfer-Encoding: 8bit\r\n" }
}

impl List {
    /// Header fields every message from the list carries (RFC 2369, RFC 2919).
    pub(super) fn list_fields(&self) -> String {
        let c = &self.cfg;
        let id = format!("<{}.{}>", c.name, c.domain);
        let list_id = match &c.title {
            Some(t) => format!("{} {id}", mime::encode_word(t)),
            None => id,
        };
        let post = match c.kind {
            Kind::Participatory => format!("<mailto:{}>", c.post_address()),
            Kind::Moderated => "NO".into(),
        };
        let ctl = c.ctl_address();
        format!(
            "List-Id: {list_id}\r\nList-Post: {post}\r\nList-Help: <mailto:{ctl}?body=help>\r\n\
             List-Subscribe: <mailto:{ctl}?body=subscribe>\r\nList-Unsubscribe: <mailto:{ctl}?body=unsubscribe>\r\n\
             List-Owner: <mailto:{}>\r\n",
            c.admin_address()
        )
    }

    /// A message written by the list itself (replies, notices, digests).
    /// `auto`: RFC 3834's Auto-Submitted value (auto-replied for answers to command mail, auto-generated otherwise).
    pub(super) fn compose(&mut self, cx: &Cx, auto: &str, to: &str, subject: &str, content: &str) -> Vec<u8> {
        self.mails += 1;
        let c = &self.cfg;
        let mut m = format!(
            "Date: {}\r\nFrom: {} <{}>\r\nTo: {to}\r\nSubject: {}\r\nMessage-ID: <{}.ml{}.{}@{}>\r\n\
             Reply-To: {}\r\nX-ML-Name: {}\r\n",
            crate::base::time::rfc5322(cx.now),
            self.ml(),
            c.admin_address(),
            mime::encode_word(subject),
            cx.now.format("%Y%m%d%H%M%S"),
            self.mails,
            c.name,
            c.domain,
            c.ctl_address(),
            c.name,
        );
        m.push_str(&self.list_fields());
        m.push_str(&format!("Precedence: list\r\nAuto-Submitted: {auto}\r\n"));
        m.push_str(content);
        m.into_bytes()
    }

    pub(super) fn text_mail(&mut self, cx: &Cx, what: &'static str, to: &str, subject: &str, body: &str) -> Out {
        let body = mime::crlf(body);
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: {}\r\n\r\n{body}",
            if body.is_ascii() { "7bit" } else { "8bit" }
        );
        let auto = if what == "reply" { "auto-replied" } else { "auto-generated" };
        let data = self.compose(cx, auto, to, subject, &content);
        Out::Mail(OutMail { what, from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }

    pub(super) fn notify_admins(&mut self, cx: &Cx, subject: &str, body: &str) -> Vec<Out> {
        let admins = self.cfg.admins.clone();
        admins.iter().map(|a| self.text_mail(cx, "notice", a, subject, body)).collect()
    }

    /// May the list answer this message? Never to `<>`, to itself, or to automatic mail (RFC 3834).
    pub(super) fn answerable(&self, envelope_from: Option<&str>, from: &str, data: &[u8]) -> bool {
        if envelope_from.is_none() || from.is_empty() {
            return false;
        }
        let c = &self.cfg;
        if [c.post_address(), c.ctl_address(), c.admin_address()].iter().any(|a| same(a, from)) {
            return false;
        }
        let hs = crate::base::message::headers(data);
        let auto = crate::base::message::first(&hs, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"));
        let bulk = crate::base::message::first(&hs, "Precedence")
            .is_some_and(|v| ["bulk", "list", "junk"].iter().any(|p| v.eq_ignore_ascii_case(p)));
        !(auto || bulk)
    }
}
