//! The list server: a mailing-list manager in the style of fml, sans-IO.
//!
//! A list `NAME@DOMAIN` has three addresses, as in the lecture's Ohanashi ML:
//! the posting address `NAME@`, the command address `NAME-ctl@` (command mail:
//! help, guide, subscribe, …) and the administrator's address `NAME-admin@`,
//! which is also the envelope sender of everything the list sends, so that
//! bounces come back to the list and not to the poster.
//!
//! [`List::receive`] takes one message the MTA delivered to one of those
//! addresses and returns what to do: log notes and new mail to submit.
//! [`List::digest`] builds the periodic digest. No sockets, clocks or
//! randomness: the time and a key source come in through [`Cx`].

pub mod command;
pub mod mime;

use chrono::{DateTime, FixedOffset};
use command::{Admin, Command, DigestArg};
use std::collections::BTreeMap;
use std::time::Duration;

/// Who may post: every member, or only the moderators (an announcement list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Participatory,
    Moderated,
}

/// What happens to a post from someone who may not post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Others {
    /// Sent back with a reason; the administrator is told.
    Reject,
    /// Kept until a moderator approves or rejects it by command mail.
    Hold,
    /// Dropped without a word (only the log knows).
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooLarge {
    Reject,
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attachments {
    Keep,
    /// Distribute only the text, with a note of what was removed.
    Strip,
    Reject,
}

/// How someone joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscribe {
    /// `subscribe`, then `confirm KEY` from the same address: member.
    Confirm,
    /// As `Confirm`, then the administrator adds the address by hand (`admin add`).
    ConfirmThenApprove,
    /// Requests go to the administrator, who adds members by hand.
    AdminOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Every post as it is distributed.
    Each,
    /// The posts of a period bundled into one message.
    Digest,
    /// Nothing (the member may still post, and read the archive).
    NoMail,
}

impl Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Each => "each",
            Delivery::Digest => "digest",
            Delivery::NoMail => "nomail",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestFormat {
    /// multipart/mixed: a table of contents, then a multipart/digest of message/rfc822 parts (RFC 2046).
    Mime,
    /// Plain text with the separators of RFC 1153.
    Rfc1153,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub address: String,
    pub name: String,
    pub delivery: Delivery,
}

#[derive(Clone, Debug)]
pub struct ListConfig {
    pub name: String,
    pub domain: String,
    /// The phrase of List-Id: and the first line of the guide.
    pub title: Option<String>,
    pub kind: Kind,
    /// Where mail to NAME-admin goes (the people who run the list).
    pub admins: Vec<String>,
    /// For `admin pass`; without one, remote administration is off.
    pub password: Option<String>,
    pub moderators: Vec<String>,
    pub members: Vec<Member>,
    pub others: Others,
    pub max_size: Option<usize>,
    pub too_large: TooLarge,
    pub attachments: Attachments,
    pub subscribe: Subscribe,
    /// `[name:00012]` in front of the subject.
    pub subject_tag: bool,
    /// Add `Reply-To: NAME@DOMAIN` unless the poster set a Reply-To.
    pub reply_to_list: bool,
    pub digest_every: Duration,
    pub digest_format: DigestFormat,
    /// The text `guide` sends; a default one describes the list.
    pub guide: Option<String>,
    /// A subscription key is good for this long.
    pub confirm_expiry: Duration,
    /// After this many permanent bounces a member's delivery is stopped (as Mailman does); `None` = never.
    pub bounce_limit: Option<u32>,
}

impl ListConfig {
    /// Settings as a new fml list has them: members post, others are rejected.
    pub fn new(name: &str, domain: &str) -> Self {
        ListConfig {
            name: name.to_ascii_lowercase(),
            domain: domain.to_ascii_lowercase(),
            title: None,
            kind: Kind::Participatory,
            admins: Vec::new(),
            password: None,
            moderators: Vec::new(),
            members: Vec::new(),
            others: Others::Reject,
            max_size: None,
            too_large: TooLarge::Reject,
            attachments: Attachments::Keep,
            subscribe: Subscribe::Confirm,
            subject_tag: true,
            reply_to_list: true,
            digest_every: Duration::from_secs(86400),
            digest_format: DigestFormat::Mime,
            guide: None,
            confirm_expiry: Duration::from_secs(7 * 86400),
            bounce_limit: Some(5),
        }
    }
    pub fn post_address(&self) -> String {
        format!("{}@{}", self.name, self.domain)
    }
    pub fn ctl_address(&self) -> String {
        format!("{}-ctl@{}", self.name, self.domain)
    }
    pub fn admin_address(&self) -> String {
        format!("{}-admin@{}", self.name, self.domain)
    }
    /// Which of this list's addresses a local part names.
    pub fn dest_of(&self, local: &str) -> Option<Dest> {
        let l = local.to_ascii_lowercase();
        if l == self.name {
            Some(Dest::Post)
        } else if l == format!("{}-ctl", self.name) {
            Some(Dest::Ctl)
        } else if l == format!("{}-admin", self.name) || l == format!("{}-request", self.name) {
            Some(Dest::Admin)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Post,
    Ctl,
    Admin,
}

impl Dest {
    pub fn name(self) -> &'static str {
        match self {
            Dest::Post => "posting address",
            Dest::Ctl => "command address",
            Dest::Admin => "administrator address",
        }
    }
}

/// What the caller supplies: the time, and random keys for confirmations and held posts.
pub struct Cx<'a> {
    pub now: DateTime<FixedOffset>,
    pub key: &'a mut dyn FnMut() -> u32,
}

