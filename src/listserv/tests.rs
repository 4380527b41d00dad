use super::*;
use chrono::TimeZone;
use command::Command;

fn cfg() -> ListConfig {
    let mut c = ListConfig::new("ohanashi", "mailing-list.jp");
    c.title = Some("Ohanashi chat".into());
    c.admins = vec!["admin@hogehoge.example".into()];
    c.password = Some("tea-time".into());
    for a in ["yamada@hogehoge.example", "Hanako.Tokushima@foo.example", "tora@pp.nyaoon.example"] {
        c.members.push(Member { address: a.into(), name: String::new(), delivery: Delivery::Each });
    }
    c
}

struct Run {
    list: List,
    t: DateTime<FixedOffset>,
    k: u32,
}

impl Run {
    fn new(c: ListConfig) -> Self {
        let t = FixedOffset::east_opt(9 * 3600).unwrap().with_ymd_and_hms(2026, 4, 1, 10, 0, 0).unwrap();
        Run { list: List::new(c), t, k: 12345678 }
    }
    fn send(&mut self, dest: Dest, from: &str, subject: &str, body: &str) -> Vec<Out> {
        let data = format!("From: {from}\r\nTo: x\r\nSubject: {subject}\r\nMessage-ID: <1@x>\r\n\r\n{body}\r\n");
        self.raw(dest, Some(from), data.as_bytes())
    }
    fn raw(&mut self, dest: Dest, env: Option<&str>, data: &[u8]) -> Vec<Out> {
        let mut k = self.k;
        let mut key = || {
            k = k.wrapping_mul(1103515245).wrapping_add(12345);
            k
        };
        let mut cx = Cx { now: self.t, key: &mut key };
        let out = self.list.receive(dest, env, data, &mut cx);
        self.k = k;
        out
    }
}

fn mails(out: &[Out]) -> Vec<&OutMail> {
    out.iter()
        .filter_map(|o| match o {
            Out::Mail(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn notes(out: &[Out]) -> Vec<(&'static str, String)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Note { kind, text, .. } => Some((kind.as_str(), text.clone())),
            _ => None,
        })
        .collect()
}

fn text(m: &OutMail) -> String {
    String::from_utf8_lossy(&m.data).into_owned()
}

/// The line of a reply that starts with `word`.
fn line_with(m: &OutMail, word: &str) -> String {
    mime::body_text(&m.data).lines().map(str::trim).find(|l| l.starts_with(word)).unwrap_or_default().to_string()
}

#[test]
fn a_member_post_is_numbered_tagged_and_sent_from_the_admin_address() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "Re: [ohanashi:00007] Tea", "Saturday?");
    let m = mails(&out);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].what, "distribute");
    assert_eq!(m[0].from.as_deref(), Some("ohanashi-admin@mailing-list.jp"));
    assert_eq!(m[0].to.len(), 3);
    let s = text(m[0]);
    assert!(s.contains("Subject: [ohanashi:00001] Re: Tea\r\n"), "{s}");
    assert!(s.contains("X-Mail-Count: 00001\r\n"));
    assert!(s.contains("List-Id: Ohanashi chat <ohanashi.mailing-list.jp>\r\n"));
    assert!(s.contains("List-Post: <mailto:ohanashi@mailing-list.jp>\r\n"));
    assert!(s.contains("List-Unsubscribe: <mailto:ohanashi-ctl@mailing-list.jp?body=unsubscribe>\r\n"));
    assert!(s.contains("List-Help: <mailto:ohanashi-ctl@mailing-list.jp?body=help>\r\n"));
    assert!(s.contains("Reply-To: ohanashi@mailing-list.jp\r\n"));
    assert!(s.contains("Precedence: list\r\n"));
    assert!(s.ends_with("\r\n\r\nSaturday?\r\n"));
    assert_eq!(r.list.archive().len(), 1);
    assert!(notes(&out)[0].1.starts_with("ARTICLE 1:"));
    // The second post gets the next number.
    let out = r.send(Dest::Post, "tora@pp.nyaoon.example", "more", "x");
    assert!(text(mails(&out)[0]).contains("Subject: [ohanashi:00002] more\r\n"));
}

