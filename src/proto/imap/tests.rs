//! Transcript tests of the IMAP server core: lines in, response lines out.

use super::*;
use crate::store::{INBOX, Store};
use chrono::{DateTime, FixedOffset};
use std::sync::Arc;

const ALICE: &str = "alice@example.com";

const SIMPLE: &[u8] = b"From: Alice Example <alice@example.com>\r\n\
To: bob@example.com\r\n\
Subject: Hello\r\n\
Date: Wed, 1 Apr 2026 09:00:00 +0900\r\n\
Message-ID: <1@example.com>\r\n\
\r\n\
Hello Bob,\r\n\
see you at the lab.\r\n";

const MULTI: &[u8] = b"From: \"Bob B.\" <bob@example.com>\r\n\
To: alice@example.com, Carol <carol@example.net>\r\n\
Cc: team: dave@example.org;\r\n\
Subject: Report attached\r\n\
Date: Thu, 2 Apr 2026 12:30:00 +0000\r\n\
Message-ID: <2@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\
\r\n\
This is a multi-part message in MIME format.\r\n\
--XYZ\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n\
Here is the report.\r\n\
--XYZ\r\n\
Content-Type: application/pdf; name=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
\r\n\
JVBERi0xLjQKJcfsj6IK\r\n\
--XYZ--\r\n";

const THIRD: &[u8] = b"From: carol@example.net\r\nTo: alice@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nX-Spam: no\r\n\r\nA third message, quite short.\r\n";

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn now() -> DateTime<FixedOffset> {
    at("2026-04-03T10:00:00+09:00")
}

/// When the test store's accounts and their mailboxes were made.
fn created() -> DateTime<FixedOffset> {
    at("2026-04-01T09:00:00+09:00")
}

fn cfg() -> ImapConfig {
    ImapConfig { hostname: "mail.example.com".into(), show_secrets: false, max_literal: 4096 }
}

/// Alice has SIMPLE, MULTI and THIRD in INBOX (UIDs 1-3, all \Recent) and a folder Work.
fn store() -> Store {
    let mut st = Store::new();
    st.add_account(ALICE, "secret", created());
    st.add_account("bob@example.com", "pw", created());
    st.add_account("FRED FOOBAR", "fat man", created());
    st.add_account("quote@example.com", "a\"b\\c", created());
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), at("2026-04-01T09:00:05+09:00"));
    st.deliver(ALICE, Arc::new(MULTI.to_vec()), at("2026-04-02T21:30:05+09:00"));
    st.deliver(ALICE, Arc::new(THIRD.to_vec()), at("2026-04-03T08:00:00+09:00"));
    st.create(ALICE, "Work", created()).unwrap();
    st
}

fn run(s: &mut Server, st: &mut Store, input: &[u8]) -> Vec<Output> {
    s.feed(input);
    std::iter::from_fn(|| s.poll(st, now())).collect()
}

/// The response lines (trace form) for `input`.
fn lines(s: &mut Server, st: &mut Store, input: &str) -> Vec<String> {
    sent(run(s, st, input.as_bytes()))
}

fn sent(outs: Vec<Output>) -> Vec<String> {
    outs.into_iter()
        .flat_map(|o| match o {
            Output::Send { lines, .. } => lines,
            _ => Vec::new(),
        })
        .collect()
}

/// The octets written to the client for `input`.
fn wire(s: &mut Server, st: &mut Store, input: &str) -> Vec<u8> {
    run(s, st, input.as_bytes())
        .into_iter()
        .flat_map(|o| match o {
            Output::Send { bytes, .. } => bytes,
            _ => Vec::new(),
        })
        .collect()
}

fn received(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Received(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

fn session(st: &mut Store) -> Server {
    let mut s = Server::new(cfg());
    let g = lines(&mut s, st, "");
    assert_eq!(
        g,
        vec![
            "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE LITERAL+ NAMESPACE UIDPLUS MOVE UNSELECT ID ENABLE SPECIAL-USE] mail.example.com IMAP4rev1 maillab ready"
        ]
    );
    s
}

fn logged_in(st: &mut Store) -> Server {
    let mut s = session(st);
    let l = lines(&mut s, st, "a1 LOGIN alice@example.com secret\r\n");
    assert!(l.last().unwrap().starts_with("a1 OK"), "{l:?}");
    s
}

fn selected(st: &mut Store) -> Server {
    let mut s = logged_in(st);
    let l = lines(&mut s, st, "a2 SELECT INBOX\r\n");
    assert_eq!(l.last().unwrap(), "a2 OK [READ-WRITE] SELECT completed");
    s
}

/// One command; asserts the tagged reply starts with `want` and returns all lines.
fn cmd(s: &mut Server, st: &mut Store, line: &str, want: &str) -> Vec<String> {
    let l = lines(s, st, &format!("{line}\r\n"));
    let tag = line.split(' ').next().unwrap();
    let last = l.last().cloned().unwrap_or_default();
    assert!(last.starts_with(&format!("{tag} {want}")), "{line} -> {l:#?}");
    l
}

fn search(s: &mut Server, st: &mut Store, keys: &str) -> String {
    let l = cmd(s, st, &format!("s SEARCH {keys}"), "OK");
    l.iter().find(|x| x.starts_with("* SEARCH")).cloned().unwrap()
}

#[test]
fn greeting_capability_noop_logout() {
    let mut st = store();
    let mut s = session(&mut st);
    assert_eq!(
        cmd(&mut s, &mut st, "A001 CAPABILITY", "OK"),
        vec![
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE LITERAL+ NAMESPACE UIDPLUS MOVE UNSELECT ID ENABLE SPECIAL-USE",
            "A001 OK CAPABILITY completed"
        ]
    );
    assert_eq!(cmd(&mut s, &mut st, "A002 noop", "OK"), vec!["A002 OK NOOP completed"]);
    let outs = run(&mut s, &mut st, b"A003 LOGOUT\r\nA004 NOOP\r\n");
    assert_eq!(outs.last(), Some(&Output::Close));
    assert_eq!(sent(outs), vec!["* BYE mail.example.com IMAP4rev1 server logging out", "A003 OK LOGOUT completed"]);
    assert!(s.is_closed());
}

#[test]
fn login_results() {
    let mut st = store();
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"a LOGIN alice@example.com wrong\r\n");
    assert!(outs.contains(&Output::LoginFailed { user: ALICE.into() }));
    assert_eq!(sent(outs), vec!["a NO [AUTHENTICATIONFAILED] Authentication failed"]);
    assert_eq!(s.user(), None);
    // imaplib quotes the password, escaping `"` and `\`.
    let outs = run(&mut s, &mut st, b"b LOGIN quote@example.com \"a\\\"b\\\\c\"\r\n");
    assert!(outs.contains(&Output::LoginOk { user: "quote@example.com".into() }));
    assert_eq!(s.user(), Some("quote@example.com"));
    assert_eq!(cmd(&mut s, &mut st, "c LOGIN alice@example.com secret", "NO"), vec!["c NO Already logged in"]);
    // The address is found whatever its case.
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "d LOGIN Alice@Example.COM secret", "OK");
    assert_eq!(s.user(), Some(ALICE));
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "e LOGIN nobody@example.com x", "NO");
    cmd(&mut s, &mut st, "f LOGIN alice@example.com", "BAD");
}

#[test]
fn authenticate_plain() {
    let mut st = store();
    let mut s = session(&mut st);
    assert_eq!(lines(&mut s, &mut st, "a AUTHENTICATE PLAIN\r\n"), vec!["+ "]);
    let outs = run(&mut s, &mut st, b"AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n");
    assert!(outs.contains(&Output::LoginOk { user: ALICE.into() }));
    assert!(sent(outs).last().unwrap().starts_with("a OK"));
    // Initial response (SASL-IR form), a wrong password, cancel, bad base64, other mechanisms.
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "b AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==", "OK");
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"c AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n\r\n");
    assert!(outs.contains(&Output::LoginFailed { user: ALICE.into() }));
    assert!(sent(outs)[0].starts_with("c NO [AUTHENTICATIONFAILED]"));
    assert_eq!(lines(&mut s, &mut st, "d AUTHENTICATE plain\r\n*\r\n"), vec!["+ ", "d BAD Authentication cancelled"]);
    assert_eq!(lines(&mut s, &mut st, "e AUTHENTICATE PLAIN\r\n!!!\r\n"), vec!["+ ", "e BAD Invalid base64 data"]);
    cmd(&mut s, &mut st, "f AUTHENTICATE CRAM-MD5", "NO");
    cmd(&mut s, &mut st, "g AUTHENTICATE PLAIN =", "NO");
    cmd(&mut s, &mut st, "h AUTHENTICATE", "BAD");
    assert_eq!(s.user(), None);
}

#[test]
fn too_many_failed_logins_end_the_session() {
    let mut st = store();
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "a LOGIN alice@example.com wrong", "NO");
    // AUTHENTICATE failures count too, and so does a malformed PLAIN response.
    cmd(&mut s, &mut st, "b AUTHENTICATE PLAIN =", "NO");
    let outs = run(&mut s, &mut st, b"c LOGIN alice@example.com guess\r\nd LOGIN alice@example.com secret\r\n");
    assert!(outs.contains(&Output::LoginFailed { user: ALICE.into() }));
    assert_eq!(outs.last(), Some(&Output::Close));
    assert_eq!(
        sent(outs),
        vec!["c NO [AUTHENTICATIONFAILED] Authentication failed", "* BYE Too many authentication failures"]
    );
    assert!(s.is_closed());
    assert_eq!(s.user(), None);
    // Each session counts its own failures: two of them still leave room for a login.
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "e LOGIN alice@example.com wrong", "NO");
    cmd(&mut s, &mut st, "f LOGIN alice@example.com wrong", "NO");
    cmd(&mut s, &mut st, "g LOGIN alice@example.com secret", "OK");
    assert!(!s.is_closed());
}

#[test]
fn secrets_are_masked_in_the_trace() {
    let mut st = store();
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"a LOGIN alice@example.com \"secret\"\r\n");
    assert_eq!(received(&outs), vec!["a LOGIN alice@example.com ***"]);
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"b AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n");
    assert_eq!(received(&outs), vec!["b AUTHENTICATE PLAIN ***"]);
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"c AUTHENTICATE PLAIN\r\nAGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n");
    assert_eq!(received(&outs), vec!["c AUTHENTICATE PLAIN", "***"]);
    // Extra spaces (telnet) do not defeat the mask.
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"c2  login   alice@example.com   secret\r\n");
    assert_eq!(received(&outs), vec!["c2 login alice@example.com ***"]);
    assert_eq!(s.user(), Some(ALICE));
    // Nor do tabs: whether the server takes such a line or not, its secret stays hidden.
    for line in [
        "t1 LOGIN\talice@example.com secret\r\n",
        "t2 LOGIN alice@example.com\tsecret\r\n",
        "t3\tLOGIN alice@example.com secret\r\n",
        "t4 AUTHENTICATE PLAIN\tAGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n",
        "t5 AUTHENTICATE\tPLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n",
    ] {
        let mut s = session(&mut st);
        let shown = received(&run(&mut s, &mut st, line.as_bytes())).join("\n");
        assert!(!shown.contains("secret") && !shown.contains("AGFs"), "{line:?} shown as {shown:?}");
    }
    // A literal user name: the password on the next line is masked too.
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"d LOGIN {17+}\r\nalice@example.com secret\r\n");
    assert_eq!(received(&outs), vec!["d LOGIN {17+}", "(literal: 17 octets) ***"]);
    assert_eq!(s.user(), Some(ALICE));
    // A literal password is never shown.
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, b"e LOGIN alice@example.com {6+}\r\nsecret\r\n");
    assert_eq!(received(&outs), vec!["e LOGIN alice@example.com {6+}", "(literal: 6 octets)"]);
    // With show_secrets the lines are shown as sent, base64 decoded for the lesson.
    let mut s = Server::new(ImapConfig { show_secrets: true, ..cfg() });
    let outs = run(&mut s, &mut st, b"f LOGIN alice@example.com secret\r\ng LOGOUT\r\n");
    assert_eq!(received(&outs)[0], "f LOGIN alice@example.com secret");
    let mut s = Server::new(ImapConfig { show_secrets: true, ..cfg() });
    let outs = run(&mut s, &mut st, b"h AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n");
    assert_eq!(
        received(&outs)[0],
        "h AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==   (base64 of \"␀alice@example.com␀secret\")"
    );
}

