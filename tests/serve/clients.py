"""Real clients we did not write, against `maillab serve`.

Usage: clients.py READY_JSON
Each check prints one line; any failure raises and exits non-zero.
"""
import imaplib
import json
import poplib
import smtplib
import socket
import sys
import time

ready = json.load(open(sys.argv[1]))
ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in ready["endpoints"]}
OUTSIDE = "127.9.9.9"  # a loopback address that belongs to no host: "outside" the lab


def ok(msg):
    print("ok:", msg, flush=True)


# 1. smtplib from outside: relaying is refused with 550 5.7.1.
host, port = ep[("mail", "smtp")]
s = smtplib.SMTP(host, port, source_address=(OUTSIDE, 0), timeout=10)
code, _ = s.ehlo("laptop.example")
assert code == 250 and s.has_extn("auth") and s.has_extn("size"), s.esmtp_features
try:
    s.sendmail("taro@example.ac.jp", ["friend@example.net"], "Subject: no\r\n\r\nno\r\n")
    raise AssertionError("relay was not refused")
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients["friend@example.net"]
    assert code == 550 and b"5.7.1" in text, e.recipients
ok("outside client refused: 550 5.7.1")

# 2. A wrong password: smtplib raises SMTPAuthenticationError (535).
try:
    s.login("taro@example.ac.jp", "guess")
    raise AssertionError("bad password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
ok("wrong password: 535")

# 3. AUTH, then the relay accepts.
s.login("taro@example.ac.jp", "s3cret")
refused = s.sendmail("taro@example.ac.jp", ["friend@example.net"], "Subject: via AUTH\r\n\r\nhello over real TCP\r\n")
assert refused == {}, refused
s.quit()
ok("AUTH PLAIN and relaying")

# 4. poplib on the other domain's mailstore: the message arrives through the lab's DNS MX.
host, port = ep[("mail-net", "pop3")]
deadline = time.time() + 10
while True:
    p = poplib.POP3(host, port, timeout=10)
    assert b"<" in p.getwelcome(), p.getwelcome()  # APOP timestamp
    p.user("friend@example.net")
    p.pass_("fr1end")
    count, size = p.stat()
    if count >= 1 or time.time() > deadline:
        break
    p.quit()
    time.sleep(0.2)
assert count == 1, count
_, listing, _ = p.list()
assert listing[0].startswith(b"1 "), listing
_, uidl, _ = p.uidl()
assert len(uidl) == 1, uidl
_, top, _ = p.top(1, 0)
assert any(l.startswith(b"Subject: via AUTH") for l in top), top
_, lines, _ = p.retr(1)
received = [l for l in lines if l.startswith(b"Received:")]
assert len(received) == 2, lines
text = b"\n".join(lines)
assert text.index(b"by mail.example.net") < text.index(b"by mail.example.ac.jp"), text
assert any(b"with ESMTPA" in l for l in lines), lines
p.dele(1)
p.quit()
p = poplib.POP3(host, port, timeout=10)
p.apop("friend@example.net", "fr1end")
assert p.stat()[0] == 0
p.quit()
ok("poplib USER/PASS, STAT, LIST, UIDL, TOP, RETR, DELE, APOP; Received: chain of 2")

# 5. POP-before-SMTP: a POP3 login from the outside address opens the relay for it.
host, port = ep[("mail", "pop3")]
c = socket.create_connection((host, port), timeout=10, source_address=(OUTSIDE, 0))
f = c.makefile("rwb")
assert f.readline().startswith(b"+OK")
for cmd in (b"USER taro@example.ac.jp", b"PASS s3cret", b"QUIT"):
    f.write(cmd + b"\r\n")
    f.flush()
    assert f.readline().startswith(b"+OK"), cmd
c.close()
host, port = ep[("mail", "smtp")]
s = smtplib.SMTP(host, port, source_address=(OUTSIDE, 0), timeout=10)
assert s.sendmail("taro@example.ac.jp", ["friend@example.net"], "Subject: after POP\r\n\r\nhi\r\n") == {}
s.quit()
ok("POP-before-SMTP")
# 6. End to end with imaplib: smtplib to one domain's relay, imaplib from the other domain's mailstore.
host, port = ep[("mail", "smtp")]
s = smtplib.SMTP(host, port, timeout=10)
s.login("taro@example.ac.jp", "s3cret")
assert s.sendmail("taro@example.ac.jp", ["friend@example.net"], "Subject: for IMAP\r\n\r\nread me on the server\r\n") == {}
s.quit()
host, port = ep[("mail-net", "imap")]
deadline = time.time() + 10
while True:
    m = imaplib.IMAP4(host, port, timeout=10)
    m.login("friend@example.net", "fr1end")
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    typ, data = m.search(None, "SUBJECT", '"for IMAP"')
    if data[0] or time.time() > deadline:
        break
    m.logout()
    time.sleep(0.2)
nums = data[0].split()
assert len(nums) == 1, data
typ, data = m.fetch(nums[0], "(BODY.PEEK[] FLAGS)")
raw = data[0][1]
assert b"read me on the server" in raw and raw.count(b"Received:") == 2, raw
assert b"\\Seen" not in data[0][0], data  # PEEK leaves it unread
typ, _ = m.store(nums[0], "+FLAGS", "(\\Seen)")
assert typ == "OK"
typ, data = m.fetch(nums[0], "(FLAGS)")
assert b"\\Seen" in data[0], data
typ, data = m.list()
assert typ == "OK" and any(b"INBOX" in l for l in data), data
typ, data = m.append("INBOX", "(\\Draft)", None, b"Subject: draft\r\n\r\nsaved by imaplib\r\n")
assert typ == "OK", data
typ, data = m.search(None, "DRAFT")
draft = data[0].split()
assert len(draft) == 1, data
m.store(draft[0], "+FLAGS", "(\\Deleted)")
typ, data = m.expunge()
assert typ == "OK" and data[0] == draft[0], data
m.logout()
ok("imaplib LOGIN, LIST, SELECT, SEARCH, FETCH BODY.PEEK, STORE, APPEND, EXPUNGE; Received: chain of 2")

# 7. IDLE (RFC 2177), spoken by hand: a new message is announced while idling.
c = socket.create_connection((host, port), timeout=10)
f = c.makefile("rwb")
f.readline()
def cmd(tag, line):
    f.write(tag + b" " + line + b"\r\n")
    f.flush()
    while True:
        l = f.readline()
        if l.startswith(tag + b" "):
            return l
cmd(b"a1", b'LOGIN friend@example.net "fr1end"')
cmd(b"a2", b"SELECT INBOX")
f.write(b"a3 IDLE\r\n")
f.flush()
assert f.readline().startswith(b"+"), "no continuation for IDLE"
s = smtplib.SMTP(ep[("mail-net", "smtp")][0], ep[("mail-net", "smtp")][1], timeout=10)
s.sendmail("someone@example.org", ["friend@example.net"], "Subject: while idling\r\n\r\nhi\r\n")
s.quit()
line = f.readline()
assert line.startswith(b"* ") and b"EXISTS" in line, line
f.write(b"DONE\r\n")
f.flush()
while not f.readline().startswith(b"a3 OK"):
    pass
c.close()
ok("IMAP IDLE announces new mail")
print("all client checks passed")
