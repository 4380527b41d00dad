"""Join a list served by `maillab serve scenarios/list-join.yaml` with
Python's smtplib and poplib: subscribe, answer the confirmation request,
then receive a post. Usage: list_join.py READY_FILE"""
import json, poplib, smtplib, sys, time

ready = json.load(open(sys.argv[1]))
ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in ready["endpoints"]}
HANAKO = "Hanako.Tokushima@foo.example"


def send(host, sender, to, subject, body):
    addr, port = ep[(host, "smtp")]
    with smtplib.SMTP(addr, port, timeout=10) as s:
        s.ehlo("pc.example")
        msg = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
        s.sendmail(sender, [to], msg.encode())


def fetch(user, password, want, what):
    """Wait until the mailbox holds `want` messages; return them (and delete them)."""
    addr, port = ep[("foo-mail", "pop3")]
    deadline = time.time() + 15
    while True:
        p = poplib.POP3(addr, port, timeout=10)
        p.user(user)
        p.pass_(password)
        n = len(p.list()[1])
        if n >= want or time.time() > deadline:
            msgs = [b"\r\n".join(p.retr(i)[1]).decode() for i in range(1, n + 1)]
            for i in range(1, n + 1):
                p.dele(i)
            p.quit()
            assert n >= want, f"{what}: {n} message(s) after 15 s"
            return msgs
        p.quit()
        time.sleep(0.2)


send("mailsv", HANAKO, "ohanashi-ctl@mailing-list.jp", "join", "subscribe Hanako Tokushima")
[req] = fetch(HANAKO, "hanako-pw", 1, "confirmation request")
assert "Subject: Subscribe confirmation request (ohanashi ML)" in req, req
line = next(l.strip() for l in req.splitlines() if l.strip().startswith("confirm "))
send("mailsv", HANAKO, "ohanashi-ctl@mailing-list.jp", "Re: confirm", line)
[welcome] = fetch(HANAKO, "hanako-pw", 1, "welcome")
assert "Welcome!" in welcome, welcome
send("mailsv", "yamada@hogehoge.example", "ohanashi@mailing-list.jp", "Hello Hanako", "Welcome!")
[post] = fetch(HANAKO, "hanako-pw", 1, "first post")
assert "Subject: [ohanashi:00001] Hello Hanako" in post, post
assert "List-Id: Ohanashi chat <ohanashi.mailing-list.jp>" in post, post
assert "Return-Path: <ohanashi-admin@mailing-list.jp>" in post, post
print("list join over real sockets passed")