#[test]
fn commands_in_the_wrong_state() {
    let mut st = store();
    let mut s = session(&mut st);
    for c in ["SELECT INBOX", "LIST \"\" *", "CREATE x", "APPEND INBOX {1+}\r\nx", "IDLE", "STATUS INBOX (MESSAGES)"] {
        let l = lines(&mut s, &mut st, &format!("t {c}\r\n"));
        assert_eq!(l.last().unwrap(), "t NO Not logged in: use LOGIN or AUTHENTICATE first", "{c}");
    }
    for c in [
        "FETCH 1 FLAGS",
        "STORE 1 +FLAGS \\Seen",
        "SEARCH ALL",
        "EXPUNGE",
        "CLOSE",
        "CHECK",
        "UID FETCH 1 FLAGS",
        "COPY 1 Work",
    ] {
        let l = lines(&mut s, &mut st, &format!("t {c}\r\n"));
        assert!(l.last().unwrap().starts_with("t NO Not logged in"), "{c}");
    }
    cmd(&mut s, &mut st, "a LOGIN alice@example.com secret", "OK");
    for c in [
        "FETCH 1 FLAGS",
        "STORE 1 +FLAGS \\Seen",
        "SEARCH ALL",
        "EXPUNGE",
        "CLOSE",
        "CHECK",
        "UID SEARCH ALL",
        "COPY 1 Work",
    ] {
        let l = lines(&mut s, &mut st, &format!("t {c}\r\n"));
        assert_eq!(l.last().unwrap(), "t NO No mailbox selected: use SELECT or EXAMINE first", "{c}");
    }
    assert_eq!(cmd(&mut s, &mut st, "b AUTHENTICATE PLAIN", "NO"), vec!["b NO Already logged in"]);
    // Unknown commands and syntax errors are BAD.
    assert_eq!(cmd(&mut s, &mut st, "c XYZZY", "BAD"), vec!["c BAD Unknown command XYZZY"]);
    cmd(&mut s, &mut st, "e STARTTLS", "BAD");
    cmd(&mut s, &mut st, "f SELECT", "BAD");
    cmd(&mut s, &mut st, "g NOOP now", "BAD");
    assert_eq!(lines(&mut s, &mut st, "h\r\n"), vec!["h BAD Missing command"]);
    assert_eq!(lines(&mut s, &mut st, "+x NOOP\r\n"), vec!["* BAD Missing or invalid tag"]);
    assert_eq!(lines(&mut s, &mut st, "a+b NOOP\r\n"), vec!["* BAD Missing or invalid tag"]);
    assert_eq!(lines(&mut s, &mut st, "a(b NOOP {3}\r\n"), vec!["* BAD Missing or invalid tag"]);
    // A blank line (Enter in telnet) is ignored.
    assert!(lines(&mut s, &mut st, "\r\n  \r\n").is_empty());
    // A NUL is no CHAR (RFC 9051): not a mailbox name that does not exist.
    assert_eq!(cmd(&mut s, &mut st, "n SELECT \"IN\0BOX\"", "BAD").len(), 1);
}

#[test]
fn rfc3501_sample_session() {
    let mut st = store();
    let mut s = session(&mut st);
    assert_eq!(
        lines(&mut s, &mut st, "a001 login alice@example.com secret\r\n")[0],
        // No AUTH= once logged in, as in Dovecot's post-login list.
        "a001 OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ NAMESPACE UIDPLUS MOVE UNSELECT ID ENABLE SPECIAL-USE] Logged in"
    );
    let uv = st.mailbox(ALICE, INBOX).unwrap().uid_validity;
    assert_eq!(
        lines(&mut s, &mut st, "a002 select inbox\r\n"),
        vec![
            "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)".to_string(),
            "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)] Flags permitted".into(),
            "* 3 EXISTS".into(),
            "* 3 RECENT".into(),
            "* OK [UNSEEN 1] Message 1 is the first unseen".into(),
            format!("* OK [UIDVALIDITY {uv}] UIDs valid"),
            "* OK [UIDNEXT 4] Predicted next UID".into(),
            "a002 OK [READ-WRITE] SELECT completed".into(),
        ]
    );
    let full = lines(&mut s, &mut st, "a003 fetch 1 full\r\n");
    assert_eq!(full.len(), 2);
    assert!(full[0].starts_with(
        "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"01-Apr-2026 09:00:05 +0900\" RFC822.SIZE 180 ENVELOPE (\"Wed, 1 Apr 2026 09:00:00 +0900\" \"Hello\" "
    ), "{}", full[0]);
    assert!(full[0].ends_with(" BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 33 2))"));
    assert_eq!(full[1], "a003 OK FETCH completed");
    let hdr = wire(&mut s, &mut st, "a004 fetch 1 body[header]\r\n");
    let text = String::from_utf8(hdr).unwrap();
    assert!(text.starts_with("* 1 FETCH (BODY[HEADER] {147}\r\nFrom: Alice Example <alice@example.com>\r\n"), "{text}");
    assert!(
        text.ends_with("Message-ID: <1@example.com>\r\n\r\n FLAGS (\\Seen \\Recent))\r\na004 OK FETCH completed\r\n")
    );
    assert_eq!(
        lines(&mut s, &mut st, "a005 store 1 +flags \\deleted\r\n"),
        vec!["* 1 FETCH (FLAGS (\\Deleted \\Seen \\Recent))", "a005 OK STORE completed"]
    );
    let outs = run(&mut s, &mut st, b"a006 logout\r\n");
    assert_eq!(
        sent(outs.clone()),
        vec!["* BYE mail.example.com IMAP4rev1 server logging out", "a006 OK LOGOUT completed"]
    );
    assert_eq!(outs.last(), Some(&Output::Close));
    // LOGOUT does not expunge.
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().messages.len(), 3);
}

#[test]
fn select_examine_and_recent() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    let l = cmd(&mut s, &mut st, "b EXAMINE INBOX", "OK [READ-ONLY] EXAMINE completed");
    assert!(l.contains(&"* OK [PERMANENTFLAGS ()] Read-only mailbox".to_string()));
    assert!(l.contains(&"* 3 RECENT".to_string()));
    // EXAMINE keeps \Recent in the store; SELECT takes it.
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().recent.len(), 3);
    cmd(&mut s, &mut st, "c STORE 1 +FLAGS \\Seen", "NO [READ-ONLY]");
    cmd(&mut s, &mut st, "d EXPUNGE", "NO [READ-ONLY]");
    cmd(&mut s, &mut st, "e FETCH 1 BODY[TEXT]", "OK");
    assert!(!st.mailbox(ALICE, INBOX).unwrap().messages[0].has("\\Seen"), "EXAMINE must not set \\Seen");
    let l = cmd(&mut s, &mut st, "f SELECT INBOX", "OK [READ-WRITE]");
    assert!(l.contains(&"* 3 RECENT".to_string()));
    assert!(st.mailbox(ALICE, INBOX).unwrap().recent.is_empty());
    let mut s2 = logged_in(&mut st);
    let l = cmd(&mut s2, &mut st, "g SELECT inbox", "OK");
    assert!(l.contains(&"* 0 RECENT".to_string()));
    assert_eq!(cmd(&mut s2, &mut st, "h SELECT Nope", "NO"), vec!["h NO Mailbox doesn't exist: Nope"]);
    // A failed SELECT leaves no mailbox selected.
    cmd(&mut s2, &mut st, "i FETCH 1 FLAGS", "NO No mailbox selected");
    let l = cmd(&mut s2, &mut st, "j SELECT \"Work\"", "OK");
    assert!(l.contains(&"* 0 EXISTS".to_string()));
    assert!(!l.iter().any(|x| x.contains("UNSEEN")));
}

#[test]
fn list_and_lsub() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    assert_eq!(
        cmd(&mut s, &mut st, "a LIST \"\" \"\"", "OK"),
        vec!["* LIST (\\Noselect) \"/\" \"\"", "a OK LIST completed"]
    );
    cmd(&mut s, &mut st, "b CREATE Projects/2026/Lab", "OK");
    st.delete(ALICE, "Projects").unwrap();
    assert_eq!(
        cmd(&mut s, &mut st, "c LIST \"\" *", "OK"),
        vec![
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Projects\"",
            "* LIST (\\HasChildren) \"/\" \"Projects/2026\"",
            "* LIST (\\HasNoChildren) \"/\" \"Projects/2026/Lab\"",
            "* LIST (\\HasNoChildren) \"/\" \"Work\"",
            "c OK LIST completed",
        ]
    );
    assert_eq!(
        cmd(&mut s, &mut st, "d LIST \"\" %", "OK"),
        vec![
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
            "* LIST (\\Noselect \\HasChildren) \"/\" \"Projects\"",
            "* LIST (\\HasNoChildren) \"/\" \"Work\"",
            "d OK LIST completed",
        ]
    );
    assert_eq!(cmd(&mut s, &mut st, "e LIST Projects/ %", "OK")[0], "* LIST (\\HasChildren) \"/\" \"Projects/2026\"");
    assert_eq!(cmd(&mut s, &mut st, "f list \"\" \"inbox\"", "OK")[0], "* LIST (\\HasNoChildren) \"/\" \"INBOX\"");
    assert_eq!(cmd(&mut s, &mut st, "g LIST \"\" nothing*", "OK").len(), 1);
    // Extended LIST (RFC 5258) is not offered.
    cmd(&mut s, &mut st, "h LIST (SUBSCRIBED) \"\" \"*\"", "BAD");
    assert_eq!(
        cmd(&mut s, &mut st, "i LSUB \"\" \"*\"", "OK"),
        vec!["* LSUB () \"/\" \"INBOX\"", "i OK LSUB completed"]
    );
    cmd(&mut s, &mut st, "j SUBSCRIBE Projects/2026/Lab", "OK");
    cmd(&mut s, &mut st, "k SUBSCRIBE Nope", "NO");
    assert_eq!(
        cmd(&mut s, &mut st, "l LSUB \"\" %", "OK"),
        vec!["* LSUB () \"/\" \"INBOX\"", "* LSUB (\\Noselect) \"/\" \"Projects\"", "l OK LSUB completed"]
    );
    assert_eq!(cmd(&mut s, &mut st, "m LSUB \"\" *", "OK").len(), 3);
    cmd(&mut s, &mut st, "n UNSUBSCRIBE Projects/2026/Lab", "OK");
    assert_eq!(cmd(&mut s, &mut st, "o LSUB \"\" *", "OK").len(), 2);
}

#[test]
fn create_delete_rename() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    cmd(&mut s, &mut st, "a CREATE Archive/2026/", "OK");
    assert!(st.mailbox(ALICE, "Archive").is_some() && st.mailbox(ALICE, "Archive/2026").is_some());
    cmd(&mut s, &mut st, "b CREATE Work", "NO [ALREADYEXISTS]");
    cmd(&mut s, &mut st, "c CREATE inbox", "NO");
    cmd(&mut s, &mut st, "d CREATE \"a*b\"", "NO");
    cmd(&mut s, &mut st, "e DELETE INBOX", "NO");
    cmd(&mut s, &mut st, "f DELETE Nope", "NO");
    cmd(&mut s, &mut st, "g RENAME Archive Old", "OK");
    assert!(st.mailbox(ALICE, "Old/2026").is_some() && st.mailbox(ALICE, "Archive/2026").is_none());
    cmd(&mut s, &mut st, "h RENAME Old Work", "NO");
    cmd(&mut s, &mut st, "i RENAME Nope Other", "NO");
    cmd(&mut s, &mut st, "j DELETE Old", "OK");
    assert!(st.mailbox(ALICE, "Old/2026").is_some());
    // Renaming INBOX moves its mail and leaves it empty.
    cmd(&mut s, &mut st, "k RENAME INBOX Saved", "OK");
    assert_eq!(st.mailbox(ALICE, "Saved").unwrap().messages.len(), 3);
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages.is_empty());
    // Deleting the selected mailbox leaves the selected state.
    cmd(&mut s, &mut st, "l SELECT Saved", "OK");
    cmd(&mut s, &mut st, "m DELETE Saved", "OK");
    cmd(&mut s, &mut st, "n FETCH 1 FLAGS", "NO No mailbox selected");
    // Renaming the selected mailbox keeps it selected under the new name.
    cmd(&mut s, &mut st, "o SELECT Work", "OK");
    cmd(&mut s, &mut st, "p RENAME Work Job", "OK");
    cmd(&mut s, &mut st, "q NOOP", "OK");
    cmd(&mut s, &mut st, "r CHECK", "OK");
}