#[test]
fn non_members_are_rejected_held_or_ignored_by_setting() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Post, "offers@spam.example", "You have won", "Click");
    assert_eq!(notes(&out)[0].0, "reject");
    let m = mails(&out);
    assert_eq!(m.len(), 2, "a reply to the sender and a note to the admin");
    assert_eq!(m[0].to, vec!["offers@spam.example".to_string()]);
    assert!(text(m[0]).contains("only members may post"));
    assert_eq!(m[1].to, vec!["admin@hogehoge.example".to_string()]);
    assert!(r.list.archive().is_empty());

    let mut c = cfg();
    c.others = Others::Ignore;
    let mut r = Run::new(c);
    let out = r.send(Dest::Post, "offers@spam.example", "You have won", "Click");
    assert!(mails(&out).is_empty());
    assert_eq!(notes(&out)[0].0, "ignore");

    let mut c = cfg();
    c.others = Others::Hold;
    let mut r = Run::new(c);
    let out = r.send(Dest::Post, "stranger@example.org", "A question", "Hello");
    assert_eq!(notes(&out)[0].0, "hold");
    assert_eq!(r.list.held_keys().len(), 1);
}

#[test]
fn moderated_list_holds_then_a_moderator_approves_by_command_mail() {
    let mut c = cfg();
    c.kind = Kind::Moderated;
    c.others = Others::Hold;
    c.moderators = vec!["mod@hogehoge.example".into()];
    let mut r = Run::new(c);
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "News", "Big news");
    let m = mails(&out);
    assert_eq!(m[0].to, vec!["mod@hogehoge.example".to_string()]);
    let approve = line_with(m[0], "approve ");
    assert!(approve.starts_with("approve "), "{}", text(m[0]));
    // A member who is not a moderator cannot approve.
    let out = r.send(Dest::Ctl, "tora@pp.nyaoon.example", "x", &approve);
    assert!(text(mails(&out).last().unwrap()).contains("only a moderator"));
    assert_eq!(r.list.held_keys().len(), 1);
    // The moderator can.
    let out = r.send(Dest::Ctl, "mod@hogehoge.example", "Re: held", &format!("> quoted\r\n{approve}"));
    let m = mails(&out);
    let dist = m.iter().find(|m| m.what == "distribute").expect("distributed");
    assert!(text(dist).contains("Subject: [ohanashi:00001] News"));
    assert!(text(dist).contains("List-Post: NO\r\n"));
    assert!(r.list.held_keys().is_empty());
    // A moderator posts directly.
    let out = r.send(Dest::Post, "mod@hogehoge.example", "Second", "x");
    assert!(mails(&out).iter().any(|m| m.what == "distribute"));
}

#[test]
fn reject_of_a_held_post_tells_a_member_but_not_a_stranger() {
    let mut c = cfg();
    c.others = Others::Hold;
    c.kind = Kind::Moderated;
    let mut r = Run::new(c);
    // A member's held post: the member hears about the hold and the decision.
    let out = r.send(Dest::Post, "tora@pp.nyaoon.example", "Q", "Hello");
    let key = r.list.held_keys()[0].clone();
    assert!(mails(&out).iter().any(|m| m.to == vec!["tora@pp.nyaoon.example".to_string()]));
    let out = r.send(Dest::Ctl, "admin@hogehoge.example", "x", &format!("reject {key}"));
    let m = mails(&out);
    assert!(m.iter().any(|m| m.to == vec!["tora@pp.nyaoon.example".to_string()] && text(m).contains("decided not to")));
    // A stranger's held post: no mail to a possibly forged sender (no backscatter).
    let out = r.send(Dest::Post, "stranger@example.org", "Q", "Hello");
    assert!(mails(&out).iter().all(|m| m.to != vec!["stranger@example.org".to_string()]));
    let key2 = r.list.held_keys()[0].clone();
    let out = r.send(Dest::Ctl, "admin@hogehoge.example", "x", &format!("reject {key2}"));
    assert!(mails(&out).iter().all(|m| m.to != vec!["stranger@example.org".to_string()]));
    assert!(text(mails(&out).last().unwrap()).contains("is not told"));
    let out = r.send(Dest::Ctl, "admin@hogehoge.example", "x", &format!("approve {key}"));
    assert!(text(mails(&out).last().unwrap()).contains("No held post has the key"));
}