/// One thing the list did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// For the trace (as `list.KIND`) and the list's log.
    Note { kind: &'static str, text: String, who: String },
    /// A message to submit to the local MTA. `from` is the envelope sender (`None` = `<>`).
    Mail(OutMail),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMail {
    /// distribute, reply, notice, forward, article, digest
    pub what: &'static str,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Article {
    pub n: u32,
    pub from: String,
    pub subject: String,
    pub date: DateTime<FixedOffset>,
    /// The article as distributed.
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
struct Held {
    from: String,
    subject: String,
    data: Vec<u8>,
    reason: String,
}

#[derive(Clone, Debug)]
struct Pending {
    address: String,
    name: String,
    at: DateTime<FixedOffset>,
}

pub struct List {
    pub cfg: ListConfig,
    members: Vec<Member>,
    moderators: Vec<String>,
    seq: u32,
    archive: Vec<Article>,
    held: BTreeMap<String, Held>,
    pending: BTreeMap<String, Pending>,
    /// Confirmed, waiting for the administrator (ConfirmThenApprove).
    awaiting: BTreeMap<String, Pending>,
    digest_queue: Vec<u32>,
    digest_issue: u32,
    mails: u32,
    /// Permanent bounces per member address (lower case).
    bounces: BTreeMap<String, u32>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl List {
    pub fn new(mut cfg: ListConfig) -> Self {
        let members = std::mem::take(&mut cfg.members);
        let moderators = cfg.moderators.clone();
        List {
            cfg,
            members,
            moderators,
            seq: 0,
            archive: Vec::new(),
            held: BTreeMap::new(),
            pending: BTreeMap::new(),
            awaiting: BTreeMap::new(),
            digest_queue: Vec::new(),
            digest_issue: 0,
            mails: 0,
            bounces: BTreeMap::new(),
        }
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }
    pub fn archive(&self) -> &[Article] {
        &self.archive
    }
    pub fn held_keys(&self) -> Vec<String> {
        self.held.keys().cloned().collect()
    }
    /// Posts waiting for the next digest, with someone to send it to.
    pub fn digest_pending(&self) -> bool {
        !self.digest_queue.is_empty() && self.members.iter().any(|m| m.delivery == Delivery::Digest)
    }

    fn member(&self, a: &str) -> Option<&Member> {
        self.members.iter().find(|m| same(&m.address, a))
    }
    fn is_member(&self, a: &str) -> bool {
        self.member(a).is_some()
    }
    fn is_moderator(&self, a: &str) -> bool {
        self.moderators.iter().any(|m| same(m, a)) || self.is_admin(a)
    }
    fn is_admin(&self, a: &str) -> bool {
        self.cfg.admins.iter().any(|m| same(m, a))
    }
    fn may_post(&self, a: &str) -> bool {
        match self.cfg.kind {
            Kind::Participatory => self.is_member(a) || self.is_moderator(a),
            Kind::Moderated => self.is_moderator(a),
        }
    }
    fn ml(&self) -> String {
        format!("{} ML", self.cfg.name)
    }
    fn note(kind: &'static str, text: impl Into<String>, who: &str) -> Out {
        Out::Note { kind, text: text.into(), who: who.to_string() }
    }

    /// Header fields every message from the list carries (RFC 2369, RFC 2919).
    fn list_fields(&self) -> String {
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
    fn compose(&mut self, cx: &Cx, auto: &str, to: &str, subject: &str, content: &str) -> Vec<u8> {
        self.mails += 1;
        let c = &self.cfg;
        let mut m = format!(
            "Date: {}\r\nFrom: {} <{}>\r\nTo: {to}\r\nSubject: {}\r\nMessage-ID: <{}.ml{}.{}@{}>\r\n\
             Reply-To: {}\r\nX-ML-Name: {}\r\n",
            crate::env::rfc5322(cx.now),
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

    fn text_mail(&mut self, cx: &Cx, what: &'static str, to: &str, subject: &str, body: &str) -> Out {
        let body = mime::crlf(body);
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: {}\r\n\r\n{body}",
            if body.is_ascii() { "7bit" } else { "8bit" }
        );
        let auto = if what == "reply" { "auto-replied" } else { "auto-generated" };
        let data = self.compose(cx, auto, to, subject, &content);
        Out::Mail(OutMail { what, from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }

    fn notify_admins(&mut self, cx: &Cx, subject: &str, body: &str) -> Vec<Out> {
        let admins = self.cfg.admins.clone();
        admins.iter().map(|a| self.text_mail(cx, "notice", a, subject, body)).collect()
    }

    /// Take one message delivered to one of the list's addresses.
    pub fn receive(&mut self, dest: Dest, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        match dest {
            Dest::Post => self.post(envelope_from, data, cx),
            Dest::Ctl => self.commands(envelope_from, data, cx),
            Dest::Admin => self.admin_mail(envelope_from, data, cx),
        }
    }

    /// May the list answer this message? Never to `<>`, to itself, or to automatic mail (RFC 3834).
    fn answerable(&self, envelope_from: Option<&str>, from: &str, data: &[u8]) -> bool {
        if envelope_from.is_none() || from.is_empty() {
            return false;
        }
        let c = &self.cfg;
        if [c.post_address(), c.ctl_address(), c.admin_address()].iter().any(|a| same(a, from)) {
            return false;
        }
        let hs = crate::message::headers(data);
        let auto = crate::message::first(&hs, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"));
        let bulk = crate::message::first(&hs, "Precedence")
            .is_some_and(|v| ["bulk", "list", "junk"].iter().any(|p| v.eq_ignore_ascii_case(p)));
        !(auto || bulk)
    }

    fn post(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let subject = mime::subject(data);
        let hs = crate::message::headers(data);
        let mut out = Vec::new();
        // A post that already went through this list is a loop.
        let ours = crate::message::values(&hs, "X-ML-Name").iter().any(|v| same(v.trim(), &self.cfg.name));
        if ours {
            out.push(Self::note(
                "loop",
                "dropped: the message already carries this list's X-ML-Name (a mail loop)",
                &from,
            ));
            return out;
        }
        if envelope_from.is_none() {
            out.push(Self::note(
                "forward",
                "a message from the null sender <> (a bounce?) reached the posting address; passed to the administrator",
                &from,
            ));
            out.push(self.forward_admin(None, data));
            return out;
        }
        if !self.may_post(&from) {
            let who = match self.cfg.kind {
                Kind::Participatory => "only members may post",
                Kind::Moderated => "only the moderators may post to this announcement list",
            };
            let why = format!("{from} may not post: {who}");
            return match self.cfg.others {
                Others::Hold => self.hold(cx, &from, &subject, data, &why),
                Others::Reject => self.refuse(cx, "reject", false, &from, envelope_from, data, &why),
                Others::Ignore => self.refuse(cx, "reject", true, &from, envelope_from, data, &why),
            };
        }
        // Outsiders are sorted out first, so that an oversized spam is not answered.
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = format!("{} octets is over the limit of {max}", data.len());
            return self.refuse(cx, "size", self.cfg.too_large == TooLarge::Ignore, &from, envelope_from, data, &why);
        }
        self.accept(cx, &from, data)
    }

    /// Run the content checks on a post that may be distributed, then distribute it.
    fn accept(&mut self, cx: &mut Cx, from: &str, data: &[u8]) -> Vec<Out> {
        let mut out = Vec::new();
        let mut body = data.to_vec();
        match self.cfg.attachments {
            Attachments::Keep => {}
            Attachments::Strip => {
                if let Some((stripped, removed)) =
                    mime::strip_attachments(data, "[The list removed these parts before distribution:]")
                {
                    let list: Vec<String> = removed.iter().map(|r| r.to_string()).collect();
                    out.push(Self::note(
                        "strip",
                        format!("removed {} part(s): {}", removed.len(), list.join(", ")),
                        from,
                    ));
                    body = stripped;
                }
            }
            Attachments::Reject => {
                let extra = mime::extra_parts(data);
                if !extra.is_empty() {
                    let list: Vec<String> = extra.iter().map(|r| r.to_string()).collect();
                    let why = format!("attachments are not allowed on this list: {}", list.join(", "));
                    out.extend(self.refuse(cx, "content", false, from, Some(from), data, &why));
                    return out;
                }
            }
        }
        out.extend(self.distribute(cx, from, &body));
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn refuse(
        &mut self,
        cx: &Cx,
        kind: &'static str,
        silent: bool,
        from: &str,
        envelope_from: Option<&str>,
        data: &[u8],
        why: &str,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        if silent {
            out.push(Self::note("ignore", format!("ignored without reply: {why}"), from));
            return out;
        }
        out.push(Self::note(kind, format!("rejected: {why}"), from));
        if self.answerable(envelope_from, from, data) {
            let subject = mime::subject(data);
            let body = format!(
                "Your message to {} was not distributed.\n\nReason: {why}\n\n  Subject: {subject}\n  Size: {} octets\n\n\
                 For help, send a mail with the single word \"help\" in the body to {}.\n",
                self.cfg.post_address(),
                data.len(),
                self.cfg.ctl_address()
            );
            let ml = self.ml();
            out.push(self.text_mail(cx, "reply", from, &format!("Your post was not distributed ({ml})"), &body));
        }
        let body = format!(
            "The list turned a message down.\n\n  From: {from}\n  Subject: {}\n  Reason: {why}\n",
            mime::subject(data)
        );
        let ml = self.ml();
        out.extend(self.notify_admins(cx, &format!("Post refused ({ml})"), &body));
        out
    }

    fn hold(&mut self, cx: &mut Cx, from: &str, subject: &str, data: &[u8], why: &str) -> Vec<Out> {
        let key = loop {
            let k = format!("{:08}", (cx.key)() % 100_000_000);
            if !self.held.contains_key(&k) {
                break k;
            }
        };
        self.held.insert(
            key.clone(),
            Held { from: from.into(), subject: subject.into(), data: data.to_vec(), reason: why.into() },
        );
        let mut out = vec![Self::note("hold", format!("held for a moderator as {key}: {why}"), from)];
        let mut quoted = String::new();
        for l in mime::body_text(data).lines().take(40) {
            quoted.push_str(&format!("> {l}\n"));
        }
        let ctl = self.cfg.ctl_address();
        let notice = format!(
            "A post to {} is waiting for your decision.\n\n  From: {from}\n  Subject: {subject}\n  Why it was held: {why}\n\n\
             To distribute it, send this line in the body of a mail to {ctl}:\n\napprove {key}\n\n\
             To turn it down instead, send:\n\nreject {key}\n\nThe post begins:\n\n{quoted}",
            self.cfg.post_address()
        );
        let mods: Vec<String> =
            if self.moderators.is_empty() { self.cfg.admins.clone() } else { self.moderators.clone() };
        let ml = self.ml();
        for m in &mods {
            out.push(self.text_mail(
                cx,
                "notice",
                m,
                &format!("Post held for approval: \"{subject}\" ({ml})"),
                &notice,
            ));
        }
        // Only members hear about it: telling a stranger would send mail to forged senders (backscatter).
        if self.is_member(from) && self.answerable(Some(from), from, data) {
            let body = format!(
                "Your message \"{subject}\" to {} is waiting for a moderator.\nYou will hear from the list if it is turned down.\n",
                self.cfg.post_address()
            );
            out.push(self.text_mail(cx, "reply", from, &format!("Your post is waiting for a moderator ({ml})"), &body));
        }
        out
    }

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
        if self.cfg.subject_tag {
            format!("[{}:{n:05}] {}", self.cfg.name, mime::encode_word(&body))
        } else {
            mime::encode_word(&body)
        }
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
                    h.push_str(&format!("Subject: {}\r\n", self.tagged_subject(n, &subject)));
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
            h.push_str(&format!("Subject: {}\r\n", self.tagged_subject(n, "(no subject)")));
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
            "distribute",
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

    fn forward_admin(&self, envelope_from: Option<&str>, data: &[u8]) -> Out {
        Out::Mail(OutMail {
            what: "forward",
            from: envelope_from.map(str::to_string),
            to: self.cfg.admins.clone(),
            data: data.to_vec(),
        })
    }

    /// Mail to NAME-admin: bounces of distributed mail, and questions for the people running the list.
    fn admin_mail(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_else(|| "<>".into());
        let mut out = Vec::new();
        if envelope_from.is_none() {
            // A delivery status notification: name the failed members.
            let text = String::from_utf8_lossy(data);
            let mut failed = Vec::new();
            let mut status = String::new();
            for l in text.lines() {
                let l = l.trim();
                if let Some(v) = l.strip_prefix("Final-Recipient:") {
                    failed.push(v.split(';').next_back().unwrap_or(v).trim().to_string());
                } else if let Some(v) = l.strip_prefix("Status:") {
                    status = v.trim().to_string();
                }
            }
            if failed.is_empty() {
                out.push(Self::note("bounce", "a message from <> that names no failed recipient", &from));
            } else {
                for f in &failed {
                    let m = if self.is_member(f) { "member" } else { "address" };
                    out.push(Self::note("bounce", format!("delivery to {m} {f} failed ({status})"), &from));
                    if self.is_member(f) && status.starts_with('5') {
                        out.extend(self.count_bounce(f, cx));
                    }
                }
            }
        } else {
            out.push(Self::note("forward", "mail for the administrator", &from));
        }
        out.push(self.forward_admin(envelope_from, data));
        out
    }

    /// One more permanent bounce for a member; at the limit, stop sending to it.
    fn count_bounce(&mut self, addr: &str, cx: &Cx) -> Vec<Out> {
        let Some(limit) = self.cfg.bounce_limit else { return Vec::new() };
        let n = self.bounces.entry(addr.to_ascii_lowercase()).or_insert(0);
        *n += 1;
        let n = *n;
        if n < limit {
            return vec![Self::note(
                "bounce",
                format!("{addr} has bounced {n} time(s); delivery stops at {limit}"),
                addr,
            )];
        }
        match self.members.iter_mut().find(|m| same(&m.address, addr)) {
            Some(m) if m.delivery != Delivery::NoMail => {
                m.delivery = Delivery::NoMail;
                let body = format!(
                    "Mail to {addr} has bounced {n} time(s), so the list no longer sends there.\n\
                     The address is still a member. To remove it, send to {}:\n\nadmin pass PASSWORD\nadmin bye {addr}\n",
                    self.cfg.ctl_address()
                );
                let ml = self.ml();
                let mut out = self.notify_admins(cx, &format!("Delivery stopped for {addr} ({ml})"), &body);
                out.insert(0, Self::note(
                    "disable",
                    format!("{addr} bounced {n} time(s): no more mail is sent there (still a member; the administrator may remove it)"),
                    addr,
                ));
                out
            }
            _ => Vec::new(),
        }
    }

    /// Command mail to NAME-ctl: run each line, answer with one status report.
    fn commands(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let mut out = Vec::new();
        if !self.answerable(envelope_from, &from, data) {
            out.push(Self::note("ignore", "command mail from <> or an automatic sender: not answered", &from));
            return out;
        }
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = format!("{} octets is over the limit of {max}; commands in it were not read", data.len());
            return self.refuse(cx, "size", self.cfg.too_large == TooLarge::Ignore, &from, envelope_from, data, &why);
        }
        let lines = command::command_lines(&mime::body_text(data));
        let mut report = String::new();
        let mut admin_ok = false;
        let mut subject = format!("Command results ({})", self.ml());
        if lines.is_empty() {
            report.push_str("Your mail had no commands in it. Send \"help\" for the list of commands.\n");
        }
        let mut read = 0;
        for (i, line) in lines.iter().enumerate() {
            if i == command::MAX_COMMANDS {
                report.push_str(&format!(
                    "\n(only the first {} lines are read; the rest was ignored)\n",
                    command::MAX_COMMANDS
                ));
                break;
            }
            let cmd = command::parse(line);
            read += 1;
            let shown = if line.to_ascii_lowercase().starts_with("admin pass") { "admin pass ********" } else { line };
            report.push_str(&format!(">>> {shown}\n"));
            if cmd == Command::End {
                report.push_str("   (the rest of the mail is not read)\n");
                break;
            }
            if matches!(cmd, Command::Subscribe { .. }) && self.cfg.subscribe != Subscribe::AdminOnly {
                subject = format!("Subscribe confirmation request ({})", self.ml());
            }
            let (text, mut mails) = self.run(cx, &from, cmd, &mut admin_ok);
            for l in text.lines() {
                report.push_str(&format!("   {l}\n"));
            }
            report.push('\n');
            out.append(&mut mails);
        }
        out.insert(0, Self::note("command", format!("{read} command line(s) read"), &from));
        let reply = self.text_mail(cx, "reply", &from, &subject, &report);
        out.push(reply);
        out
    }

    fn members_only(&self, from: &str) -> Option<String> {
        if self.is_member(from) || self.is_moderator(from) {
            None
        } else {
            Some(format!(
                "Refused: this command is for members, and {from} is not one.\nTo join, send \"subscribe YOUR NAME\"."
            ))
        }
    }

    /// One command; the text for the report and any extra mail.
    fn run(&mut self, cx: &mut Cx, from: &str, cmd: Command, admin_ok: &mut bool) -> (String, Vec<Out>) {
        let mut mails = Vec::new();
        let text = match cmd {
            Command::Help => self.help_text(),
            Command::Guide => self.guide_text(),
            Command::Subscribe { name } => self.subscribe(cx, from, &name, &mut mails),
            Command::Confirm { key, name } => self.confirm(cx, from, &key, &name, &mut mails),
            Command::Unsubscribe => match self.members.iter().position(|m| same(&m.address, from)) {
                Some(i) => {
                    self.members.remove(i);
                    mails.push(Self::note("unsubscribe", format!("{from} left the list"), from));
                    format!("{from} has left the list. Goodbye!")
                }
                None => format!("{from} is not a member, so there is nothing to leave."),
            },
            Command::Members => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let mut t = format!("{} member(s):\n", self.members.len());
                    for m in &self.members {
                        t.push_str(&format!("  {}  ({})\n", m.address, m.delivery.name()));
                    }
                    t
                }
            },
            Command::Index => match self.members_only(from) {
                Some(r) => r,
                None if self.archive.is_empty() => "The archive is empty: nothing has been posted yet.".into(),
                None => {
                    let mut t =
                        format!("{} article(s) in the archive; ask for one with \"get N\":\n", self.archive.len());
                    for a in &self.archive {
                        t.push_str(&format!(
                            "  {:5}  {}  {}  {}\n",
                            a.n,
                            a.date.format("%Y-%m-%d %H:%M"),
                            a.from,
                            a.subject
                        ));
                    }
                    t
                }
            },
            Command::Get(ns) => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let mut t = String::new();
                    for n in ns {
                        match self.archive.iter().find(|a| a.n == n).cloned() {
                            Some(a) => {
                                mails.push(self.article_mail(cx, from, &a));
                                t.push_str(&format!("Article {n} is sent to you in a separate mail.\n"));
                            }
                            None => t.push_str(&format!("Article {n} is not in the archive.\n")),
                        }
                    }
                    t
                }
            },
            Command::Chaddr { old, new } => {
                if !same(&old, from) {
                    format!("Refused: send chaddr from the old address ({old}); this mail came from {from}.")
                } else if self.is_member(&new) {
                    format!("Refused: {new} is already a member.")
                } else {
                    match self.members.iter_mut().find(|m| same(&m.address, &old)) {
                        Some(m) => {
                            m.address = new.clone();
                            mails.push(Self::note("chaddr", format!("{old} is now {new}"), from));
                            format!("Done: the list now sends to {new} instead of {old}.")
                        }
                        None => format!("Refused: {old} is not a member."),
                    }
                }
            }
            Command::Digest(arg) => {
                let every = crate::scenario::format_duration(self.cfg.digest_every);
                let format = match self.cfg.digest_format {
                    DigestFormat::Mime => "a MIME digest",
                    DigestFormat::Rfc1153 => "an RFC 1153 text digest",
                };
                match self.members.iter_mut().find(|m| same(&m.address, from)) {
                    Some(m) => {
                        m.delivery = match arg {
                            DigestArg::On => Delivery::Digest,
                            DigestArg::Off => Delivery::Each,
                            DigestArg::NoMail => Delivery::NoMail,
                        };
                        let d = m.delivery;
                        mails.push(Self::note("delivery", format!("{from} now receives: {}", d.name()), from));
                        match d {
                            Delivery::Digest => format!("From now on you get {format} every {every} instead of each post."),
                            Delivery::Each => "From now on you get each post as it is sent.".into(),
                            Delivery::NoMail => {
                                "From now on the list sends you no posts; you stay a member (you may post, and read with index/get).".into()
                            }
                        }
                    }
                    None => format!("Refused: {from} is not a member."),
                }
            }
            Command::Approve(key) | Command::Reject(key) if !self.is_moderator(from) && !*admin_ok => {
                let _ = key;
                format!("Refused: only a moderator may decide on held posts, and {from} is not one.")
            }
            Command::Approve(key) => match self.held.remove(&key) {
                Some(h) => {
                    mails.push(Self::note(
                        "approve",
                        format!("held post {key} from {} approved by {from}", h.from),
                        from,
                    ));
                    let mut dist = self.accept(cx, &h.from, &h.data);
                    mails.append(&mut dist);
                    format!("Approved: \"{}\" from {} is distributed.", h.subject, h.from)
                }
                None => format!("No held post has the key {key} (already decided, or mistyped)."),
            },
            Command::Reject(key) => match self.held.remove(&key) {
                Some(h) => {
                    mails.push(Self::note(
                        "decline",
                        format!("held post {key} from {} declined by {from}", h.from),
                        from,
                    ));
                    let told = self.is_member(&h.from) && self.answerable(Some(&h.from), &h.from, &h.data);
                    if told {
                        let body = format!(
                            "A moderator decided not to distribute your message \"{}\" to {}.\n(It was held because {}.)\n",
                            h.subject,
                            self.cfg.post_address(),
                            h.reason
                        );
                        let ml = self.ml();
                        let to = h.from.clone();
                        mails.push(self.text_mail(
                            cx,
                            "reply",
                            &to,
                            &format!("Your post was not distributed ({ml})"),
                            &body,
                        ));
                    }
                    let tell = if told {
                        "the sender is told"
                    } else {
                        "the sender is not a member and is not told (it may be a forged address)"
                    };
                    format!("Rejected: \"{}\" from {} is not distributed; {tell}.", h.subject, h.from)
                }
                None => format!("No held post has the key {key} (already decided, or mistyped)."),
            },
            Command::Admin(a) => self.admin(cx, from, a, admin_ok, &mut mails),
            Command::Usage { command, usage } => format!("\"{command}\" needs other arguments. Usage: {usage}"),
            Command::Unknown(w) => {
                format!("Unknown command \"{w}\". Commands are read one per line; send \"help\" for the list of them.")
            }
            Command::End => String::new(),
        };
        (text, mails)
    }

    fn subscribe(&mut self, cx: &mut Cx, from: &str, name: &str, mails: &mut Vec<Out>) -> String {
        if self.is_member(from) {
            return format!("{from} is already a member.");
        }
        if self.cfg.subscribe == Subscribe::AdminOnly {
            mails.push(Self::note("subscribe", format!("join request from {from}: passed to the administrator"), from));
            let body = format!(
                "{from} ({}) asks to join {}.\nTo add them, send to {}:\n\nadmin pass PASSWORD\nadmin add {from}\n",
                if name.is_empty() { "no name given" } else { name },
                self.cfg.post_address(),
                self.cfg.ctl_address()
            );
            let ml = self.ml();
            mails.extend(self.notify_admins(cx, &format!("Join request ({ml})"), &body));
            return "This list adds members by hand: your request has gone to the administrator.".into();
        }
        let key = format!("{:08}", (cx.key)() % 100_000_000);
        let shown_name = if name.is_empty() { "YOUR NAME".to_string() } else { name.to_string() };
        self.pending.insert(key.clone(), Pending { address: from.into(), name: name.into(), at: cx.now });
        mails.push(Self::note("subscribe", format!("join request from {from}: confirmation key {key} sent"), from));
        format!(
            "Please confirm that {from} wants to join {}.\n\
             Reply to this mail (to {}) with this line in the body:\n\nconfirm {key} {shown_name}\n\n\
             The key is good for {}. If you did not ask to join, do nothing.",
            self.cfg.post_address(),
            self.cfg.ctl_address(),
            crate::scenario::format_duration(self.cfg.confirm_expiry)
        )
    }

    fn confirm(&mut self, cx: &mut Cx, from: &str, key: &str, name: &str, mails: &mut Vec<Out>) -> String {
        let Some(p) = self.pending.get(key).cloned() else {
            return "That key is unknown (mistyped, already used, or expired). Send \"subscribe YOUR NAME\" to get a new one."
                .into();
        };
        let age = (cx.now - p.at).to_std().unwrap_or_default();
        if age > self.cfg.confirm_expiry {
            self.pending.remove(key);
            return "That key has expired. Send \"subscribe YOUR NAME\" to start again.".into();
        }
        if !same(&p.address, from) {
            return format!("Refused: key {key} was sent to {}, not to {from}. Confirm from that address.", p.address);
        }
        self.pending.remove(key);
        let name = if name.is_empty() { p.name.clone() } else { name.to_string() };
        if self.is_member(from) {
            return format!("{from} is already a member.");
        }
        match self.cfg.subscribe {
            Subscribe::Confirm | Subscribe::AdminOnly => {
                self.members.push(Member { address: from.into(), name: name.clone(), delivery: Delivery::Each });
                mails.push(Self::note("join", format!("{from} confirmed and joined"), from));
                let body = format!(
                    "{from} ({}) joined {} after confirming; the list now has {} member(s).\n",
                    if name.is_empty() { "no name given" } else { &name },
                    self.cfg.post_address(),
                    self.members.len()
                );
                let ml = self.ml();
                mails.extend(self.notify_admins(cx, &format!("New member ({ml})"), &body));
                format!(
                    "Welcome! {from} is now a member of {}.\nPost by writing to {}; send \"help\" to {} for the commands.\n{}",
                    self.cfg.post_address(),
                    self.cfg.post_address(),
                    self.cfg.ctl_address(),
                    self.cfg.guide.as_deref().map(|g| format!("\n{g}")).unwrap_or_default()
                )
            }
            Subscribe::ConfirmThenApprove => {
                self.awaiting.insert(
                    from.to_ascii_lowercase(),
                    Pending { address: from.into(), name: name.clone(), at: cx.now },
                );
                mails.push(Self::note("confirm", format!("{from} confirmed; waiting for the administrator"), from));
                let body = format!(
                    "{from} ({}) confirmed a request to join {}.\nTo let them in, send to {}:\n\nadmin pass PASSWORD\nadmin add {from}\n",
                    if name.is_empty() { "no name given" } else { &name },
                    self.cfg.post_address(),
                    self.cfg.ctl_address()
                );
                let ml = self.ml();
                mails.extend(self.notify_admins(cx, &format!("Join request to approve ({ml})"), &body));
                "Thank you: your address is confirmed. The administrator checks every new member by hand; you will get a welcome mail when you are added.".into()
            }
        }
    }

    fn admin(&mut self, cx: &mut Cx, from: &str, a: Admin, admin_ok: &mut bool, mails: &mut Vec<Out>) -> String {
        if let Admin::Pass(pw) = &a {
            let Some(want) = &self.cfg.password else {
                mails.push(Self::note("admin", "admin pass refused: remote administration is off", from));
                return "Refused: this list has no remote administration.".into();
            };
            if !self.is_admin(from) {
                mails.push(Self::note("admin", format!("admin pass refused: {from} is not an administrator"), from));
                return format!("Refused: {from} is not an administrator of this list.");
            }
            if pw != want {
                *admin_ok = false;
                mails.push(Self::note("admin", "admin pass refused: wrong password", from));
                return "Refused: wrong password. Admin commands in this mail will not run.".into();
            }
            *admin_ok = true;
            mails.push(Self::note("admin", "admin pass accepted", from));
            return "Password accepted: admin commands in the rest of this mail will run.".into();
        }
        if a == Admin::Help {
            return "Administrator commands (after \"admin pass PASSWORD\", from an administrator's address):\n  \
                    admin add ADDRESS [NAME]   add a member\n  admin bye ADDRESS          remove a member\n  \
                    admin moderate ADDRESS     make a member a moderator"
                .into();
        }
        if !*admin_ok {
            mails.push(Self::note("admin", "admin command refused: no valid \"admin pass\" before it", from));
            return "Refused: start the mail with \"admin pass PASSWORD\" (from an administrator's address).".into();
        }
        match a {
            Admin::Add { address, name } => {
                if self.is_member(&address) {
                    return format!("{address} is already a member.");
                }
                let name = if name.is_empty() {
                    self.awaiting.get(&address.to_ascii_lowercase()).map(|p| p.name.clone()).unwrap_or_default()
                } else {
                    name
                };
                self.awaiting.remove(&address.to_ascii_lowercase());
                self.members.push(Member { address: address.clone(), name, delivery: Delivery::Each });
                mails.push(Self::note("admin", format!("admin add {address}"), from));
                let body = format!(
                    "Welcome! The administrator has added {address} to {}.\nPost by writing to {}; send \"help\" to {} for the commands.\n{}",
                    self.cfg.post_address(),
                    self.cfg.post_address(),
                    self.cfg.ctl_address(),
                    self.cfg.guide.as_deref().map(|g| format!("\n{g}")).unwrap_or_default()
                );
                let ml = self.ml();
                mails.push(self.text_mail(cx, "reply", &address, &format!("Welcome to the {ml}"), &body));
                format!("Added {address}; the list now has {} member(s).", self.members.len())
            }
            Admin::Bye(address) => match self.members.iter().position(|m| same(&m.address, &address)) {
                Some(i) => {
                    self.members.remove(i);
                    mails.push(Self::note("admin", format!("admin bye {address}"), from));
                    format!("Removed {address}; the list now has {} member(s).", self.members.len())
                }
                None => format!("{address} is not a member."),
            },
            Admin::Moderate(address) => {
                if self.moderators.iter().any(|m| same(m, &address)) {
                    return format!("{address} is already a moderator.");
                }
                self.moderators.push(address.clone());
                mails.push(Self::note("admin", format!("admin moderate {address}"), from));
                format!("{address} is now a moderator.")
            }
            Admin::Usage(u) => format!("Usage: {u}"),
            Admin::Unknown(w) => format!("Unknown admin command \"{w}\"; send \"admin help\"."),
            Admin::Pass(_) | Admin::Help => String::new(),
        }
    }

    fn help_text(&self) -> String {
        let c = &self.cfg;
        format!(
            "Commands for {}: write them in the body of a mail to {}, one per line.\n\n\
             help                   this text\n\
             guide                  what the list is and how to join\n\
             subscribe YOUR NAME    ask to join (you get a key to confirm)\n\
             confirm KEY YOUR NAME  finish joining with the key you were sent\n\
             unsubscribe            leave the list\n\
             members                who is on the list (members only)\n\
             index                  the archived articles (members only)\n\
             get N                  article N from the archive, also get 3-5 (members only)\n\
             chaddr OLD NEW         move your membership to a new address (send from OLD)\n\
             digest on|off|nomail   get a digest / each post / no mail\n\
             approve KEY, reject KEY   decide on a held post (moderators)\n\
             admin pass PASSWORD    then admin add, admin bye, admin moderate (administrators)\n\
             end                    stop reading (put it before your signature)\n",
            c.post_address(),
            c.ctl_address()
        )
    }

    fn guide_text(&self) -> String {
        if let Some(g) = &self.cfg.guide {
            return g.clone();
        }
        let c = &self.cfg;
        let what = match c.kind {
            Kind::Participatory => "Every member may post; a post is sent to all members.",
            Kind::Moderated => "This is an announcement list: only its moderators post, members receive.",
        };
        let join = match c.subscribe {
            Subscribe::Confirm => "To join, send \"subscribe YOUR NAME\"; you will be sent a key to confirm.",
            Subscribe::ConfirmThenApprove => {
                "To join, send \"subscribe YOUR NAME\" and confirm with the key you are sent; the administrator then adds you by hand."
            }
            Subscribe::AdminOnly => "Members are added by the administrator; \"subscribe\" passes your request on.",
        };
        format!(
            "{}{}\n\n{what}\n  posting address:  {}\n  command address:  {} (send \"help\" there)\n  administrator:    {}\n\n{join}\n",
            c.title.as_deref().map(|t| format!("{t} — ")).unwrap_or_default(),
            c.post_address(),
            c.post_address(),
            c.ctl_address(),
            c.admin_address()
        )
    }

    fn article_mail(&mut self, cx: &Cx, to: &str, a: &Article) -> Out {
        let boundary = format!("=_article_{}_{}", a.n, self.mails + 1);
        let content = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
             Article {} of {}, as it was distributed, is attached.\r\n\
             --{boundary}\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--{boundary}--\r\n",
            a.n,
            self.cfg.post_address(),
            String::from_utf8_lossy(&a.data).trim_end()
        );
        let subject = format!("Article {} ({})", a.n, self.ml());
        let data = self.compose(cx, "auto-replied", to, &subject, &content);
        Out::Mail(OutMail { what: "article", from: Some(self.cfg.admin_address()), to: vec![to.to_string()], data })
    }

    /// The digest of the posts since the last one, for the members who chose it.
    pub fn digest(&mut self, cx: &Cx) -> Vec<Out> {
        let to: Vec<String> =
            self.members.iter().filter(|m| m.delivery == Delivery::Digest).map(|m| m.address.clone()).collect();
        if self.digest_queue.is_empty() || to.is_empty() {
            return Vec::new();
        }
        let ns = std::mem::take(&mut self.digest_queue);
        let arts: Vec<Article> = self.archive.iter().filter(|a| ns.contains(&a.n)).cloned().collect();
        self.digest_issue += 1;
        let issue = self.digest_issue;
        let first = ns.first().copied().unwrap_or(0);
        let last = ns.last().copied().unwrap_or(0);
        let range = if first == last { format!("article {first}") } else { format!("articles {first}-{last}") };
        let name = self.cfg.name.clone();
        let mut topics = String::new();
        for a in &arts {
            topics.push_str(&format!("  {:5}. {} ({})\r\n", a.n, a.subject, a.from));
        }
        let (subject, content) = match self.cfg.digest_format {
            DigestFormat::Mime => {
                let b = format!("=_digest_{issue}_outer");
                let d = format!("=_digest_{issue}_parts");
                let mut c = format!(
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                     --{b}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
                     {name} digest, issue {issue}: {} article(s), {range}\r\n\r\nTopics:\r\n{topics}\
                     \r\n--{b}\r\nContent-Type: multipart/digest; boundary=\"{d}\"\r\n\r\n",
                    arts.len()
                );
                for a in &arts {
                    // In multipart/digest each part is message/rfc822 unless it says otherwise (RFC 2046 §5.1.5).
                    c.push_str(&format!("--{d}\r\n\r\n{}\r\n", String::from_utf8_lossy(&a.data).trim_end()));
                }
                c.push_str(&format!("--{d}--\r\n\r\n--{b}--\r\n"));
                (format!("{name} digest, issue {issue} ({range})"), c)
            }
            DigestFormat::Rfc1153 => {
                let mut c = String::from("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n");
                c.push_str(&format!(
                    "{name} Digest\t\t{}\t\tVolume 1 : Issue {issue}\r\n\r\nToday's Topics:\r\n\r\n",
                    cx.now.format("%a, %e %b %Y")
                ));
                for a in &arts {
                    c.push_str(&format!("    {}\r\n", a.subject));
                }
                c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(70)));
                for a in &arts {
                    let hs = crate::message::headers(&a.data);
                    for f in ["Date", "From", "Subject", "Message-ID"] {
                        if let Some(v) = crate::message::first(&hs, f) {
                            c.push_str(&format!("{f}: {v}\r\n"));
                        }
                    }
                    c.push_str("\r\n");
                    for l in mime::body_text(&a.data).lines() {
                        c.push_str(l);
                        c.push_str("\r\n");
                    }
                    c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(30)));
                }
                let end = format!("End of {name} Digest V1 Issue #{issue}");
                c.push_str(&format!("{end}\r\n{}\r\n", "*".repeat(end.len())));
                (format!("{name} Digest V1 #{issue}"), c)
            }
        };
        let post = self.cfg.post_address();
        let data = self.compose(cx, "auto-generated", &post, &subject, &content);
        vec![
            Self::note(
                "digest",
                format!("digest issue {issue} ({range}) sent to {} member(s)", to.len()),
                &self.cfg.admin_address(),
            ),
            Out::Mail(OutMail { what: "digest", from: Some(self.cfg.admin_address()), to, data }),
        ]
    }
}

#[cfg(test)]
mod tests;