#[test]
fn status() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    let uv = st.mailbox(ALICE, INBOX).unwrap().uid_validity;
    assert_eq!(
        cmd(&mut s, &mut st, "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)", "OK")[0],
        format!("* STATUS \"INBOX\" (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY {uv} UNSEEN 3)")
    );
    assert_eq!(cmd(&mut s, &mut st, "b status Work (messages)", "OK")[0], "* STATUS \"Work\" (MESSAGES 0)");
    cmd(&mut s, &mut st, "c STATUS Work (SIZE)", "BAD");
    cmd(&mut s, &mut st, "d STATUS Work ()", "BAD");
    cmd(&mut s, &mut st, "e STATUS Nope (MESSAGES)", "NO");
}

#[test]
fn append_with_literals() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    let msg = "Subject: appended\r\n\r\nbody\r\n";
    // imaplib: flags, date-time and a synchronizing literal.
    let outs = run(
        &mut s,
        &mut st,
        format!("a APPEND INBOX (\\Seen) \"01-Apr-2026 10:00:00 +0900\" {{{}}}\r\n", msg.len()).as_bytes(),
    );
    assert_eq!(sent(outs.clone()), vec!["+ Ready for literal data"]);
    let outs2 = run(&mut s, &mut st, format!("{msg}\r\n").as_bytes());
    assert_eq!(sent(outs2.clone()), vec!["a OK [APPENDUID 1775001600 4] APPEND completed"]);
    assert_eq!(
        received(&outs),
        vec![format!("a APPEND INBOX (\\Seen) \"01-Apr-2026 10:00:00 +0900\" {{{}}}", msg.len())]
    );
    assert_eq!(received(&outs2), vec![format!("(literal: {} octets)", msg.len())]);
    let mb = st.mailbox(ALICE, INBOX).unwrap();
    let m = mb.by_uid(4).unwrap();
    assert_eq!(m.data.as_slice(), msg.as_bytes());
    assert!(m.has("\\Seen"));
    assert_eq!(m.internal_date, at("2026-04-01T10:00:00+09:00"));
    // LITERAL+: no continuation; no date: the time passed to poll.
    let l = lines(&mut s, &mut st, &format!("b APPEND Work {{{}+}}\r\n{msg}\r\n", msg.len()));
    let vw = st.mailbox(ALICE, "Work").unwrap().uid_validity;
    assert_eq!(l, vec![format!("b OK [APPENDUID {vw} 1] APPEND completed")]);
    assert_eq!(st.mailbox(ALICE, "Work").unwrap().messages[0].internal_date, now());
    // A missing mailbox: TRYCREATE, refused before the data is sent.
    assert_eq!(lines(&mut s, &mut st, "c APPEND Nope {5}\r\n"), vec!["c NO [TRYCREATE] Mailbox doesn't exist: Nope"]);
    cmd(&mut s, &mut st, "d APPEND INBOX (\\Recent) {1+}\r\nx", "BAD");
    cmd(&mut s, &mut st, "e APPEND INBOX \"not a date\" {1+}\r\nx", "BAD");
    cmd(&mut s, &mut st, "f APPEND INBOX {0+}\r\n", "NO");
    cmd(&mut s, &mut st, "g APPEND INBOX \"Subject: typed by hand\"", "OK");
    // Appending to the selected mailbox is announced before the tagged OK.
    cmd(&mut s, &mut st, "h SELECT Work", "OK");
    assert_eq!(
        lines(&mut s, &mut st, &format!("i APPEND Work {{{}+}}\r\n{msg}\r\n", msg.len())),
        vec!["* 2 EXISTS".to_string(), "* 2 RECENT".into(), format!("i OK [APPENDUID {vw} 2] APPEND completed")]
    );
}

/// A user trial: `FETCH 99` in a small mailbox got "… (the mailbox has 1
/// messages)". Dovecot 2.3 says `BAD Error in IMAP command FETCH: Invalid
/// messageset` (imap-search-args.c, imap-client.c), for STORE, COPY and
/// MOVE too; unknown UIDs are no error.
#[test]
fn a_sequence_number_past_the_end_is_dovecots_invalid_messageset() {
    let mut st = store();
    let mut s = selected(&mut st);
    for (line, name) in [
        ("a FETCH 99 (FLAGS)", "FETCH"),
        ("b STORE 4 +FLAGS (\\Seen)", "STORE"),
        ("c COPY 1:9 Work", "COPY"),
        ("d MOVE 7 Work", "MOVE"),
    ] {
        let tag = &line[..1];
        assert_eq!(
            cmd(&mut s, &mut st, line, "BAD"),
            vec![format!("{tag} BAD Error in IMAP command {name}: Invalid messageset")]
        );
    }
    cmd(&mut s, &mut st, "e UID FETCH 99 (FLAGS)", "OK");
}

#[test]
fn fetch_items() {
    let mut st = store();
    let mut s = selected(&mut st);
    assert_eq!(
        cmd(&mut s, &mut st, "a FETCH 1:2 (UID FLAGS RFC822.SIZE INTERNALDATE)", "OK"),
        vec![
            "* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE 180 INTERNALDATE \"01-Apr-2026 09:00:05 +0900\")",
            "* 2 FETCH (UID 2 FLAGS (\\Recent) RFC822.SIZE 605 INTERNALDATE \"02-Apr-2026 21:30:05 +0900\")",
            "a OK FETCH completed",
        ]
    );
    assert_eq!(
        cmd(&mut s, &mut st, "b FETCH 3 FAST", "OK")[0],
        "* 3 FETCH (FLAGS (\\Recent) INTERNALDATE \"03-Apr-2026 08:00:00 +0900\" RFC822.SIZE 131)"
    );
    assert!(
        cmd(&mut s, &mut st, "c FETCH 3 ALL", "OK")[0]
            .contains(" ENVELOPE (NIL \"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" ((NIL NIL \"carol\" \"example.net\"))")
    );
    let w = String::from_utf8(wire(
        &mut s,
        &mut st,
        "d FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject to)] BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID)])\r\n",
    ))
    .unwrap();
    assert_eq!(
        w,
        "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT TO)] {39}\r\nTo: bob@example.com\r\nSubject: Hello\r\n\r\n BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] {18}\r\nSubject: Hello\r\n\r\n)\r\nd OK FETCH completed\r\n"
    );
    let w =
        String::from_utf8(wire(&mut s, &mut st, "e FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[1] RFC822.HEADER)\r\n")).unwrap();
    assert!(
        w.starts_with(
            "* 1 FETCH (BODY[TEXT] {33}\r\nHello Bob,\r\nsee you at the lab.\r\n BODY[1] {33}\r\nHello Bob,\r\n"
        ),
        "{w}"
    );
    assert!(w.contains(" RFC822.HEADER {147}\r\nFrom: "));
    // Multipart: parts, MIME headers, a part that does not exist.
    let w = String::from_utf8(wire(
        &mut s,
        &mut st,
        "f FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2] BODY.PEEK[3] BODY.PEEK[1.1])\r\n",
    ))
    .unwrap();
    assert_eq!(
        w,
        "* 2 FETCH (BODY[1] {19}\r\nHere is the report. BODY[2.MIME] {143}\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n BODY[2] {20}\r\nJVBERi0xLjQKJcfsj6IK BODY[3] NIL BODY[1.1] NIL)\r\nf OK FETCH completed\r\n"
    );
    // The trace shows literal sizes, not contents.
    let l = lines(&mut s, &mut st, "g FETCH 1 BODY.PEEK[]\r\n");
    assert_eq!(l, vec!["* 1 FETCH (BODY[] {180}", "(180 octets)", ")", "g OK FETCH completed"]);
    let w = wire(&mut s, &mut st, "h FETCH 1 (RFC822.TEXT RFC822)\r\n");
    assert!(w.starts_with(b"* 1 FETCH (RFC822.TEXT {33}\r\nHello Bob,"));
    cmd(&mut s, &mut st, "i FETCH 1 (BODY[0])", "BAD");
    cmd(&mut s, &mut st, "j FETCH 1 (BODY[MIME])", "BAD");
    cmd(&mut s, &mut st, "k FETCH 1 (FLAGS", "BAD");
    cmd(&mut s, &mut st, "l FETCH 1 BINARY[1]", "BAD");
    cmd(&mut s, &mut st, "l2 UID THREAD REFS UTF-8 ALL", "BAD");
    cmd(&mut s, &mut st, "m FETCH 4 FLAGS", "BAD");
    cmd(&mut s, &mut st, "n FETCH 1:* ()", "BAD");
    cmd(&mut s, &mut st, "o FETCH * (FLAGS)", "OK");
    cmd(&mut s, &mut st, "p FETCH 1 (BODY[1]<0.0>)", "BAD");
}

#[test]
fn partial_fetch() {
    let mut st = store();
    let mut s = selected(&mut st);
    let w = wire(
        &mut s,
        &mut st,
        "a FETCH 1 (BODY.PEEK[]<0.4> BODY.PEEK[TEXT]<6.3> BODY.PEEK[1]<30.100> BODY.PEEK[]<500.10>)\r\n",
    );
    assert_eq!(
        String::from_utf8(w).unwrap(),
        "* 1 FETCH (BODY[]<0> {4}\r\nFrom BODY[TEXT]<6> {3}\r\nBob BODY[1]<30> {3}\r\n.\r\n BODY[]<500> {0}\r\n)\r\na OK FETCH completed\r\n"
    );
}

#[test]
fn peek_does_not_set_seen() {
    let mut st = store();
    let mut s = selected(&mut st);
    let l = cmd(&mut s, &mut st, "a FETCH 1 (BODY.PEEK[] RFC822.HEADER)", "OK");
    assert!(!l.iter().any(|x| x.contains("FLAGS")));
    assert!(!st.mailbox(ALICE, INBOX).unwrap().messages[0].has("\\Seen"));
    let l = cmd(&mut s, &mut st, "b FETCH 1 BODY[]", "OK");
    assert_eq!(l[2], " FLAGS (\\Seen \\Recent))");
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages[0].has("\\Seen"));
    // Already seen: no FLAGS the second time.
    let l = cmd(&mut s, &mut st, "c FETCH 1 BODY[]", "OK");
    assert_eq!(l[2], ")");
    // RFC822 and RFC822.TEXT set \Seen too; FLAGS already asked for is not repeated.
    let l = cmd(&mut s, &mut st, "d FETCH 2 (FLAGS RFC822.TEXT)", "OK");
    assert!(l[0].starts_with("* 2 FETCH (FLAGS (\\Seen \\Recent) RFC822.TEXT {"));
    assert!(!l.iter().skip(1).any(|x| x.contains("FLAGS")));
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages[1].has("\\Seen"));
    // The client was told, so NOOP has nothing more to say.
    assert_eq!(cmd(&mut s, &mut st, "e NOOP", "OK"), vec!["e OK NOOP completed"]);
}