#[test]
fn subscribe_confirm_and_first_post() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Ctl, "anne@example.org", "", "guide");
    let reply = mails(&out)[0];
    assert!(text(reply).contains("Subject: Command results (ohanashi ML)"));
    assert!(text(reply).contains("posting address:  ohanashi@mailing-list.jp"));
    let out = r.send(Dest::Ctl, "anne@example.org", "", "subscribe Anne Shirley");
    let reply = mails(&out)[0];
    assert!(text(reply).contains("Subject: Subscribe confirmation request (ohanashi ML)"));
    assert!(text(reply).contains("Reply-To: ohanashi-ctl@mailing-list.jp"));
    let confirm = line_with(reply, "confirm ");
    assert!(confirm.ends_with(" Anne Shirley"), "{confirm}");
    // Someone else cannot use the key.
    let out = r.send(Dest::Ctl, "mallory@example.org", "", &confirm);
    assert!(text(mails(&out)[0]).contains("not to mallory@example.org"));
    let out = r.send(Dest::Ctl, "anne@example.org", "Re: Subscribe", &confirm);
    assert!(notes(&out).iter().any(|(k, _)| *k == "join"));
    assert!(r.list.members().iter().any(|m| m.address == "anne@example.org" && m.name == "Anne Shirley"));
    assert!(mails(&out).iter().any(|m| m.to == vec!["admin@hogehoge.example".to_string()]));
    // The key works once.
    let out = r.send(Dest::Ctl, "anne@example.org", "", &confirm);
    assert!(text(mails(&out)[0]).contains("already a member") || text(mails(&out)[0]).contains("unknown"));
    let out = r.send(Dest::Post, "anne@example.org", "Hello all", "Nice to meet you");
    assert_eq!(mails(&out)[0].to.len(), 4);
}

#[test]
fn confirm_keys_expire() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Ctl, "anne@example.org", "", "subscribe Anne");
    let confirm = line_with(mails(&out)[0], "confirm ");
    r.t += chrono::Duration::days(8);
    let out = r.send(Dest::Ctl, "anne@example.org", "", &confirm);
    assert!(text(mails(&out)[0]).contains("expired"));
    assert_eq!(r.list.members().len(), 3);
}

#[test]
fn confirm_then_approve_waits_for_admin_add() {
    let mut c = cfg();
    c.subscribe = Subscribe::ConfirmThenApprove;
    let mut r = Run::new(c);
    let out = r.send(Dest::Ctl, "anne@example.org", "", "subscribe Anne");
    let confirm = line_with(mails(&out)[0], "confirm ");
    let out = r.send(Dest::Ctl, "anne@example.org", "", &confirm);
    assert!(mails(&out).iter().any(|m| text(m).contains("admin add anne@example.org")));
    assert_eq!(r.list.members().len(), 3);
    let out = r.send(Dest::Ctl, "admin@hogehoge.example", "", "admin pass tea-time\nadmin add anne@example.org");
    assert_eq!(r.list.members().len(), 4);
    assert_eq!(r.list.members()[3].name, "Anne");
    assert!(mails(&out).iter().any(|m| m.to == vec!["anne@example.org".to_string()] && text(m).contains("Welcome")));
}

#[test]
fn admin_commands_need_the_password_and_the_address() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Ctl, "admin@hogehoge.example", "", "admin pass wrong\nadmin add x@example.org");
    let n = notes(&out);
    assert!(n.iter().any(|(_, t)| t.contains("wrong password")));
    assert!(n.iter().any(|(_, t)| t.contains("no valid")));
    assert_eq!(r.list.members().len(), 3);
    let body = text(mails(&out)[0]);
    assert!(body.contains(">>> admin pass ********"), "the password is not echoed: {body}");
    assert!(!body.contains("wrong\r\n"));
    // The right password from a stranger's address is refused too.
    let out = r.send(Dest::Ctl, "tora@pp.nyaoon.example", "", "admin pass tea-time\nadmin bye yamada@hogehoge.example");
    assert!(notes(&out).iter().any(|(_, t)| t.contains("not an administrator")));
    assert_eq!(r.list.members().len(), 3);
    let out = r.send(
        Dest::Ctl,
        "admin@hogehoge.example",
        "",
        "admin pass tea-time\nadmin bye yamada@hogehoge.example\nadmin moderate tora@pp.nyaoon.example",
    );
    assert_eq!(r.list.members().len(), 2);
    assert!(notes(&out).iter().any(|(_, t)| t == "admin moderate tora@pp.nyaoon.example"));
}

