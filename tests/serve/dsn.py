"""Delivery status notifications (RFC 3461) asked for with Python's smtplib
against `maillab serve` (tests/fixtures/serve-smtpext.yaml): both flavours
offer DSN, take RET, ENVID, NOTIFY and ORCPT, and a delivery into a mailbox
with NOTIFY=SUCCESS sends the sender a success report.

Usage: dsn.py READY_JSON
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


def retr(host, user, password, subject):
    """The message whose Subject: is `subject`, as lines, polling until it arrives."""
    addr, port = ep[(host, "pop3")]
    deadline = time.time() + 10
    while True:
        p = poplib.POP3(addr, port, timeout=10)
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


def send(host, sender, rcpt, subject, envid):
    addr, port = ep[(host, "smtp")]
    s = smtplib.SMTP(addr, port, timeout=10)
    s.ehlo("pc.example.ac.jp")
    assert s.has_extn("dsn"), s.esmtp_features
    msg = f"Subject: {subject}\r\n\r\nPlease confirm delivery.\r\n".encode()
    refused = s.sendmail(
        sender,
        [rcpt],
        msg,
        mail_options=["RET=HDRS", f"ENVID={envid}"],
        rcpt_options=["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{rcpt}"],
    )
    assert refused == {}, refused
    # A malformed NOTIFY gets the flavour's own reply.
    s.mail(sender)
    code, text = s.rcpt(rcpt, ["NOTIFY=SOMETIMES"])
    s.rset()
    s.quit()
    return code, text


# 1. Postfix: the report is "Successful Mail Delivery Report" with the ENVID and the ORCPT.
code, text = send("mail", "taro@example.ac.jp", "taro@example.ac.jp", "receipt please", "py+2Dpostfix")
assert (code, text) == (501, b"5.5.4 Error: Bad NOTIFY parameter syntax"), (code, text)
ok("Postfix offers DSN; RET, ENVID, NOTIFY and ORCPT accepted; NOTIFY=SOMETIMES: 501 5.5.4")
lines = retr("mail", "taro@example.ac.jp", "s3cret", "Successful Mail Delivery Report")
for want in [
    b"Original-Envelope-Id: py-postfix",
    b"Final-Recipient: rfc822; taro@example.ac.jp",
    b"Original-Recipient: rfc822; taro@example.ac.jp",
    b"Action: delivered",
    b"Status: 2.0.0",
    b"Subject: receipt please",
]:
    assert want in lines, (want, lines)
assert b"Please confirm delivery." not in lines, "a success report returns only the headers"
ok("the success report reached the sender's mailbox, with ENVID and ORCPT quoted back")

# 2. sendmail: the same, as a "Return receipt"; its reply to a bad NOTIFY word.
code, text = send("old", "jiro@old.example.ac.jp", "jiro@old.example.ac.jp", "receipt from sendmail", "py-sendmail")
assert (code, text) == (501, b'5.5.4 Bad argument "SOMETIMES"  to NOTIFY'), (code, text)
lines = retr("old", "jiro@old.example.ac.jp", "j1ro", "Return receipt")
assert b"Original-Envelope-Id: py-sendmail" in lines and b"Action: delivered (to mailbox)" in lines, lines
ok("sendmail offers DSN and sends a Return receipt")
print("all dsn checks passed")