#[test]
fn envelope_and_bodystructure() {
    let mut st = store();
    let mut s = selected(&mut st);
    let l = cmd(&mut s, &mut st, "a FETCH 1 (ENVELOPE BODYSTRUCTURE)", "OK");
    assert_eq!(
        l[0],
        "* 1 FETCH (ENVELOPE (\"Wed, 1 Apr 2026 09:00:00 +0900\" \"Hello\" ((\"Alice Example\" NIL \"alice\" \"example.com\")) ((\"Alice Example\" NIL \"alice\" \"example.com\")) ((\"Alice Example\" NIL \"alice\" \"example.com\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL \"<1@example.com>\") BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 33 2 NIL NIL NIL NIL))"
    );
    let l = cmd(&mut s, &mut st, "b FETCH 2 (ENVELOPE BODYSTRUCTURE BODY)", "OK");
    assert_eq!(
        l[0],
        "* 2 FETCH (ENVELOPE (\"Thu, 2 Apr 2026 12:30:00 +0000\" \"Report attached\" ((\"Bob B.\" NIL \"bob\" \"example.com\")) ((\"Bob B.\" NIL \"bob\" \"example.com\")) ((\"Bob B.\" NIL \"bob\" \"example.com\")) ((NIL NIL \"alice\" \"example.com\")(\"Carol\" NIL \"carol\" \"example.net\")) ((NIL NIL \"team\" NIL)(NIL NIL \"dave\" \"example.org\")(NIL NIL NIL NIL)) NIL NIL \"<2@example.com>\") \
BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 19 1 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"BASE64\" 20 NIL (\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"XYZ\") NIL NIL NIL) \
BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 19 1)(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"BASE64\" 20) \"MIXED\"))"
    );
    // A non-ASCII display name goes out as an RFC 2047 word.
    let msg = "From: =?utf-8?q?J=C3=B6rg?= <jorg@example.de>\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: x@y.example\r\n\r\nhi\r\n";
    cmd(&mut s, &mut st, &format!("c APPEND INBOX {{{}+}}\r\n{msg}", msg.len()), "OK");
    let l = cmd(&mut s, &mut st, "d FETCH 4 (ENVELOPE BODYSTRUCTURE)", "OK");
    assert!(l[0].contains("((\"=?utf-8?b?SsO2cmc=?=\" NIL \"jorg\" \"example.de\"))"), "{}", l[0]);
    assert!(
        l[0].ends_with("BODYSTRUCTURE (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 41 (NIL \"inner\" ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 4 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL))"),
        "{}",
        l[0]
    );
    let w = wire(&mut s, &mut st, "e FETCH 4 (BODY.PEEK[1.HEADER] BODY.PEEK[1.TEXT] BODY.PEEK[1.1])\r\n");
    assert_eq!(
        String::from_utf8(w).unwrap(),
        "* 4 FETCH (BODY[1.HEADER] {37}\r\nSubject: inner\r\nFrom: x@y.example\r\n\r\n BODY[1.TEXT] {4}\r\nhi\r\n BODY[1.1] {4}\r\nhi\r\n)\r\ne OK FETCH completed\r\n"
    );
}

#[test]
fn uids_are_stable_across_expunge() {
    let mut st = store();
    let mut s = selected(&mut st);
    cmd(&mut s, &mut st, "a STORE 1:2 +FLAGS.SILENT (\\Deleted)", "OK");
    assert_eq!(cmd(&mut s, &mut st, "b EXPUNGE", "OK"), vec!["* 1 EXPUNGE", "* 1 EXPUNGE", "b OK EXPUNGE completed"]);
    assert_eq!(cmd(&mut s, &mut st, "c FETCH 1 UID", "OK")[0], "* 1 FETCH (UID 3)");
    // UID FETCH always answers with UID; unknown UIDs are ignored; n:* includes the highest UID.
    assert_eq!(cmd(&mut s, &mut st, "d UID FETCH 1:2 FLAGS", "OK"), vec!["d OK UID FETCH completed"]);
    assert_eq!(cmd(&mut s, &mut st, "e UID FETCH 3 FLAGS", "OK")[0], "* 1 FETCH (UID 3 FLAGS (\\Recent))");
    assert_eq!(cmd(&mut s, &mut st, "f UID FETCH 10:* FLAGS", "OK")[0], "* 1 FETCH (UID 3 FLAGS (\\Recent))");
    assert_eq!(search(&mut s, &mut st, "ALL"), "* SEARCH 1");
    assert_eq!(cmd(&mut s, &mut st, "g UID SEARCH ALL", "OK")[0], "* SEARCH 3");
    // New mail gets a new UID, never an old one.
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    assert_eq!(cmd(&mut s, &mut st, "h NOOP", "OK"), vec!["* 2 EXISTS", "* 2 RECENT", "h OK NOOP completed"]);
    assert_eq!(cmd(&mut s, &mut st, "i FETCH 1:* (UID)", "OK")[..2], ["* 1 FETCH (UID 3)", "* 2 FETCH (UID 4)"]);
    assert_eq!(cmd(&mut s, &mut st, "j UID FETCH * UID", "OK")[0], "* 2 FETCH (UID 4)");
    // curl: UID FETCH n BODY[]
    let l = cmd(&mut s, &mut st, "A004 UID FETCH 4 BODY[]", "OK");
    assert_eq!(l[0], "* 2 FETCH (UID 4 BODY[] {180}");
}

#[test]
fn store_flags() {
    let mut st = store();
    let mut s = selected(&mut st);
    assert_eq!(
        cmd(&mut s, &mut st, "a STORE 1 FLAGS (\\Flagged $Label1)", "OK"),
        vec!["* 1 FETCH (FLAGS ($Label1 \\Flagged \\Recent))", "a OK STORE completed"]
    );
    assert_eq!(
        cmd(&mut s, &mut st, "b STORE 1 +FLAGS (\\seen \\FLAGGED)", "OK")[0],
        "* 1 FETCH (FLAGS ($Label1 \\Flagged \\Seen \\Recent))"
    );
    assert_eq!(
        cmd(&mut s, &mut st, "c STORE 1 -FLAGS $label1", "OK")[0],
        "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))"
    );
    assert_eq!(cmd(&mut s, &mut st, "d STORE 1:3 +FLAGS.SILENT \\Answered", "OK"), vec!["d OK STORE completed"]);
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages.iter().all(|m| m.has("\\Answered")));
    assert_eq!(
        cmd(&mut s, &mut st, "e UID STORE 2 -FLAGS (\\Answered)", "OK")[0],
        "* 2 FETCH (FLAGS (\\Recent) UID 2)"
    );
    cmd(&mut s, &mut st, "f STORE 1 +FLAGS (\\Recent)", "BAD");
    cmd(&mut s, &mut st, "g STORE 1 +FLAGS (\\Bogus)", "BAD");
    cmd(&mut s, &mut st, "h STORE 1 +FLAGZ (\\Seen)", "BAD");
    cmd(&mut s, &mut st, "i STORE 9 +FLAGS (\\Seen)", "BAD");
    cmd(&mut s, &mut st, "j STORE 1 FLAGS ()", "OK");
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages[0].flags.is_empty());
}

#[test]
fn copy() {
    let mut st = store();
    let mut s = selected(&mut st);
    cmd(&mut s, &mut st, "a STORE 2 +FLAGS.SILENT (\\Flagged)", "OK");
    cmd(&mut s, &mut st, "b COPY 2:3 Work", "OK");
    let work = st.mailbox(ALICE, "Work").unwrap();
    assert_eq!(work.messages.len(), 2);
    assert!(work.messages[0].has("\\Flagged"));
    assert_eq!(work.messages[0].data.as_slice(), MULTI);
    assert_eq!(work.recent.len(), 2);
    cmd(&mut s, &mut st, "c COPY 1 Nope", "NO [TRYCREATE]");
    cmd(&mut s, &mut st, "d UID COPY 3 Work", "OK [COPYUID");
    assert_eq!(st.mailbox(ALICE, "Work").unwrap().messages.len(), 3);
    // Copying into the selected mailbox shows up as new messages.
    assert_eq!(cmd(&mut s, &mut st, "e COPY 1 INBOX", "OK")[..2], ["* 4 EXISTS", "* 4 RECENT"]);
}

#[test]
fn namespace_id_enable_unselect() {
    let mut st = store();
    let mut s = session(&mut st);
    // ID works in every state (RFC 2971 §3.1); the server names itself.
    assert_eq!(
        cmd(&mut s, &mut st, "i1 ID (\"name\" \"Thunderbird\" \"version\" \"128.0\")", "OK"),
        vec!["* ID (\"name\" \"maillab\")", "i1 OK ID completed"]
    );
    assert_eq!(cmd(&mut s, &mut st, "i2 id nil", "OK").len(), 2);
    assert_eq!(cmd(&mut s, &mut st, "i3 ID (\"os\" NIL)", "OK").len(), 2);
    cmd(&mut s, &mut st, "i4 ID (\"name\")", "BAD");
    cmd(&mut s, &mut st, "i5 ID", "BAD");
    let long = format!("i6 ID (\"{}\" \"x\")", "f".repeat(31));
    cmd(&mut s, &mut st, &long, "BAD");
    let many = format!("i7 ID ({})", vec!["\"a\" \"b\""; 31].join(" "));
    cmd(&mut s, &mut st, &many, "BAD");
    cmd(&mut s, &mut st, "n0 NAMESPACE", "NO");
    cmd(&mut s, &mut st, "e0 ENABLE CONDSTORE", "NO");
    cmd(&mut s, &mut st, "a1 LOGIN alice@example.com secret", "OK");
    assert_eq!(
        cmd(&mut s, &mut st, "n1 NAMESPACE", "OK"),
        vec!["* NAMESPACE ((\"\" \"/\")) NIL NIL", "n1 OK NAMESPACE completed"]
    );
    cmd(&mut s, &mut st, "n2 NAMESPACE x", "BAD");
    // Nothing ENABLE could turn on is offered: ENABLED lists nothing.
    assert_eq!(
        cmd(&mut s, &mut st, "e1 ENABLE CONDSTORE UTF8=ACCEPT", "OK"),
        vec!["* ENABLED", "e1 OK ENABLE completed"]
    );
    cmd(&mut s, &mut st, "e2 ENABLE", "BAD");
    cmd(&mut s, &mut st, "u1 UNSELECT", "NO");
    cmd(&mut s, &mut st, "s1 SELECT INBOX", "OK");
    cmd(&mut s, &mut st, "s2 STORE 1 +FLAGS.SILENT (\\Deleted)", "OK");
    // UNSELECT leaves the mailbox as it is (CLOSE would expunge).
    assert_eq!(cmd(&mut s, &mut st, "u2 UNSELECT", "OK"), vec!["u2 OK UNSELECT completed"]);
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().messages.len(), 3);
    cmd(&mut s, &mut st, "f1 FETCH 1 FLAGS", "NO");
    assert_eq!(
        cmd(&mut s, &mut st, "c1 CAPABILITY", "OK")[0],
        format!("* CAPABILITY {}", CAPABILITIES.replace(" AUTH=PLAIN", ""))
    );
}

