"""SMTPUTF8 (RFC 6531) and CHUNKING/BDAT (RFC 3030) with Python's smtplib
and poplib against `maillab serve` (tests/fixtures/serve-smtpext.yaml).

Usage: smtp_extensions.py READY_JSON
Each check prints one line; any failure raises and exits non-zero.
"""
import json
import poplib
import smtplib
import sys
import time

ready = json.load(open(sys.argv[1]))
ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in ready["endpoints"]}


def ok(msg):
    print("ok:", msg, flush=True)


def retr(user, password, subject):
    host, port = ep[("mail", "pop3")]
    deadline = time.time() + 10
    while True:
        p = poplib.POP3(host, port, timeout=10)
        p.user(user)
        p.pass_(password)
        for i in range(1, p.stat()[0] + 1):
            lines = p.retr(i)[1]
            if any(l == b"Subject: " + subject.encode() for l in lines):
                p.quit()
                return lines
        p.quit()
        assert time.time() < deadline, f"{subject} never arrived for {user}"
        time.sleep(0.2)


host, port = ep[("mail", "smtp")]

# 1. The Postfix host offers SMTPUTF8 and CHUNKING; smtplib sends a Japanese address with SMTPUTF8.
s = smtplib.SMTP(host, port, timeout=10)
code, _ = s.ehlo("pc.example.ac.jp")
assert code == 250 and s.has_extn("smtputf8") and s.has_extn("chunking"), s.esmtp_features
msg = "Subject: utf8 address\r\n\r\n日本語のアドレスへ\r\n".encode()
refused = s.sendmail("taro@example.ac.jp", ["花子@example.ac.jp"], msg, mail_options=["SMTPUTF8"])
assert refused == {}, refused
ok("SMTPUTF8 advertised; MAIL ... SMTPUTF8 and RCPT TO:<花子@example.ac.jp> accepted")

# 2. The same address without SMTPUTF8: 553 5.6.7.
s.command_encoding = "utf-8"
code, _ = s.mail("taro@example.ac.jp")
assert code == 250, code
code, text = s.rcpt("花子@example.ac.jp")
assert code == 553 and text.startswith(b"5.6.7 Must declare SMTPUTF8"), (code, text)
s.rset()
ok("a UTF-8 address without SMTPUTF8: 553 5.6.7")

# 3. BDAT by hand (smtplib has no BDAT): two chunks, a lone dot line and a bare LF are content.
code, _ = s.mail("taro@example.ac.jp")
code2, _ = s.rcpt("taro@example.ac.jp")
assert (code, code2) == (250, 250)
first = b"Subject: chunked\r\n\r\n.\r\n"
last = b"..two dots\nbare LF\r\n"
s.send(b"BDAT %d\r\n" % len(first) + first)
code, text = s.getreply()
assert code == 250 and text == b"2.0.0 Ok: %d bytes" % len(first), (code, text)
s.send(b"BDAT %d LAST\r\n" % len(last) + last)
code, text = s.getreply()
assert code == 250 and b"bytes queued as" in text, (code, text)
s.send(b"BDAT 3\r\nabc")
code, text = s.getreply()
assert code == 503 and b"need RCPT" in text, (code, text)
code, _ = s.noop()
assert code == 250, "the refused chunk's octets were read as commands"
s.quit()
lines = retr("taro@example.ac.jp", "s3cret", "chunked")
body = lines[lines.index(b"") + 1 :]
assert body == [b".", b"..two dots", b"bare LF"], body  # as stored: BDAT has no dot-stuffing
ok("BDAT in two chunks, exact octets; a refused chunk is still read")

lines = retr("花子@example.ac.jp", "hanako-pw", "utf8 address")
assert "日本語のアドレスへ".encode() in lines, lines
ok("poplib logs in as 花子@example.ac.jp and reads the message")

# 4. The sendmail host offers neither; smtplib refuses to send SMTPUTF8 there itself.
host, port = ep[("old", "smtp")]
s = smtplib.SMTP(host, port, timeout=10)
s.ehlo("pc.example.ac.jp")
assert not s.has_extn("smtputf8") and not s.has_extn("chunking"), s.esmtp_features
try:
    s.sendmail("taro@example.ac.jp", ["jiro@old.example.ac.jp"], b"Subject: x\r\n\r\nx\r\n", mail_options=["SMTPUTF8"])
    raise AssertionError("smtplib sent SMTPUTF8 to a server without it")
except smtplib.SMTPNotSupportedError:
    pass
s.quit()
ok("sendmail offers no SMTPUTF8 or CHUNKING")
print("all smtp extension checks passed")
