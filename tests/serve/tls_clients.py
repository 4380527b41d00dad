"""Real TLS clients against `maillab serve labs/serve-tls.yaml`.

Argument: the ready file. Python's smtplib (STARTTLS on the submission
port, and implicit TLS on 465), imaplib.IMAP4_SSL and IMAP4.starttls() on
143, poplib.POP3_SSL and POP3.stls() on 110, each checking the server's
certificate against the lab CA that serve wrote and its names against the
address each connects to.
"""
import imaplib
import json
import poplib
import smtplib
import socket
import ssl
import sys
import time

ready = json.load(open(sys.argv[1]))


def ep(service):
    for e in ready["endpoints"]:
        if e["host"] == "mail" and e["service"] == service:
            return e["address"], e["port"]
    raise SystemExit(f"no {service} endpoint")


ctx = ssl.create_default_context(cafile=ready["ca_file"])
# The context as the book gives it: the chain must lead to the lab CA and the
# certificate must name what the client connected to. Each client below
# connects to the address serve printed (127.x.y.z), which the certificate
# names beside mail.example.ac.jp (a user trial: with the name only, every
# client failed with "IP address mismatch").
assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname

# The host name is in the certificate too (a client that reaches the
# address by that name): checked on a bare TLS socket to 465.
host, port = ep("submissions")
with socket.create_connection((host, port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="mail.example.ac.jp") as t:
        assert t.recv(1024).startswith(b"220 "), "no greeting over TLS"
        print("name checked ok", t.version())

host, port = ep("submission")
with smtplib.SMTP(host, port, timeout=10) as s:
    s.ehlo("pc.example")
    assert s.has_extn("starttls"), s.esmtp_features
    s.starttls(context=ctx)
    s.ehlo("pc.example")
    s.login("taro@example.ac.jp", "s3cret")
    s.sendmail("taro@example.ac.jp", ["taro@example.ac.jp"], "Subject: over STARTTLS\r\n\r\nhello\r\n")
    print("smtplib starttls ok", s.sock.version())

host, port = ep("submissions")
with smtplib.SMTP_SSL(host, port, timeout=10, context=ctx) as s:
    s.login("taro@example.ac.jp", "s3cret")
    s.sendmail("taro@example.ac.jp", ["taro@example.ac.jp"], "Subject: over 465\r\n\r\nhello\r\n")
    print("smtplib SMTP_SSL ok", s.sock.version())

host, port = ep("imaps")
for _ in range(50):
    m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    m.login("taro@example.ac.jp", "s3cret")
    typ, data = m.select("INBOX")
    n = int(data[0])
    m.logout()
    if n >= 2:
        break
    time.sleep(0.1)
assert n >= 2, n
print("imaplib IMAP4_SSL ok", n)

host, port = ep("pop3s")
p = poplib.POP3_SSL(host, port, context=ctx, timeout=10)
p.user("taro@example.ac.jp")
p.pass_("s3cret")
count, _ = p.stat()
p.quit()
assert count >= 2, count
print("poplib POP3_SSL ok", count)

# STARTTLS on 143 (RFC 3501 §6.2.1): offered before TLS, gone after it.
host, port = ep("imap")
m = imaplib.IMAP4(host, port, timeout=10)
assert "STARTTLS" in m.capabilities, m.capabilities
m.starttls(ssl_context=ctx)
assert "STARTTLS" not in m.capabilities, m.capabilities
m.login("taro@example.ac.jp", "s3cret")
typ, data = m.select("INBOX")
m.logout()
print("imaplib starttls ok", int(data[0]))

# STLS on 110 (RFC 2595 §4).
host, port = ep("pop3")
p = poplib.POP3(host, port, timeout=10)
assert "STLS" in p.capa(), p.capa()
p.stls(context=ctx)
assert "STLS" not in p.capa(), p.capa()
p.user("taro@example.ac.jp")
p.pass_("s3cret")
count, _ = p.stat()
p.quit()
print("poplib stls ok", count)
print("all TLS client checks passed")