#[test]
fn uidplus_appenduid_copyuid_uid_expunge() {
    let mut st = store();
    let mut s = selected(&mut st);
    let (vi, vw) = (st.mailbox(ALICE, INBOX).unwrap().uid_validity, st.mailbox(ALICE, "Work").unwrap().uid_validity);
    let l = cmd(&mut s, &mut st, "a1 APPEND Work {4+}\r\nhi\r\n", "OK");
    assert_eq!(l, vec![format!("a1 OK [APPENDUID {vw} 1] APPEND completed")]);
    let l = cmd(&mut s, &mut st, "a2 APPEND INBOX (\\Seen) {4+}\r\nho\r\n", "OK");
    assert_eq!(l.last().unwrap(), &format!("a2 OK [APPENDUID {vi} 4] APPEND completed"));
    // COPYUID: source UIDs and the new ones, in the same order.
    let l = cmd(&mut s, &mut st, "c1 COPY 2:3 Work", "OK");
    assert_eq!(l, vec![format!("c1 OK [COPYUID {vw} 2:3 2:3] COPY completed")]);
    let l = cmd(&mut s, &mut st, "c2 UID COPY 1,3:4 Work", "OK");
    assert_eq!(l, vec![format!("c2 OK [COPYUID {vw} 1,3:4 4:6] UID COPY completed")]);
    // Nothing copied: no COPYUID.
    assert_eq!(cmd(&mut s, &mut st, "c3 UID COPY 99 Work", "OK"), vec!["c3 OK UID COPY completed"]);
    // UID EXPUNGE removes only the \Deleted messages among the UIDs given.
    cmd(&mut s, &mut st, "d1 STORE 1:3 +FLAGS.SILENT (\\Deleted)", "OK");
    assert_eq!(
        cmd(&mut s, &mut st, "x1 UID EXPUNGE 2:4", "OK"),
        vec!["* 2 EXPUNGE", "* 2 EXPUNGE", "x1 OK UID EXPUNGE completed"]
    );
    let uids: Vec<u32> = st.mailbox(ALICE, INBOX).unwrap().messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, vec![1, 4]);
    cmd(&mut s, &mut st, "x2 UID EXPUNGE", "BAD");
    cmd(&mut s, &mut st, "x3 EXAMINE INBOX", "OK");
    cmd(&mut s, &mut st, "x4 UID EXPUNGE 1", "NO [READ-ONLY]");
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().messages.len(), 2);
}

#[test]
fn saves_over_the_quota_are_refused_and_moves_pass() {
    let mut st = store();
    let (n, b) = st.usage(ALICE);
    assert_eq!(n, 3);
    // Room for two more messages, and octets for any of them.
    st.set_quota(crate::store::Quota { messages: 5, bytes: b + 10_000 });
    let mut s = selected(&mut st);
    let full = "NO [OVERQUOTA] Quota exceeded (mailbox for user is full)";
    // COPY 1:* into the mailbox itself would double it: refused whole, nothing copied.
    assert_eq!(cmd(&mut s, &mut st, "c1 COPY 1:* INBOX", "NO"), vec![format!("c1 {full}")]);
    assert_eq!(st.usage(ALICE).0, 3);
    cmd(&mut s, &mut st, "c2 COPY 1:2 Work", "OK [COPYUID");
    cmd(&mut s, &mut st, "c3 UID COPY 3 Work", "NO [OVERQUOTA]");
    // MOVE leaves the usage as it was: it passes at the limit.
    cmd(&mut s, &mut st, "m1 MOVE 3 Work", "OK");
    assert_eq!(st.usage(ALICE).0, 5);
    // APPEND: by count, then by octets.
    cmd(&mut s, &mut st, "a1 APPEND Work {3+}\r\nhi!", "NO [OVERQUOTA]");
    st.mailbox_mut(ALICE, INBOX).unwrap().messages[0].flags.insert("\\Deleted".into());
    cmd(&mut s, &mut st, "x2 EXPUNGE", "OK");
    assert_eq!(st.usage(ALICE).0, 4);
    st.set_quota(crate::store::Quota { messages: 5, bytes: st.usage(ALICE).1 + 2 });
    cmd(&mut s, &mut st, "a2 APPEND Work {3+}\r\nhi!", "NO [OVERQUOTA]");
    cmd(&mut s, &mut st, "a3 APPEND Work {2+}\r\nhi", "OK [APPENDUID");
    // Delivery by the MTA is not an IMAP save: it is not refused.
    assert!(st.deliver(ALICE, Arc::new(b"Subject: more\r\n\r\nx\r\n".to_vec()), now()).is_some());
}

#[test]
fn saves_that_do_not_fit_on_the_disk_are_refused_as_dovecot_words_it() {
    let mut st = store();
    // Room on the disk for two more octets than the mailboxes hold.
    st.set_disk_space(st.octets() + 2);
    let mut s = selected(&mut st);
    let full = "NO [OVERQUOTA] Not enough disk space";
    assert_eq!(cmd(&mut s, &mut st, "a1 APPEND Work {3+}\r\nhi!", "NO"), vec![format!("a1 {full}")]);
    assert_eq!(cmd(&mut s, &mut st, "c1 COPY 1 Work", "NO"), vec![format!("c1 {full}")]);
    // MOVE takes no more room.
    cmd(&mut s, &mut st, "m1 MOVE 1 Work", "OK");
    cmd(&mut s, &mut st, "a2 APPEND Work {2+}\r\nhi", "OK [APPENDUID");
    assert_eq!(st.octets(), st.usage(ALICE).1);
}

#[test]
fn move_copies_then_expunges() {
    let mut st = store();
    let mut s = selected(&mut st);
    let mut other = selected(&mut st);
    let vw = st.mailbox(ALICE, "Work").unwrap().uid_validity;
    cmd(&mut s, &mut st, "f STORE 2 +FLAGS.SILENT (\\Flagged)", "OK");
    assert_eq!(
        cmd(&mut s, &mut st, "m1 MOVE 2 Work", "OK"),
        vec![format!("* OK [COPYUID {vw} 2 1] Moved UIDs."), "* 2 EXPUNGE".into(), "m1 OK MOVE completed".into()]
    );
    assert!(st.mailbox(ALICE, "Work").unwrap().messages[0].has("\\Flagged"));
    assert_eq!(
        cmd(&mut s, &mut st, "m2 UID MOVE 1:* Work", "OK"),
        vec![
            format!("* OK [COPYUID {vw} 1,3 2:3] Moved UIDs."),
            "* 1 EXPUNGE".into(),
            "* 1 EXPUNGE".into(),
            "m2 OK UID MOVE completed".into()
        ]
    );
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages.is_empty());
    assert_eq!(st.mailbox(ALICE, "Work").unwrap().messages.len(), 3);
    // Another session sees the moves as expunges, each number valid when sent.
    assert_eq!(
        cmd(&mut other, &mut st, "o NOOP", "OK"),
        vec!["* 1 EXPUNGE", "* 1 EXPUNGE", "* 1 EXPUNGE", "o OK NOOP completed"]
    );
    cmd(&mut s, &mut st, "m3 SELECT Work", "OK");
    cmd(&mut s, &mut st, "m4 MOVE 1 Nope", "NO [TRYCREATE]");
    cmd(&mut s, &mut st, "m5 MOVE 9 INBOX", "BAD");
    assert_eq!(cmd(&mut s, &mut st, "m6 UID MOVE 9 INBOX", "OK"), vec!["m6 OK UID MOVE completed"]);
    cmd(&mut s, &mut st, "m7 EXAMINE Work", "OK");
    cmd(&mut s, &mut st, "m8 MOVE 1 INBOX", "NO [READ-ONLY]");
    cmd(&mut s, &mut st, "m9 UNSELECT", "OK");
    cmd(&mut s, &mut st, "m10 MOVE 1 INBOX", "NO");
}

#[test]
fn special_use_mailboxes_are_marked_in_list() {
    let mut st = store();
    st.create(ALICE, "Trash", created()).unwrap();
    st.add_special_mailboxes(ALICE, created()).unwrap();
    let mut s = logged_in(&mut st);
    assert_eq!(
        cmd(&mut s, &mut st, "a LIST \"\" *", "OK"),
        vec![
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" \"Drafts\"",
            "* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk\"",
            "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"",
            "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"",
            "* LIST (\\HasNoChildren) \"/\" \"Work\"",
            "a OK LIST completed",
        ]
    );
    assert_eq!(
        cmd(&mut s, &mut st, "b LSUB \"\" S*", "OK"),
        vec!["* LSUB (\\Sent) \"/\" \"Sent\"", "b OK LSUB completed"]
    );
    // The use goes with the mailbox when it is renamed, and away when deleted.
    cmd(&mut s, &mut st, "c RENAME Sent \"Sent Messages\"", "OK");
    assert_eq!(
        cmd(&mut s, &mut st, "d LIST \"\" Sent*", "OK")[0],
        "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Messages\""
    );
    cmd(&mut s, &mut st, "e DELETE Junk", "OK");
    cmd(&mut s, &mut st, "f CREATE Junk", "OK");
    assert_eq!(cmd(&mut s, &mut st, "g LIST \"\" Junk", "OK")[0], "* LIST (\\HasNoChildren) \"/\" \"Junk\"");
}

#[test]
fn search_keys() {
    let mut st = store();
    let mut s = selected(&mut st);
    cmd(&mut s, &mut st, "a STORE 1 +FLAGS.SILENT (\\Seen \\Answered)", "OK");
    cmd(&mut s, &mut st, "b STORE 2 +FLAGS.SILENT (\\Flagged \\Deleted $Work)", "OK");
    cmd(&mut s, &mut st, "c STORE 3 +FLAGS.SILENT (\\Draft)", "OK");
    let cases = [
        ("ALL", "1 2 3"),
        ("ANSWERED", "1"),
        ("UNANSWERED", "2 3"),
        ("DELETED", "2"),
        ("UNDELETED", "1 3"),
        ("FLAGGED", "2"),
        ("UNFLAGGED", "1 3"),
        ("SEEN", "1"),
        ("UNSEEN", "2 3"),
        ("DRAFT", "3"),
        ("UNDRAFT", "1 2"),
        ("KEYWORD $work", "2"),
        ("UNKEYWORD $Work", "1 3"),
        ("RECENT", "1 2 3"),
        ("NEW", "2 3"),
        ("OLD", ""),
        ("FROM alice", "1"),
        ("FROM \"bob b.\"", "2"),
        ("TO carol", "2"),
        ("CC dave", "2"),
        ("BCC x", ""),
        ("SUBJECT hello", "1"),
        ("SUBJECT Grüße", "3"),
        ("SUBJECT {6}\r\nREPORT", "2"),
        ("BODY \"at the lab\"", "1"),
        ("BODY report", "2"),
        ("TEXT Report", "2"),
        ("TEXT example.com", "1 2 3"),
        ("HEADER X-Spam no", "3"),
        ("HEADER X-Spam \"\"", "3"),
        ("HEADER Message-ID <2@", "2"),
        ("LARGER 600", "2"),
        ("SMALLER 150", "3"),
        ("BEFORE 2-Apr-2026", "1"),
        ("ON 02-Apr-2026", "2"),
        ("SINCE \"2-Apr-2026\"", "2 3"),
        ("SENTBEFORE 2-Apr-2026", "1"),
        ("SENTON 2-Apr-2026", "2"),
        ("SENTSINCE 1-Apr-2026", "1 2"),
        ("UID 2:*", "2 3"),
        ("2,3", "2 3"),
        ("*", "3"),
        ("1:2 UNSEEN", "2"),
        ("NOT SEEN", "2 3"),
        ("OR SEEN FLAGGED", "1 2"),
        ("OR (SEEN ANSWERED) DRAFT", "1 3"),
        ("NOT (FROM alice)", "2 3"),
        ("CHARSET UTF-8 SUBJECT hello", "1"),
        ("charset us-ascii all", "1 2 3"),
    ];
    for (keys, want) in cases {
        let got = search(&mut s, &mut st, keys);
        assert_eq!(got.trim_end(), format!("* SEARCH {want}").trim_end(), "SEARCH {keys}");
    }
    assert_eq!(cmd(&mut s, &mut st, "d UID SEARCH FLAGGED", "OK")[0], "* SEARCH 2");
    cmd(&mut s, &mut st, "e SEARCH CHARSET KOI8-R ALL", "NO [BADCHARSET (UTF-8 US-ASCII)]");
    cmd(&mut s, &mut st, "f SEARCH FOO", "BAD");
    cmd(&mut s, &mut st, "g SEARCH", "BAD");
    cmd(&mut s, &mut st, "h SEARCH (SEEN", "BAD");
    cmd(&mut s, &mut st, "i SEARCH BEFORE yesterday", "BAD");
    cmd(&mut s, &mut st, "j SEARCH 99", "OK");
}