#[test]
fn unknown_commands_get_an_answer() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Ctl, "yamada@hogehoge.example", "", "please add me\nhelp");
    let body = text(mails(&out)[0]);
    assert!(body.contains(">>> please add me"));
    assert!(body.contains("Unknown command \"please\""));
    assert!(body.contains("subscribe YOUR NAME"));
    let out = r.send(Dest::Ctl, "yamada@hogehoge.example", "", "");
    assert!(text(mails(&out)[0]).contains("no commands"));
}

#[test]
fn members_index_get_chaddr_and_digest_modes() {
    let mut r = Run::new(cfg());
    r.send(Dest::Post, "yamada@hogehoge.example", "First", "one");
    let out = r.send(Dest::Ctl, "stranger@example.org", "", "members\nindex\nget 1");
    let body = text(mails(&out)[0]);
    assert_eq!(body.matches("is not one").count(), 3, "{body}");
    let out = r.send(Dest::Ctl, "tora@pp.nyaoon.example", "", "members\nindex\nget 1\nget 9");
    let m = mails(&out);
    assert_eq!(m.len(), 2, "the article and the report");
    assert_eq!(m[0].what, "article");
    assert!(text(m[0]).contains("Content-Type: message/rfc822"));
    assert!(text(m[0]).contains("[ohanashi:00001] First"));
    let report = text(m[1]);
    assert!(report.contains("3 member(s):"));
    assert!(report.contains("First"));
    assert!(report.contains("Article 9 is not in the archive."));
    let out = r.send(Dest::Ctl, "tora@pp.nyaoon.example", "", "chaddr tora@pp.nyaoon.example tora@new.example");
    assert!(text(mails(&out)[0]).contains("instead of"));
    assert!(r.list.members().iter().any(|m| m.address == "tora@new.example"));
    r.send(Dest::Ctl, "tora@new.example", "", "digest on");
    r.send(Dest::Ctl, "Hanako.Tokushima@foo.example", "", "digest nomail");
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "Second", "two");
    assert_eq!(mails(&out)[0].to, vec!["yamada@hogehoge.example".to_string()]);
    assert!(r.list.digest_pending());
    // The digest holds only what was posted after Tora turned it on.
    let mut key = || 1;
    let cx = Cx { now: r.t, key: &mut key };
    let d = r.list.digest(&cx);
    assert!(text(mails(&d)[0]).contains("(article 2)"), "{}", text(mails(&d)[0]));
}

fn digest_of(format: DigestFormat) -> String {
    let mut c = cfg();
    c.digest_format = format;
    c.members[2].delivery = Delivery::Digest;
    let mut r = Run::new(c);
    r.send(Dest::Post, "yamada@hogehoge.example", "Tea", "Saturday?");
    r.send(Dest::Post, "Hanako.Tokushima@foo.example", "Re: [ohanashi:00001] Tea", "Yes!");
    let mut key = || 1;
    let cx = Cx { now: r.t, key: &mut key };
    let out = r.list.digest(&cx);
    let m = mails(&out);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, vec!["tora@pp.nyaoon.example".to_string()]);
    assert!(!r.list.digest_pending());
    assert!(r.list.digest(&cx).is_empty(), "nothing new, no digest");
    text(m[0])
}

#[test]
fn mime_digest_is_multipart_digest() {
    let d = digest_of(DigestFormat::Mime);
    assert!(d.contains("Auto-Submitted: auto-generated\r\n"));
    assert!(d.contains("Subject: ohanashi digest, issue 1 (articles 1-2)"));
    assert!(d.contains("Content-Type: multipart/digest;"));
    let parsed = mail_parser::MessageParser::new().parse(d.as_bytes()).unwrap();
    // The two articles come back out as message/rfc822 parts.
    let inner: Vec<_> = parsed.parts.iter().filter(|p| p.message().is_some()).collect();
    assert_eq!(inner.len(), 2, "{d}");
    assert_eq!(inner[1].message().unwrap().subject(), Some("[ohanashi:00002] Re: Tea"));
}

