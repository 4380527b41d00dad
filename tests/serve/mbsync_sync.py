"""isync's mbsync syncing an account of `maillab serve` with a local Maildir
in both directions: it uses UIDPLUS (APPENDUID) to learn the UIDs of what it
uploads, and the SPECIAL-USE folders are synced like any other.

Usage: mbsync_sync.py READY_JSON WORKDIR
Each check prints one line; any failure raises and exits non-zero.
"""
import imaplib
import json
import os
import subprocess
import sys

ready = json.load(open(sys.argv[1]))
work = sys.argv[2]
ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in ready["endpoints"]}
host, port = ep[("mail", "imap")]
USER, PASS = "taro@example.ac.jp", "s3cret"


def ok(msg):
    print("ok:", msg, flush=True)


maildir = os.path.join(work, "mail")
os.makedirs(maildir, exist_ok=True)
conf = os.path.join(work, "mbsyncrc")
with open(conf, "w") as f:
    f.write(f"""IMAPAccount lab
Host {host}
Port {port}
User {USER}
Pass {PASS}
SSLType None
AuthMechs LOGIN

IMAPStore lab-far
Account lab

MaildirStore lab-near
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel lab
Far :lab-far:
Near :lab-near:
Patterns *
Create Both
Expunge Both
SyncState *
""")


def mbsync():
    r = subprocess.run(["mbsync", "-c", conf, "-a"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout + r.stderr


def files(folder):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(maildir, folder, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return out


m = imaplib.IMAP4(host, port, timeout=10)
m.login(USER, PASS)
for n in (1, 2):
    typ, data = m.append("INBOX", None, None, b"Subject: on the server %d\r\n\r\nbody %d\r\n" % (n, n))
    assert typ == "OK", data
m.logout()

mbsync()
assert len(files("INBOX")) == 2, files("INBOX")
for folder in ("Sent", "Drafts", "Trash", "Junk"):
    assert os.path.isdir(os.path.join(maildir, folder, "cur")), os.listdir(maildir)
ok("mbsync downloads INBOX and creates the special-use folders locally")

# Locally: a message written into Sent, and the first INBOX message deleted.
sent_new = os.path.join(maildir, "Sent", "new")
with open(os.path.join(sent_new, "1700000000.1_1.lab:2,S"), "wb") as f:
    f.write(b"Subject: written offline\r\n\r\nuploaded by mbsync\r\n")
first = files("INBOX")[0]
os.rename(first, first.split(":2,")[0] + ":2,ST" if ":2," in first else first + ":2,T")
mbsync()

m = imaplib.IMAP4(host, port, timeout=10)
m.login(USER, PASS)
typ, data = m.status("Sent", "(MESSAGES)")
assert b"MESSAGES 1" in data[0], data
typ, data = m.status("INBOX", "(MESSAGES)")
assert b"MESSAGES 1" in data[0], data
m.select("Sent")
typ, data = m.fetch("1", "(FLAGS BODY.PEEK[])")
assert b"uploaded by mbsync" in data[0][1] and b"\\Seen" in data[0][0], data
m.logout()
ok("mbsync uploads to Sent and expunges what was deleted locally")

# A third run has nothing to do and changes nothing.
mbsync()
assert len(files("INBOX")) == 1 and len(files("Sent")) == 1, (files("INBOX"), files("Sent"))
ok("a second sync is stable")
print("all mbsync checks passed")