#[test]
fn expunge_and_close() {
    let mut st = store();
    let mut s = selected(&mut st);
    cmd(&mut s, &mut st, "a STORE 1,3 +FLAGS (\\Deleted)", "OK");
    assert_eq!(cmd(&mut s, &mut st, "b EXPUNGE", "OK"), vec!["* 1 EXPUNGE", "* 2 EXPUNGE", "b OK EXPUNGE completed"]);
    assert_eq!(cmd(&mut s, &mut st, "c EXPUNGE", "OK"), vec!["c OK EXPUNGE completed"]);
    cmd(&mut s, &mut st, "d STORE 1 +FLAGS (\\Deleted)", "OK");
    // CLOSE expunges silently and leaves the selected state.
    assert_eq!(cmd(&mut s, &mut st, "e CLOSE", "OK"), vec!["e OK CLOSE completed"]);
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages.is_empty());
    cmd(&mut s, &mut st, "f FETCH 1 FLAGS", "NO");
    // After EXAMINE, CLOSE expunges nothing.
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    st.mailbox_mut(ALICE, INBOX).unwrap().messages[0].flags.insert("\\Deleted".into());
    cmd(&mut s, &mut st, "g EXAMINE INBOX", "OK");
    cmd(&mut s, &mut st, "h CLOSE", "OK");
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().messages.len(), 1);
}

#[test]
fn idle_reports_new_mail() {
    let mut st = store();
    let mut s = selected(&mut st);
    assert_eq!(lines(&mut s, &mut st, "a IDLE\r\n"), vec!["+ idling"]);
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    // Nothing until the host says the store changed.
    assert!(lines(&mut s, &mut st, "").is_empty());
    s.mailbox_changed();
    assert_eq!(lines(&mut s, &mut st, ""), vec!["* 4 EXISTS", "* 4 RECENT"]);
    assert!(lines(&mut s, &mut st, "").is_empty());
    // Another session expunges: while idling that is reported at once.
    let mut other = selected(&mut st);
    cmd(&mut other, &mut st, "x STORE 2 +FLAGS.SILENT (\\Deleted)", "OK");
    cmd(&mut other, &mut st, "y EXPUNGE", "OK");
    s.mailbox_changed();
    assert_eq!(lines(&mut s, &mut st, ""), vec!["* 2 EXPUNGE"]);
    let outs = run(&mut s, &mut st, b"DONE\r\n");
    assert_eq!(received(&outs), vec!["DONE"]);
    assert_eq!(sent(outs), vec!["a OK IDLE terminated"]);
    // Not idling: the news comes with the next command.
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    s.mailbox_changed();
    assert!(lines(&mut s, &mut st, "").is_empty());
    assert_eq!(cmd(&mut s, &mut st, "b NOOP", "OK"), vec!["* 4 EXISTS", "* 4 RECENT", "b OK NOOP completed"]);
    // Anything but DONE ends IDLE with BAD; IDLE works unselected too.
    assert_eq!(lines(&mut s, &mut st, "c idle\r\nd NOOP\r\n"), vec!["+ idling", "c BAD Expected DONE to end IDLE"]);
    cmd(&mut s, &mut st, "e CLOSE", "OK");
    assert_eq!(lines(&mut s, &mut st, "f IDLE\r\ndone\r\n"), vec!["+ idling", "f OK IDLE terminated"]);
}

/// What the host does after each use of the store: if its version moved,
/// wake the idling session; returns what that session then says.
fn wake(a: &mut Server, st: &mut Store, seen: &mut u64) -> Vec<String> {
    assert_ne!(st.version(), *seen, "the change did not move the store's version");
    *seen = st.version();
    a.mailbox_changed();
    let l = lines(a, st, "");
    // Reporting changes is no change: idlers cannot wake each other for ever.
    assert_eq!(st.version(), *seen, "reporting moved the version");
    l
}

#[test]
fn idle_sees_every_change_from_any_session_or_protocol() {
    let mut st = store();
    let mut a = selected(&mut st);
    let mut b = selected(&mut st);
    assert_eq!(lines(&mut a, &mut st, "i IDLE\r\n"), vec!["+ idling"]);
    let mut v = st.version();
    // Reading without changing anything wakes nobody.
    cmd(&mut b, &mut st, "b1 FETCH 1:* (FLAGS BODY.PEEK[HEADER])", "OK");
    cmd(&mut b, &mut st, "b2 STORE 1 -FLAGS (\\Seen)", "OK");
    cmd(&mut b, &mut st, "b3 SEARCH ALL", "OK");
    cmd(&mut b, &mut st, "b4 NOOP", "OK");
    assert_eq!(st.version(), v, "nothing changed");
    assert!(lines(&mut a, &mut st, "").is_empty());
    // Another session APPENDs: EXISTS and RECENT (b, which appended, took its \Recent).
    cmd(&mut b, &mut st, "b6 APPEND INBOX {8+}\r\nSubject:", "OK");
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 4 EXISTS", "* 3 RECENT"]);
    // Its STORE, and its FETCH that sets \Seen: FETCH FLAGS.
    cmd(&mut b, &mut st, "b7 STORE 1 +FLAGS (\\Flagged)", "OK");
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 1 FETCH (FLAGS (\\Flagged \\Recent))"]);
    cmd(&mut b, &mut st, "b8 FETCH 2 BODY[TEXT]", "OK");
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 2 FETCH (FLAGS (\\Seen \\Recent))"]);
    // Its EXPUNGE of messages 2 and 4: the second number is counted after the first went.
    cmd(&mut b, &mut st, "b9 STORE 2,4 +FLAGS.SILENT (\\Deleted)", "OK");
    assert_eq!(
        wake(&mut a, &mut st, &mut v),
        vec!["* 2 FETCH (FLAGS (\\Deleted \\Seen \\Recent))", "* 4 FETCH (FLAGS (\\Deleted))"]
    );
    cmd(&mut b, &mut st, "b10 EXPUNGE", "OK");
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 2 EXPUNGE", "* 3 EXPUNGE"]);
    // New mail and an expunge at once: the expunge first, then EXISTS (b,
    // which saw the new mail first, took its \Recent).
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    cmd(&mut b, &mut st, "b11 STORE 1 +FLAGS.SILENT (\\Deleted)", "OK");
    cmd(&mut b, &mut st, "b12 CLOSE", "OK");
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 1 EXPUNGE", "* 2 EXISTS", "* 1 RECENT"]);
    // A POP3 session deletes a message and quits.
    let mut pop = crate::proto::pop3::Server::new(
        crate::proto::pop3::Pop3Config { hostname: "mail.example.com".into(), show_secrets: false },
        String::new(),
    );
    pop.feed(b"USER alice@example.com\r\nPASS secret\r\nDELE 1\r\n");
    while pop.poll(&mut st).is_some() {}
    assert_eq!(st.version(), v, "DELE alone changes nothing until QUIT");
    pop.feed(b"QUIT\r\n");
    while pop.poll(&mut st).is_some() {}
    assert_eq!(wake(&mut a, &mut st, &mut v), vec!["* 1 EXPUNGE"]);
    // Mailboxes created elsewhere move the version too (LIST would show them).
    cmd(&mut b, &mut st, "b13 CREATE Later", "OK");
    assert!(wake(&mut a, &mut st, &mut v).is_empty());
    assert_eq!(lines(&mut a, &mut st, "DONE\r\n"), vec!["i OK IDLE terminated"]);
    // Polling with NOOP from a third session sees the same mailbox.
    let mut c = selected(&mut st);
    assert_eq!(cmd(&mut c, &mut st, "c1 FETCH 1 (UID FLAGS)", "OK")[0], "* 1 FETCH (UID 5 FLAGS ())");
}

#[test]
fn two_sessions_share_the_store() {
    let mut st = store();
    let mut a = selected(&mut st);
    let mut b = logged_in(&mut st);
    cmd(&mut b, &mut st, "b1 SELECT INBOX", "OK");
    // Only the first session to see new mail gets \Recent.
    st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
    assert_eq!(cmd(&mut b, &mut st, "b2 NOOP", "OK")[..2], ["* 4 EXISTS", "* 1 RECENT"]);
    assert_eq!(cmd(&mut a, &mut st, "a1 NOOP", "OK")[..2], ["* 4 EXISTS", "* 3 RECENT"]);
    // Flag changes from the other session are reported.
    cmd(&mut a, &mut st, "a2 STORE 1 +FLAGS.SILENT (\\Deleted)", "OK");
    assert_eq!(cmd(&mut b, &mut st, "b3 NOOP", "OK")[0], "* 1 FETCH (FLAGS (\\Deleted))");
    cmd(&mut a, &mut st, "a3 EXPUNGE", "OK");
    // FETCH, STORE and SEARCH must not report the expunge; the message
    // keeps its sequence number until then.
    let l = cmd(&mut b, &mut st, "b4 FETCH 1:* (UID)", "OK");
    assert_eq!(l, vec!["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "* 4 FETCH (UID 4)", "b4 OK FETCH completed"]);
    assert_eq!(search(&mut b, &mut st, "ALL"), "* SEARCH 2 3 4");
    assert_eq!(cmd(&mut b, &mut st, "b5 STORE 4 +FLAGS (\\Seen)", "OK")[0], "* 4 FETCH (FLAGS (\\Seen \\Recent))");
    // A UID command may report it, and so may NOOP.
    assert_eq!(
        cmd(&mut b, &mut st, "b6 UID FETCH 4 UID", "OK"),
        vec!["* 4 FETCH (UID 4)", "* 1 EXPUNGE", "b6 OK UID FETCH completed"]
    );
    assert_eq!(cmd(&mut b, &mut st, "b7 NOOP", "OK"), vec!["b7 OK NOOP completed"]);
    // The selected mailbox deleted by another session ends the session.
    cmd(&mut a, &mut st, "a4 CREATE Tmp", "OK");
    cmd(&mut b, &mut st, "b8 SELECT Tmp", "OK");
    cmd(&mut a, &mut st, "a5 DELETE Tmp", "OK");
    let outs = run(&mut b, &mut st, b"b9 NOOP\r\n");
    assert_eq!(outs.last(), Some(&Output::Close));
    assert!(sent(outs)[0].starts_with("* BYE"));
}

#[test]
fn rfc3501_literal_example() {
    let mut st = store();
    st.deliver("FRED FOOBAR", Arc::new(SIMPLE.to_vec()), now());
    let mut s = session(&mut st);
    assert_eq!(lines(&mut s, &mut st, "A001 LOGIN {11}\r\n"), vec!["+ Ready for literal data"]);
    assert_eq!(lines(&mut s, &mut st, "FRED FOOBAR {7}\r\n"), vec!["+ Ready for literal data"]);
    let outs = run(&mut s, &mut st, b"fat man\r\n");
    assert!(outs.contains(&Output::LoginOk { user: "FRED FOOBAR".into() }));
    assert_eq!(received(&outs), vec!["(literal: 7 octets)"]);
    assert!(sent(outs)[0].starts_with("A001 OK"));
    // An unknown command is refused before its literal is sent.
    assert_eq!(lines(&mut s, &mut st, "A044 BLURDYBLOOP {102856}\r\n"), vec!["A044 BAD Unknown command BLURDYBLOOP"]);
    assert_eq!(
        cmd(&mut s, &mut st, "A045 SELECT {5+}\r\nINBOX", "OK").last().unwrap(),
        "A045 OK [READ-WRITE] SELECT completed"
    );
    // Literals anywhere: the mailbox of LIST, a header name in FETCH.
    cmd(&mut s, &mut st, "A046 LIST {0}\r\n {1}\r\n*", "OK");
    let l = cmd(&mut s, &mut st, "A047 FETCH 1 BODY.PEEK[HEADER.FIELDS ({7+}\r\nSubject)]", "OK");
    assert_eq!(l[0], "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}");
}

#[test]
fn too_big_literals() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    // Synchronizing: refused at once, no continuation, nothing is waited for.
    let l = lines(&mut s, &mut st, "a APPEND INBOX {999999999999}\r\n");
    assert_eq!(l, vec!["a BAD [TOOBIG] Literal of 999999999999 octets is too big (limit 4096 octets)"]);
    assert_eq!(cmd(&mut s, &mut st, "b NOOP", "OK"), vec!["b OK NOOP completed"]);
    // LITERAL+: the octets are read and dropped, then the session goes on.
    let big = "x".repeat(5000);
    let outs = run(&mut s, &mut st, format!("c APPEND INBOX {{5000+}}\r\n{big}\r\nd NOOP\r\n").as_bytes());
    assert_eq!(received(&outs), vec!["c APPEND INBOX {5000+}", "(literal: 5000 octets, discarded)", "d NOOP"]);
    assert_eq!(
        sent(outs),
        vec!["c BAD [TOOBIG] Literal of 5000 octets is too big (limit 4096 octets)", "d OK NOOP completed"]
    );
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().messages.len(), 3);
    // In small pieces, and with a second literal in the same command.
    let input = format!("e APPEND INBOX {{5000+}}\r\n{big} {{3+}}\r\nabc\r\nf NOOP\r\n");
    let mut got = Vec::new();
    for chunk in input.as_bytes().chunks(7) {
        got.extend(sent(run(&mut s, &mut st, chunk)));
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], "f OK NOOP completed");
    // Many small literals cannot add up past the limit either.
    let mut many = String::from("g LOGIN");
    for _ in 0..40 {
        many.push_str(" {2000+}\r\n");
        many.push_str(&"y".repeat(2000));
    }
    many.push_str("\r\nh NOOP\r\n");
    let l = lines(&mut s, &mut st, &many);
    assert!(l[0].starts_with("g BAD [TOOBIG]"), "{l:?}");
    assert_eq!(l.last().unwrap(), "h OK NOOP completed");
}