#[test]
fn rfc1153_digest_has_its_separators() {
    let d = digest_of(DigestFormat::Rfc1153);
    assert!(d.contains("Subject: ohanashi Digest V1 #1"));
    assert!(d.contains("Today's Topics:"));
    assert!(d.contains(&format!("\r\n{}\r\n", "-".repeat(70))));
    assert_eq!(d.matches(&format!("\r\n{}\r\n", "-".repeat(30))).count(), 2);
    assert!(d.contains("End of ohanashi Digest V1 Issue #1\r\n**********"));
}

#[test]
fn size_limit_and_attachments() {
    let mut c = cfg();
    c.max_size = Some(200);
    let mut r = Run::new(c);
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "Big", &"x".repeat(300));
    assert_eq!(notes(&out)[0].0, "size");
    assert!(text(mails(&out)[0]).contains("over the limit of 200"));
    let mut c = cfg();
    c.attachments = Attachments::Strip;
    let mut r = Run::new(c);
    let data = "From: yamada@hogehoge.example\r\nSubject: minutes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: application/octet-stream; name=run.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n";
    let out = r.raw(Dest::Post, Some("yamada@hogehoge.example"), data.as_bytes());
    assert_eq!(notes(&out)[0].0, "strip");
    let s = text(mails(&out)[0]);
    assert!(!s.contains("TVqQ"));
    assert!(s.contains("run.exe (application/octet-stream"));
    let mut c = cfg();
    c.attachments = Attachments::Reject;
    let mut r = Run::new(c);
    let out = r.raw(Dest::Post, Some("yamada@hogehoge.example"), data.as_bytes());
    assert!(mails(&out).iter().all(|m| m.what != "distribute"));
    assert_eq!(notes(&out)[0].0, "content");
    assert!(notes(&out)[0].1.contains("attachments are not allowed"));
}

#[test]
fn loops_bounces_and_automatic_mail() {
    let mut r = Run::new(cfg());
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "x", "y");
    let article = mails(&out)[0].data.clone();
    let out = r.raw(Dest::Post, Some("ohanashi-admin@mailing-list.jp"), &article);
    assert_eq!(notes(&out)[0].0, "loop");
    assert!(mails(&out).is_empty());
    // Command mail from <> is never answered (no mail loops with bounces).
    let out = r.raw(Dest::Ctl, None, b"From: MAILER-DAEMON@x.example\r\n\r\nhelp\r\n");
    assert!(mails(&out).is_empty());
    // A bounce to the admin address names the member and goes to the admins.
    let dsn = b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nFinal-Recipient: rfc822; tora@pp.nyaoon.example\r\nAction: failed\r\nStatus: 5.1.1\r\n";
    let out = r.raw(Dest::Admin, None, dsn);
    assert!(notes(&out)[0].1.contains("member tora@pp.nyaoon.example failed (5.1.1)"));
    let m = mails(&out);
    assert_eq!(m[0].what, "forward");
    assert_eq!(m[0].from, None);
}

fn ja_cfg() -> ListConfig {
    let mut c = cfg();
    c.language = Lang::Ja;
    c
}

/// A mail as a reader's program sees it: it must parse; its decoded subject and first text body.
fn read(m: &OutMail) -> (String, String) {
    let p = mail_parser::MessageParser::new().parse(&m.data).expect("the list's mail parses");
    (p.subject().unwrap_or_default().to_string(), p.body_text(0).map(|t| t.into_owned()).unwrap_or_default())
}

#[test]
fn a_japanese_list_answers_help_in_japanese() {
    let mut r = Run::new(ja_cfg());
    let out = r.send(Dest::Ctl, "anne@example.org", "", "help");
    let m = mails(&out)[0];
    let (subject, body) = read(m);
    assert_eq!(subject, "コマンドの処理結果 (ohanashi ML)");
    let s = text(m);
    assert!(s.contains("\r\nSubject: =?UTF-8?B?"), "{s}");
    assert!(s.contains("Content-Transfer-Encoding: 8bit\r\n"));
    // The echo and the command words are as on an English list, the explanations Japanese.
    assert!(body.lines().any(|l| l == ">>> help"), "{body}");
    assert!(body.contains("subscribe YOUR NAME    参加を申し込む"), "{body}");
    assert!(body.contains("admin pass PASSWORD"));
    // The trace stays English.
    assert_eq!(notes(&out), vec![("command", "1 command line(s) read".to_string())]);
}

