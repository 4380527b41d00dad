"""The IMAP extensions with Python's imaplib against `maillab serve`:
CAPABILITY, ID, NAMESPACE, ENABLE, LIST with SPECIAL-USE attributes,
APPEND with APPENDUID, COPY with COPYUID, UID MOVE, UID EXPUNGE, UNSELECT.

Usage: imap_extensions.py READY_JSON
Each check prints one line; any failure raises and exits non-zero.
"""
import imaplib
import json
import re
import sys

ready = json.load(open(sys.argv[1]))
ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in ready["endpoints"]}
host, port = ep[("mail", "imap")]


def ok(msg):
    print("ok:", msg, flush=True)


m = imaplib.IMAP4(host, port, timeout=10)
for cap in ("NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "ID", "ENABLE", "SPECIAL-USE", "IDLE"):
    assert cap in m.capabilities, m.capabilities
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
typ, data = m.xatom("ID", '("name" "imaplib" "version" "%d.%d")' % sys.version_info[:2])
assert typ == "OK", data
assert m.response("ID")[1] == [b'("name" "maillab")'], m.untagged_responses
m.login("taro@example.ac.jp", "s3cret")
typ, data = m.namespace()
assert typ == "OK" and data == [b'(("" "/")) NIL NIL'], data
typ, data = m.enable("CONDSTORE")
assert typ == "OK", data
ok("CAPABILITY, ID, NAMESPACE, ENABLE")

typ, data = m.list()
assert typ == "OK", data
uses = {}
for line in data:
    attrs, name = re.match(rb'\((.*?)\) "/" "?([^"]*)"?', line).groups()
    uses[name.decode()] = [a.decode() for a in attrs.split() if a[1:].decode() in ("Sent", "Drafts", "Trash", "Junk")]
assert uses == {"INBOX": [], "Drafts": ["\\Drafts"], "Junk": ["\\Junk"], "Sent": ["\\Sent"], "Trash": ["\\Trash"]}, uses
ok("LIST shows the special-use mailboxes")

uids = []
for n in (1, 2, 3):
    typ, data = m.append("INBOX", None, None, b"Subject: note %d\r\n\r\nbody %d\r\n" % (n, n))
    assert typ == "OK", data
    validity, uid = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0]).groups()
    uids.append(int(uid))
assert uids == [1, 2, 3], uids
typ, data = m.append("Drafts", "(\\Draft)", None, b"Subject: draft\r\n\r\nnot yet\r\n")
assert re.search(rb"\[APPENDUID \d+ 1\]", data[0]), data
ok("APPEND answers APPENDUID")

typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"3"], data
typ, data = m.copy("1", "Trash")
assert typ == "OK" and re.search(rb"\[COPYUID \d+ 1 1\]", data[0]), data
typ, data = m.uid("MOVE", "2", "Sent")
assert typ == "OK", data
# The COPYUID of a MOVE comes in an untagged OK before the EXPUNGE (RFC 6851 §4.3).
assert any(re.match(rb"\[COPYUID \d+ 2 1\] ", d) for d in m.response("OK")[1]), m.untagged_responses
typ, data = m.response("EXPUNGE")
assert data == [b"2"], data
ok("COPY answers COPYUID; UID MOVE with COPYUID and EXPUNGE")

typ, data = m.store("1:2", "+FLAGS", "(\\Deleted)")
assert typ == "OK", data
typ, data = m.uid("EXPUNGE", "3")
assert typ == "OK", data
assert m.response("EXPUNGE")[1] == [b"2"], m.untagged_responses
typ, data = m.uid("SEARCH", None, "ALL")
assert data == [b"1"], data
ok("UID EXPUNGE removes only the UIDs named")

typ, data = m.unselect()
assert typ == "OK", data
typ, data = m.status("INBOX", "(MESSAGES)")
assert b"MESSAGES 1" in data[0], data
typ, data = m.status("Sent", "(MESSAGES)")
assert b"MESSAGES 1" in data[0], data
m.logout()
ok("UNSELECT keeps the \\Deleted message")
print("all imap extension checks passed")