#[test]
fn long_lines_are_refused() {
    let mut st = store();
    let mut s = logged_in(&mut st);
    let long = format!("a LIST \"\" \"{}\"\r\nb NOOP\r\n", "x".repeat(MAX_LINE + 10));
    let l = lines(&mut s, &mut st, &long);
    assert_eq!(l, vec![format!("a BAD Line too long (limit {MAX_LINE} octets)"), "b OK NOOP completed".into()]);
    // Fed in pieces, memory stays bounded and the line is still one error.
    for _ in 0..100 {
        assert!(lines(&mut s, &mut st, &"z".repeat(10_000)).is_empty());
        assert!(s.input.len() <= MAX_LINE + 10_000);
    }
    assert_eq!(
        lines(&mut s, &mut st, "\r\nc NOOP\r\n"),
        vec![format!("* BAD Line too long (limit {MAX_LINE} octets)"), "c OK NOOP completed".into()]
    );
    // Fed one octet at a time, a long line still costs little.
    let start = std::time::Instant::now();
    for _ in 0..60_000 {
        s.feed(b"w");
        assert_eq!(s.poll(&mut st, now()), None);
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let l = lines(&mut s, &mut st, "\r\n");
    assert!(l.len() == 1 && l[0].ends_with("w BAD Missing command"));
    // The start of an over-long LOGIN line is shown, but not its password.
    let outs = run(&mut s, &mut st, format!("l LOGIN alice@example.com secret{}\r\n", "s".repeat(MAX_LINE)).as_bytes());
    assert_eq!(received(&outs), vec![format!("l LOGIN alice@example.com ***... ({} octets, too long)", MAX_LINE + 32)]);
    // A long line ending in a LITERAL+ marker: its literal is skipped too.
    let long = format!("d X{} {{5+}}\r\n12345\r\ne NOOP\r\n", "y".repeat(MAX_LINE));
    assert_eq!(
        lines(&mut s, &mut st, &long),
        vec![format!("d BAD Line too long (limit {MAX_LINE} octets)"), "e OK NOOP completed".into()]
    );
}

#[test]
fn too_many_errors_close_the_session() {
    let mut st = store();
    let mut s = session(&mut st);
    let outs = run(&mut s, &mut st, "x BOGUS\r\n".repeat(25).as_bytes());
    let l = sent(outs.clone());
    assert_eq!(l.len(), MAX_ERRORS as usize + 1);
    assert_eq!(l.last().unwrap(), "* BYE Too many invalid commands");
    assert_eq!(outs.last(), Some(&Output::Close));
    assert!(s.is_closed());
    assert!(run(&mut s, &mut st, b"y NOOP\r\n").is_empty());
}

#[test]
fn bare_lf_in_crlf_out() {
    let mut st = store();
    let mut s = session(&mut st);
    let w = wire(
        &mut s,
        &mut st,
        "a LOGIN alice@example.com secret\nb SELECT INBOX\nc FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]\n",
    );
    let text = String::from_utf8(w).unwrap();
    assert!(text.contains("b OK [READ-WRITE] SELECT completed\r\n"));
    assert!(text.ends_with("{18}\r\nSubject: Hello\r\n\r\n)\r\nc OK FETCH completed\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'));
}

#[test]
fn thunderbird_and_imaplib_commands() {
    let mut st = store();
    let mut s = session(&mut st);
    cmd(&mut s, &mut st, "1 capability", "OK");
    cmd(&mut s, &mut st, "3 login \"alice@example.com\" \"secret\"", "OK");
    cmd(&mut s, &mut st, "4 list \"\" \"*\"", "OK");
    cmd(&mut s, &mut st, "5 lsub \"\" \"*\"", "OK");
    cmd(&mut s, &mut st, "7 list \"\" \"Trash\"", "OK");
    cmd(&mut s, &mut st, "8 create \"Trash\"", "OK");
    cmd(&mut s, &mut st, "10 select \"INBOX\"", "OK");
    assert_eq!(cmd(&mut s, &mut st, "11 UID fetch 1:* (FLAGS)", "OK").len(), 4);
    let l = cmd(
        &mut s,
        &mut st,
        "12 UID fetch 2 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])",
        "OK",
    );
    assert_eq!(
        l[0],
        "* 2 FETCH (UID 2 RFC822.SIZE 605 FLAGS (\\Recent) BODY[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO)] {255}"
    );
    assert_eq!(lines(&mut s, &mut st, "13 IDLE\r\nDONE\r\n"), vec!["+ idling", "13 OK IDLE terminated"]);
    cmd(&mut s, &mut st, "14 noop", "OK");
    // imaplib
    assert_eq!(search(&mut s, &mut st, "ALL"), "* SEARCH 1 2 3");
    cmd(&mut s, &mut st, "KDHB5 FETCH 1 (BODY.PEEK[])", "OK");
    cmd(&mut s, &mut st, "KDHB6 STORE 1 +FLAGS (\\Seen)", "OK");
    cmd(&mut s, &mut st, "KDHB7 UID SEARCH UNSEEN", "OK");
    cmd(&mut s, &mut st, "KDHB8 EXPUNGE", "OK");
    cmd(&mut s, &mut st, "KDHB9 FETCH 1 (RFC822)", "OK");
}

/// A whole session with both kinds of literal, IDLE and fetches.
const SESSION: &[u8] = b"a1 CAPABILITY\r\na2 LOGIN {17}\r\nalice@example.com \"secret\"\r\na3 SELECT INBOX\r\n\
a4 APPEND INBOX (\\Flagged) {12+}\r\nSubject: x\r\n\r\na5 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n\
a6 APPEND Work {9}\r\nhi\r\nbye\r\n\na7 IDLE\r\nDONE\nA8 SEARCH UNSEEN\r\na9 FETCH 2 BODY[1]<0.10>\r\n\
b1 ID (\"name\" {4}\r\nmutt)\r\nb2 NAMESPACE\r\nb3 ENABLE CONDSTORE\r\nb4 UID MOVE 1 Work\r\n\
b5 STORE 1 +FLAGS (\\Deleted)\r\nb6 UID EXPUNGE 1:*\r\nb7 UNSELECT\r\na10 LOGOUT\r\n";

#[test]
fn every_split_gives_the_same_outputs() {
    let mut st0 = store();
    let mut s0 = Server::new(cfg());
    let want = run(&mut s0, &mut st0, SESSION);
    assert_eq!(want.last(), Some(&Output::Close));
    assert!(!sent(want.clone()).iter().any(|l| l.contains(" BAD ") || l.contains(" NO ")), "{want:#?}");
    for cut in 0..SESSION.len() {
        let mut st = store();
        let mut s = Server::new(cfg());
        let mut got = run(&mut s, &mut st, &SESSION[..cut]);
        got.extend(run(&mut s, &mut st, &SESSION[cut..]));
        assert_eq!(got, want, "split at {cut}");
        assert_eq!(st.mailbox(ALICE, "Work").unwrap().messages[0].data.as_slice(), b"hi\r\nbye\r\n");
    }
    // Byte by byte, too.
    let mut st = store();
    let mut s = Server::new(cfg());
    let mut got = Vec::new();
    for b in SESSION {
        got.extend(run(&mut s, &mut st, std::slice::from_ref(b)));
    }
    assert_eq!(got, want);
}

/// Random input must never panic, and the server must keep answering.
#[test]
fn random_input_does_not_panic() {
    let words: &[&str] = &[
        "a",
        "LOGIN",
        "alice@example.com",
        "secret",
        "SELECT",
        "INBOX",
        "FETCH",
        "1:*",
        "*",
        "2,3",
        "(",
        ")",
        "[",
        "]",
        "BODY[]",
        "BODY.PEEK[1.MIME]",
        "BODY[2.HEADER.FIELDS",
        "<0.5>",
        "{3}",
        "{2+}",
        "{0}",
        "\"",
        "\\",
        "STORE",
        "+FLAGS",
        "(\\Seen)",
        "SEARCH",
        "OR",
        "NOT",
        "UID",
        "COPY",
        "MOVE",
        "UNSELECT",
        "NAMESPACE",
        "ID",
        "NIL",
        "ENABLE",
        "Work",
        "APPEND",
        "IDLE",
        "DONE",
        "LIST",
        "%",
        "\"\"",
        "EXPUNGE",
        "CLOSE",
        "EXAMINE",
        "AUTHENTICATE",
        "PLAIN",
        "=",
        "BODYSTRUCTURE",
        "ENVELOPE",
        "RENAME",
        "CREATE",
        "a/b",
        "DELETE",
        "STATUS",
        "(MESSAGES",
        "UNSEEN)",
        "HEADER",
        "SINCE",
        "1-Jan-2026",
        "\r\n",
        "\n",
        "\r\n",
        "\u{e9}",
        "\0",
        "~{1}",
        "4294967295",
        "4294967296",
        "0",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut st = store();
        let mut s = Server::new(cfg());
        run(&mut s, &mut st, b"a LOGIN alice@example.com secret\r\nb SELECT INBOX\r\n");
        for _ in 0..40 {
            let mut input = Vec::new();
            for _ in 0..(next() % 12) {
                let w = words[(next() % words.len() as u64) as usize];
                input.extend_from_slice(w.as_bytes());
                if next() % 3 > 0 {
                    input.push(b' ');
                }
            }
            if next() % 4 == 0 {
                input.push((next() % 256) as u8);
            }
            input.extend_from_slice(b"\r\n");
            run(&mut s, &mut st, &input);
            if next() % 10 == 0 {
                s.mailbox_changed();
                st.deliver(ALICE, Arc::new(MULTI.to_vec()), now());
            }
        }
    }
}

#[test]
fn autologout_counts_from_the_last_command_and_says_bye() {
    use std::time::Duration;
    let mut st = store();
    let mut s = selected(&mut st);
    s.waiting(Duration::from_secs(5));
    assert_eq!(AUTOLOGOUT, Duration::from_secs(1800), "RFC 3501: at least 30 minutes");
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(5) + AUTOLOGOUT));
    // News pushed to the client (the host wakes the session for every
    // change to the store) does not keep a silent client: the timer goes on.
    assert_eq!(lines(&mut s, &mut st, "i IDLE\r\n"), vec!["+ idling"]);
    s.waiting(Duration::from_secs(6));
    for t in [600, 1200] {
        st.deliver(ALICE, Arc::new(SIMPLE.to_vec()), now());
        s.mailbox_changed();
        assert_eq!(lines(&mut s, &mut st, "").len(), 2, "EXISTS and RECENT");
        s.waiting(Duration::from_secs(t));
        assert_eq!(s.poll_timeout(), Some(Duration::from_secs(6) + AUTOLOGOUT));
    }
    s.handle_timeout(Duration::from_secs(1805));
    assert_eq!(s.poll(&mut st, now()), None, "not yet");
    // A command starts it again once the host waits again.
    assert_eq!(lines(&mut s, &mut st, "DONE\r\n"), vec!["i OK IDLE terminated"]);
    s.waiting(Duration::from_secs(1000));
    s.handle_timeout(Duration::from_secs(1806));
    assert_eq!(s.poll(&mut st, now()), None, "the timer started again at 1000 s");
    // Autologout: `* BYE` first (RFC 3501 §7.1.5), then the connection closes.
    s.handle_timeout(Duration::from_secs(2800));
    let outs = run(&mut s, &mut st, b"a3 NOOP\r\n");
    assert_eq!(outs.last(), Some(&Output::Close));
    assert_eq!(sent(outs), vec!["* BYE Disconnected for inactivity."]);
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_client_trickling_a_command_or_a_literal_is_logged_out() {
    use std::time::Duration;
    let t0 = Duration::from_secs(5);
    // A command line, then a literal with no line in it, each byte just
    // before the deadline: only complete lines (or a literal's end)
    // restart the timer (Postfix's smtpd_per_record_deadline).
    for (setup, body) in [("", "a3 NOOP and then some"), ("a3 APPEND Work {40}\r\n", "Subject: trickled, no line end")]
    {
        let mut st = store();
        let mut s = selected(&mut st);
        let l = lines(&mut s, &mut st, setup);
        assert!(setup.is_empty() || l == vec!["+ Ready for literal data"], "{l:?}");
        s.waiting(t0);
        for b in body.bytes() {
            let now = s.poll_timeout().expect("open") - Duration::from_millis(1);
            s.handle_timeout(now);
            assert_eq!(run(&mut s, &mut st, &[b]), vec![]);
            s.waiting(now);
        }
        assert_eq!(s.poll_timeout(), Some(t0 + AUTOLOGOUT));
        s.handle_timeout(t0 + AUTOLOGOUT);
        assert_eq!(sent(run(&mut s, &mut st, b"")), vec!["* BYE Disconnected for inactivity."]);
        assert!(s.is_closed());
    }
    // A line within a literal restarts it.
    let mut st = store();
    let mut s = selected(&mut st);
    lines(&mut s, &mut st, "a3 APPEND Work {40}\r\n");
    s.waiting(t0);
    lines(&mut s, &mut st, "Subject: x\r\n");
    s.waiting(t0 + Duration::from_secs(60));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(60) + AUTOLOGOUT));
    s.set_idle_timeout(Duration::from_secs(1));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(61)));
}