#[test]
fn a_japanese_confirmation_request_keeps_the_confirm_line() {
    let mut r = Run::new(ja_cfg());
    let out = r.send(Dest::Ctl, "anne@example.org", "", "subscribe Anne Shirley");
    let m = mails(&out)[0];
    let (subject, body) = read(m);
    assert_eq!(subject, "参加確認のお願い (ohanashi ML)");
    assert!(body.contains("参加の申し込みがありました"), "{body}");
    assert!(body.contains("この鍵の有効期間は 7 日です。"), "{body}");
    let confirm = line_with(m, "confirm ");
    let key = confirm.split_whitespace().nth(1).unwrap_or_default().to_string();
    assert_eq!(confirm, format!("confirm {key} Anne Shirley"));
    assert_eq!(command::parse(&confirm), Command::Confirm { key: key.clone(), name: "Anne Shirley".into() });
    assert!(
        notes(&out)
            .iter()
            .any(|(_, t)| t == &format!("join request from anne@example.org: confirmation key {key} sent"))
    );
    // Sent back, it works, and the welcome and the administrator's notice are Japanese too.
    let out = r.send(Dest::Ctl, "anne@example.org", "Re: 参加確認のお願い", &format!("> {confirm}\n{confirm}"));
    assert!(r.list.members().iter().any(|m| m.address == "anne@example.org" && m.name == "Anne Shirley"));
    let m = mails(&out);
    let notice = m.iter().find(|m| m.what == "notice").expect("a notice to the administrator");
    assert_eq!(read(notice).0, "新しいメンバー (ohanashi ML)");
    let (_, welcome) = read(m.last().unwrap());
    assert!(
        welcome.contains("ようこそ！anne@example.org は ohanashi@mailing-list.jp のメンバーになりました。"),
        "{welcome}"
    );
}

#[test]
fn a_japanese_refusal_says_why_in_japanese() {
    let mut r = Run::new(ja_cfg());
    let out = r.send(Dest::Post, "offers@spam.example", "当選しました", "Click");
    // The trace keeps the English reason.
    assert_eq!(notes(&out)[0], ("reject", "rejected: offers@spam.example may not post: only members may post".into()));
    let m = mails(&out);
    assert_eq!(m.len(), 2);
    let (subject, body) = read(m[0]);
    assert_eq!(subject, "投稿は配信されませんでした (ohanashi ML)");
    assert!(
        body.contains("理由: offers@spam.example からは投稿できません（投稿できるのはメンバーだけです）"),
        "{body}"
    );
    assert!(body.contains("件名: 当選しました"), "{body}");
    let (subject, body) = read(m[1]);
    assert_eq!(subject, "配信を断った投稿 (ohanashi ML)");
    assert!(body.contains("差出人: offers@spam.example"));
}

#[test]
fn a_japanese_digest_has_a_japanese_table_of_contents() {
    let mut c = ja_cfg();
    c.members[2].delivery = Delivery::Digest;
    let mut r = Run::new(c);
    r.send(Dest::Post, "yamada@hogehoge.example", "お茶会", "土曜日は?");
    r.send(Dest::Post, "Hanako.Tokushima@foo.example", "Re: [ohanashi:00001] お茶会", "はい!");
    let mut key = || 1;
    let cx = Cx { now: r.t, key: &mut key };
    let out = r.list.digest(&cx);
    assert_eq!(notes(&out)[0].1, "digest issue 1 (articles 1-2) sent to 1 member(s)");
    let d = mails(&out)[0];
    let (subject, toc) = read(d);
    assert_eq!(subject, "ohanashi ダイジェスト 第 1 号 (記事 1-2)");
    assert!(toc.starts_with("ohanashi ダイジェスト 第 1 号: 2 件（記事 1-2）"), "{toc}");
    assert!(toc.contains("目次:"));
    assert!(toc.contains("1. お茶会 (yamada@hogehoge.example)"), "{toc}");
    let parsed = mail_parser::MessageParser::new().parse(&d.data).expect("parses");
    let inner: Vec<_> = parsed.parts.iter().filter_map(|p| p.message()).collect();
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[1].subject(), Some("[ohanashi:00002] Re: お茶会"));
}

#[test]
fn english_stays_the_default() {
    assert_eq!(ListConfig::new("x", "example.org").language, Lang::En);
}

