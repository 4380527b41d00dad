//! Command mail to NAME-ctl: each line run in turn (parsed by
//! [`super::command`]), one report in answer; `help`, `guide`, `members`,
//! `index` and `get` are answered here, the rest by the modules they belong to.

use super::command::{self, Command};
use super::{Cx, List, NoteKind, Out, Subscribe, TooLarge, mime};

impl List {
    /// Command mail to NAME-ctl: run each line, answer with one status report.
    pub(super) fn commands(&mut self, envelope_from: Option<&str>, data: &[u8], cx: &mut Cx) -> Vec<Out> {
        let from = mime::from_address(data).or(envelope_from.map(str::to_string)).unwrap_or_default();
        let mut out = Vec::new();
        if !self.answerable(envelope_from, &from, data) {
            out.push(Self::note(NoteKind::Ignore, "command mail from <> or an automatic sender: not answered", &from));
            return out;
        }
        if let Some(max) = self.cfg.max_size
            && data.len() > max
        {
            let why = self.reason(|t| t.why_command_mail_too_large(data.len(), max));
            let silent = self.cfg.too_large == TooLarge::Ignore;
            return self.refuse(cx, NoteKind::Size, silent, &from, envelope_from, data, &why);
        }
        let t = self.texts();
        let lines = command::command_lines(&mime::body_text(data));
        let mut report = String::new();
        let mut admin_ok = false;
        let ml = self.ml();
        let mut subject = t.report_subject(&ml);
        if lines.is_empty() {
            report.push_str(t.no_commands());
        }
        let mut read = 0;
        for (i, line) in lines.iter().enumerate() {
            if i == command::MAX_COMMANDS {
                report.push_str(&t.only_first_lines(command::MAX_COMMANDS));
                break;
            }
            let cmd = command::parse(line);
            read += 1;
            let shown = if line.to_ascii_lowercase().starts_with("admin pass") { "admin pass ********" } else { line };
            report.push_str(&format!(">>> {shown}\n"));
            if cmd == Command::End {
                report.push_str(t.rest_not_read());
                break;
            }
            if matches!(cmd, Command::Subscribe { .. }) && self.cfg.subscribe != Subscribe::AdminOnly {
                subject = t.confirm_request_subject(&ml);
            }
            let (text, mut mails) = self.run(cx, &from, cmd, &mut admin_ok);
            for l in text.lines() {
                report.push_str(&format!("   {l}\n"));
            }
            report.push('\n');
            out.append(&mut mails);
        }
        out.insert(0, Self::note(NoteKind::Command, format!("{read} command line(s) read"), &from));
        let reply = self.text_mail(cx, "reply", &from, &subject, &report);
        out.push(reply);
        out
    }

    /// `None` if `from` may use a members' command, else the refusal.
    fn members_only(&self, from: &str) -> Option<String> {
        if self.is_member(from) || self.is_moderator(from) { None } else { Some(self.texts().members_only(from)) }
    }

    /// One command; the text for the report and any extra mail.
    fn run(&mut self, cx: &mut Cx, from: &str, cmd: Command, admin_ok: &mut bool) -> (String, Vec<Out>) {
        let mut mails = Vec::new();
        let t = self.texts();
        let text = match cmd {
            Command::Help => t.help(&self.cfg.post_address(), &self.cfg.ctl_address()),
            Command::Guide => self.guide_text(),
            Command::Subscribe { name } => self.subscribe(cx, from, &name, &mut mails),
            Command::Confirm { key, name } => self.confirm(cx, from, &key, &name, &mut mails),
            Command::Unsubscribe => self.unsubscribe(from, &mut mails),
            Command::Members => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let mut s = t.member_list_head(self.members.len());
                    for m in &self.members {
                        s.push_str(&format!("  {}  ({})\n", m.address, m.delivery.name()));
                    }
                    s
                }
            },
            Command::Index => match self.members_only(from) {
                Some(r) => r,
                None if self.archive.is_empty() => t.archive_empty().into(),
                None => {
                    let mut s = t.index_head(self.archive.len());
                    for a in &self.archive {
                        s.push_str(&format!(
                            "  {:5}  {}  {}  {}\n",
                            a.n,
                            a.date.format("%Y-%m-%d %H:%M"),
                            a.from,
                            a.subject
                        ));
                    }
                    s
                }
            },
            Command::Get(ns) => match self.members_only(from) {
                Some(r) => r,
                None => {
                    let mut s = String::new();
                    for n in ns {
                        match self.archive.iter().find(|a| a.n == n).cloned() {
                            Some(a) => {
                                mails.push(self.article_mail(cx, from, &a));
                                s.push_str(&t.article_sent(n));
                            }
                            None => s.push_str(&t.article_missing(n)),
                        }
                    }
                    s
                }
            },
            Command::Chaddr { old, new } => self.chaddr(from, &old, &new, &mut mails),
            Command::Digest(arg) => self.set_delivery(from, arg, &mut mails),
            Command::Approve(_) | Command::Reject(_) if !self.is_moderator(from) && !*admin_ok => t.not_moderator(from),
            Command::Approve(key) => self.approve(cx, from, &key, &mut mails),
            Command::Reject(key) => self.reject(cx, from, &key, &mut mails),
            Command::Admin(a) => self.admin(cx, from, a, admin_ok, &mut mails),
            Command::Usage { command, usage } => t.bad_arguments(&command, usage),
            Command::Unknown(w) => t.unknown_command(&w),
            Command::End => String::new(),
        };
        (text, mails)
    }

    /// The list's own guide, or one written from its settings.
    fn guide_text(&self) -> String {
        let c = &self.cfg;
        if let Some(g) = &c.guide {
            return g.clone();
        }
        let title = c.title.as_deref().map(|t| format!("{t} — ")).unwrap_or_default();
        let (post, ctl, admin) = (c.post_address(), c.ctl_address(), c.admin_address());
        self.texts().guide(&title, &post, &ctl, &admin, c.kind, c.subscribe)
    }
}