#[test]
fn a_busy_server_says_bye_instead_of_a_greeting() {
    let mut st = store();
    let mut s = Server::refuse_busy(cfg());
    let outs = run(&mut s, &mut st, b"a LOGIN alice@example.com secret\r\n");
    assert_eq!(outs.last(), Some(&Output::Close));
    assert_eq!(sent(outs), vec!["* BYE too many connections"]);
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
}

// --- STARTTLS ---

fn tls_session(st: &mut Store, mode: TlsMode) -> (Server, String) {
    let mut s = Server::new(cfg()).tls(mode);
    let g = lines(&mut s, st, "");
    assert_eq!(g.len(), 1);
    (s, g[0].clone())
}

/// Run `input`; whenever the core asks for TLS, pretend the handshake worked.
fn run_tls(s: &mut Server, st: &mut Store, input: &[u8]) -> Vec<Output> {
    s.feed(input);
    let mut v = Vec::new();
    while let Some(o) = s.poll(st, now()) {
        if o == Output::StartTls {
            s.tls_started();
        }
        v.push(o);
    }
    v
}

#[test]
fn starttls_is_offered_until_tls_is_up() {
    let mut st = store();
    let (mut s, greeting) = tls_session(&mut st, TlsMode::Offered);
    assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN IDLE "), "{greeting}");
    let o = run_tls(&mut s, &mut st, b"a STARTTLS\r\n");
    assert_eq!(sent(o.clone()), vec!["a OK Begin TLS negotiation now."]);
    assert_eq!(o.last(), Some(&Output::StartTls));
    assert!(s.is_encrypted());
    let l = lines(&mut s, &mut st, "b CAPABILITY\r\nc STARTTLS\r\nd LOGIN alice@example.com secret\r\ne STARTTLS\r\n");
    assert_eq!(l[0], format!("* CAPABILITY {CAPABILITIES}"));
    assert_eq!(l[2], "c BAD TLS is already active.");
    assert!(l[3].starts_with("d OK [CAPABILITY"), "{l:?}");
    assert_eq!(l[4], "e BAD STARTTLS is only allowed before login");
    // Offered, not required: LOGIN in the clear still works.
    let (mut s, _) = tls_session(&mut st, TlsMode::Offered);
    assert!(lines(&mut s, &mut st, "d LOGIN alice@example.com secret\r\n")[0].starts_with("d OK"));
    // Without TLS on the host: not offered, refused in Dovecot's words.
    let mut s = session(&mut st);
    assert_eq!(lines(&mut s, &mut st, "a STARTTLS\r\n"), vec!["a BAD TLS support isn't enabled."]);
}

#[test]
fn nothing_pipelined_after_starttls_runs_inside_tls() {
    let mut st = store();
    let (mut s, _) = tls_session(&mut st, TlsMode::Offered);
    let o = run(&mut s, &mut st, b"a STARTTLS\r\nb LOGIN alice@example.com secret\r\nc SELECT INBOX\r\n");
    assert_eq!(sent(o.clone()), vec!["a OK Begin TLS negotiation now."]);
    assert_eq!(received(&o), vec!["a STARTTLS"]);
    assert_eq!(o.last(), Some(&Output::StartTls));
    // More cleartext before the handshake: not read either.
    assert!(run(&mut s, &mut st, b"d LOGOUT\r\n").is_empty());
    s.tls_started();
    assert!(run(&mut s, &mut st, b"").is_empty(), "the injected lines are gone");
    assert_eq!(
        lines(&mut s, &mut st, "e SELECT INBOX\r\n"),
        vec!["e NO Not logged in: use LOGIN or AUTHENTICATE first"]
    );
    // A literal in progress is forgotten too.
    let (mut s, _) = tls_session(&mut st, TlsMode::Offered);
    run(&mut s, &mut st, b"a STARTTLS\r\nb LOGIN {17+}\r\nalice@exam");
    s.tls_started();
    assert_eq!(lines(&mut s, &mut st, "f NOOP\r\n"), vec!["f OK NOOP completed"]);
}

#[test]
fn a_host_that_requires_tls_says_logindisabled_and_refuses_logins() {
    let mut st = store();
    let (mut s, greeting) = tls_session(&mut st, TlsMode::Required);
    assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED IDLE "), "{greeting}");
    assert!(!greeting.contains("AUTH=PLAIN"));
    let o = run(&mut s, &mut st, b"a LOGIN alice@example.com secret\r\nb AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\nc AUTHENTICATE PLAIN\r\n");
    assert_eq!(
        sent(o.clone()),
        vec![
            "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.",
            "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
            "b NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
            "c NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.",
        ]
    );
    // The password is masked in the trace as always; nobody logged in, no failure counted.
    assert_eq!(received(&o)[0], "a LOGIN alice@example.com ***");
    assert!(!o.iter().any(|x| matches!(x, Output::LoginOk { .. } | Output::LoginFailed { .. })));
    // The host logs Dovecot's "tried to use disallowed plaintext auth" at the end.
    assert!(s.plaintext_refused());
    let l = lines(&mut s, &mut st, "d CAPABILITY\r\n");
    assert!(l[0].contains(" LOGINDISABLED") && l[0].contains(" STARTTLS"), "{l:?}");
    run_tls(&mut s, &mut st, b"e STARTTLS\r\n");
    let l = lines(&mut s, &mut st, "f CAPABILITY\r\ng LOGIN alice@example.com secret\r\n");
    assert_eq!(l[0], format!("* CAPABILITY {CAPABILITIES}"));
    assert!(l[2].starts_with("g OK [CAPABILITY"), "{l:?}");
    // Implicit TLS (993): TLS is up before the greeting.
    let mut s = Server::new(cfg()).tls(TlsMode::Required);
    assert!(!s.plaintext_refused());
    s.tls_started();
    let g = lines(&mut s, &mut st, "");
    assert_eq!(g[0], format!("* OK [CAPABILITY {CAPABILITIES}] mail.example.com IMAP4rev1 maillab ready"));
}

const TLS_SESSION: &[u8] =
    b"a CAPABILITY\r\nb LOGIN alice@example.com secret\r\nc STARTTLS\r\nd LOGIN evil x\r\ne SELECT INBOX\r\n";

#[test]
fn every_split_around_starttls_gives_the_same_outputs() {
    // Both reads arrive in the clear, before the handshake.
    let play = |cut: usize| {
        let mut st = store();
        let mut s = Server::new(cfg()).tls(TlsMode::Required);
        let mut got = run(&mut s, &mut st, &TLS_SESSION[..cut]);
        got.extend(run(&mut s, &mut st, &TLS_SESSION[cut..]));
        assert_eq!(got.last(), Some(&Output::StartTls), "split at {cut}");
        s.tls_started();
        got.extend(run(&mut s, &mut st, b"f LOGIN alice@example.com secret\r\ng LOGOUT\r\n"));
        got
    };
    let want = play(TLS_SESSION.len());
    assert_eq!(want.last(), Some(&Output::Close));
    assert_eq!(
        received(&want),
        vec![
            "a CAPABILITY",
            "b LOGIN alice@example.com ***",
            "c STARTTLS",
            "f LOGIN alice@example.com ***",
            "g LOGOUT"
        ]
    );
    for cut in 0..=TLS_SESSION.len() {
        assert_eq!(play(cut), want, "split at {cut}");
    }
}

#[test]
fn uidvalidity_is_the_time_the_mailbox_was_created() {
    // As Dovecot: seconds since the epoch at creation, on the clock the
    // host hands the core (created() for the store, now() for commands).
    let mut st = store();
    let mut s = logged_in(&mut st);
    let status = |s: &mut Server, st: &mut Store, tag: &str, name: &str| {
        cmd(s, st, &format!("{tag} STATUS {name} (UIDVALIDITY)"), "OK")[0].clone()
    };
    assert_eq!(status(&mut s, &mut st, "a", "INBOX"), "* STATUS \"INBOX\" (UIDVALIDITY 1775001600)");
    assert_eq!(status(&mut s, &mut st, "b", "Work"), "* STATUS \"Work\" (UIDVALIDITY 1775001601)");
    cmd(&mut s, &mut st, "c CREATE Project", "OK");
    assert_eq!(status(&mut s, &mut st, "d", "Project"), "* STATUS \"Project\" (UIDVALIDITY 1775178000)");
    cmd(&mut s, &mut st, "e RENAME INBOX Archive", "OK");
    assert_eq!(status(&mut s, &mut st, "f", "Archive"), "* STATUS \"Archive\" (UIDVALIDITY 1775178001)");
    assert_eq!(status(&mut s, &mut st, "g", "INBOX"), "* STATUS \"INBOX\" (UIDVALIDITY 1775178002)");
    // A renamed mailbox other than INBOX keeps its UIDs and UIDVALIDITY.
    cmd(&mut s, &mut st, "h RENAME Work Jobs", "OK");
    assert_eq!(status(&mut s, &mut st, "i", "Jobs"), "* STATUS \"Jobs\" (UIDVALIDITY 1775001601)");
}