#[test]
fn addresses_of_a_list() {
    let c = cfg();
    assert_eq!(c.dest_of("ohanashi"), Some(Dest::Post));
    assert_eq!(c.dest_of("OHANASHI-ctl"), Some(Dest::Ctl));
    assert_eq!(c.dest_of("ohanashi-admin"), Some(Dest::Admin));
    assert_eq!(c.dest_of("ohanashi-request"), Some(Dest::Admin));
    assert_eq!(c.dest_of("ohanashi-x"), None);
}

#[test]
fn members_whose_mail_keeps_bouncing_get_no_more() {
    let mut c = cfg();
    c.bounce_limit = Some(2);
    let mut r = Run::new(c);
    let dsn =
        b"From: MAILER-DAEMON@mx.example\r\n\r\nFinal-Recipient: rfc822; tora@pp.nyaoon.example\r\nStatus: 5.1.1\r\n";
    let out = r.raw(Dest::Admin, None, dsn);
    assert!(notes(&out).iter().any(|(_, t)| t.contains("bounced 1 time(s); delivery stops at 2")));
    // A temporary failure does not count.
    let later =
        b"From: MAILER-DAEMON@mx.example\r\n\r\nFinal-Recipient: rfc822; tora@pp.nyaoon.example\r\nStatus: 4.4.1\r\n";
    r.raw(Dest::Admin, None, later);
    let out = r.raw(Dest::Admin, None, dsn);
    assert!(notes(&out).iter().any(|(k, _)| *k == "disable"));
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "x", "y");
    assert_eq!(mails(&out)[0].to.len(), 2, "tora gets nothing now");
    // Tora can turn delivery back on.
    r.send(Dest::Ctl, "tora@pp.nyaoon.example", "", "digest off");
    let out = r.send(Dest::Post, "yamada@hogehoge.example", "x", "y");
    assert_eq!(mails(&out)[0].to.len(), 3);
}

/// Found by the listserv fuzz target: a subject whose third octet is inside a character.
#[test]
fn subjects_are_cut_at_character_boundaries_only() {
    let mut r = Run::new(cfg());
    for subject in ["[\u{fffd}$", "r\u{e9}: x", "\u{65e5}\u{672c}", "[ohanashi:\u{3042}"] {
        let out = r.send(Dest::Post, "yamada@hogehoge.example", subject, "x");
        assert_eq!(mails(&out).len(), 1, "{subject}");
    }
}

#[test]
fn every_note_kind_has_its_own_trace_word() {
    let words: std::collections::BTreeSet<&str> = NoteKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(words.len(), NoteKind::ALL.len());
    assert!(words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())), "{words:?}");
}

#[test]
fn a_japanese_subject_keeps_its_charset_through_the_tag() {
    use crate::base::rfc2047::{Charset, decode, unstructured_field};
    for cs in [Charset::Iso2022Jp, Charset::Utf8] {
        let mut r = Run::new(cfg());
        let text = "Re: 来週の輪講について、資料は前日までに共有フォルダに置いてください";
        let field = unstructured_field("Subject", text, cs).unwrap();
        let subject = field.strip_prefix("Subject: ").unwrap();
        let out = r.send(Dest::Post, "yamada@hogehoge.example", subject, "本文");
        let m = text_of_distribution(&out);
        let got = crate::base::message::headers(m.as_bytes());
        let raw = m.split("\r\nSubject:").nth(1).unwrap().split("\r\nX-ML-Name").next().unwrap();
        let raw = raw.split("\r\n").take_while(|l| l.is_empty() || l.starts_with(' ')).collect::<Vec<_>>();
        assert!(raw[0].starts_with(" [ohanashi:00001] Re: =?"), "{raw:?}");
        assert!(raw[0].len() + "Subject:".len() <= 76 && raw[1..].iter().all(|l| l.len() <= 76), "{raw:?}");
        let label = format!("=?{}?B?", cs.label());
        assert!(raw.iter().skip(1).all(|l| l.trim_start().starts_with(&label)), "{raw:?}");
        let value = crate::base::message::first(&got, "Subject").unwrap();
        assert_eq!(decode(value), format!("[ohanashi:00001] {text}"));
    }
}

fn text_of_distribution(out: &[Out]) -> String {
    let m = mails(out).into_iter().find(|m| m.what == "distribute").expect("a distribution");
    text(m)
}
