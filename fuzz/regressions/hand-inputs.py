#!/usr/bin/env python3
"""Write the hand-made nasty inputs (hand-*) of fuzz/regressions/TARGET/.

The files are committed; this script only documents how they were made and
remakes them (python3 fuzz/regressions/hand-inputs.py). Inputs the fuzzer
found are not made here: they are copied from fuzz/artifacts/ after
`cargo fuzz tmin` (see README.md).
"""
import base64, os, struct
R = os.path.dirname(os.path.abspath(__file__))
def w(target, name, data):
    d = os.path.join(R, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), "wb").write(data)

# smtp_server: first byte = cut point between the two reads
w("smtp_server", "hand-100k-command-line", b"EHLO x\r\nMAIL FROM:<" + b"a" * 100_000 + b"@example.com>\r\nQUIT\r\n")
w("smtp_server", "hand-100k-line-no-crlf", b"\x05" + b"B" * 100_000)
w("smtp_server", "hand-100k-data-line", b"EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nDATA\r\n" + b"x" * 100_000 + b"\r\n.\r\nQUIT\r\n")
w("smtp_server", "hand-oversize-message", b"\x00EHLO x\r\nMAIL FROM:<a@b> SIZE=99999999999999999999999\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nDATA\r\n" + b"0123456789abcdefghijklmnopqrstuvwxyz\r\n" * 300 + b".\r\nQUIT\r\n")
w("smtp_server", "hand-too-many-rcpts", b"HELO x\r\nMAIL FROM:<>\r\n" + b"".join(b"RCPT TO:<u%04d@example.com>\r\n" % i for i in range(1000)) + b"DATA\r\nhi\r\n.\r\n")
w("smtp_server", "hand-auth-garbage", b"\x10EHLO x\r\nAUTH PLAIN\r\n!!!!\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nAUTH PLAIN " + base64.b64encode(b"\xff\x00\xfe\x00\x00\x00") + b"\r\nAUTH LOGIN\r\n*\r\nAUTH LOGIN\r\nYm9i\r\n////\r\nAUTH CRAM-MD5\r\nYm9iIA==\r\nAUTH CRAM-MD5\r\n\r\nAUTH XOAUTH2 =\r\nAUTH\r\n")
w("smtp_server", "hand-bare-lf-cr-nul-pipelining", b"\xffEHLO \x00\rx\nMAIL FROM:<\x00@\xff>\nRCPT TO:<\"\\\x00\"@[1.2.3.999]>\r\r\n\rDATA\n.\nRSET\r\nVRFY\r\nEXPN \xc3\x28\r\nHELP HELP\r\nNOOP\r\nSTARTTLS\r\nBDAT 4294967295 LAST\r\nQUIT\r\nQUIT\r\n")
w("smtp_server", "hand-dot-stuffing-and-early-end", b"\x1aEHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nDATA\r\n..\r\n...\r\n.x\r\n\r\n.\r\n\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nDATA\r\n.\r")
w("smtp_server", "hand-empty", b"")
w("smtp_server", "hand-bdat-chunks-and-errors", b"\x2cEHLO x\r\nBDAT 5\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nBDAT 4\r\n.\r\nBDAT 0\r\nDATA\r\nRCPT TO:<ab@example.com>\r\nBDAT 5000\r\n" + b"\n" * 5000 + b"BDAT 3 LAST\r\nabcBDAT 0 LAST\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nBDAT 4096 LAST\r\n" + b"\n" * 4096 + b"MAIL FROM:<\xe5\xa4\xaa@example.com> SMTPUTF8\r\nRCPT TO:<\xe8\x8a\xb1@example.com>\r\nBDAT 1 LAST\r\n\xffBDAT 18446744073709551616\r\n")
w("smtp_server", "hand-bdat-no-end", b"\x20EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ab@example.com>\r\nBDAT 18446744073709551615\r\n" + b"\x00" * 3000)

# smtp_client: auth (CRAM-MD5) is on when the input length is even
def both(name, data):
    w("smtp_client", name + "-odd" if len(data) % 2 else name + "-even", data)
    data2 = data + b" " if not data.endswith(b"\n") else data[:-2] + b" \r\n"
    w("smtp_client", name + ("-odd" if len(data2) % 2 else "-even"), data2)
both("hand-cram-md5-bad-challenge", b"220 x\r\n250-h\r\n250 AUTH CRAM-MD5 PLAIN\r\n334 !!!not base64\r\n334 \r\n235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n")
both("hand-100k-reply-line", b"220 " + b"x" * 100_000 + b"\r\n")
both("hand-endless-multiline", b"220-x\r\n" * 3_000)
both("hand-bad-codes", b"999 what\r\n2200 x\r\n22 x\r\n220-a\r\n221 b\r\n-1 x\r\n\xff\xfe\x00\r\n220\r\n250\r\n")
both("hand-out-of-order", b"354 go\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n")
both("hand-happy-then-garbage", b"220 x\r\n250-h\r\n250 SIZE 1\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n220 again\r\n\x00\x01\x02")
both("hand-reject-everything", b"554 no\r\n")

# pop3: logged in already, two messages
w("pop3", "hand-top-negative-and-huge", b"TOP 1 -1\r\nTOP 1 18446744073709551616\r\nTOP 1 99999999999999999999999\r\nTOP -1 1\r\nTOP 0 0\r\nTOP 3 0\r\nTOP 1\r\nTOP\r\nTOP 1 1 1\r\nTOP 1 +1\r\nTOP 1 0x10\r\n")
w("pop3", "hand-bad-message-numbers", b"RETR 0\r\nRETR -1\r\nRETR 4294967296\r\nLIST 18446744073709551617\r\nDELE 2\r\nDELE 2\r\nRETR 2\r\nTOP 2 1\r\nUIDL 2\r\nLIST 2\r\nRSET\r\nDELE 1\r\nDELE 2\r\nSTAT\r\nLIST\r\nUIDL\r\nQUIT\r\nSTAT\r\n")
w("pop3", "hand-100k-line", b"NOOP " + b"n" * 100_000 + b"\r\nSTAT\r\n" + b"X" * 100_000)
w("pop3", "hand-auth-garbage-after-login", b"USER bob\r\nPASS x\r\nAPOP alice@example.com 0123\r\nAUTH\r\nAUTH PLAIN\r\n!!!!\r\nAUTH CRAM-MD5\r\n*\r\nCAPA\r\nUSER\r\nPASS\r\n")
w("pop3", "hand-nul-cr-nonutf8", b"\x00\r\n\r\r\n\n\xff\xfe\r\nST\x00AT\r\nRETR \xd9\xa1\r\nLIST \xef\xbc\x91\r\n" + b"\r" * 5000 + b"NOOP\n")
w("pop3", "hand-pipelined-quit-then-more", b"DELE 1\nQUIT\nRETR 1\nDELE 2\nQUIT\n")

# imap: logged in, INBOX selected, max_literal 4096
w("imap", "hand-literal-4294967295", b"c APPEND INBOX {4294967295}\r\nxyz\r\nd NOOP\r\n")
w("imap", "hand-literal-plus-huge", b"c APPEND INBOX (\\Seen) {4294967295+}\r\nabc\r\nd LOGIN {18446744073709551616+}\r\n\r\ne LOGIN {99999999999999999999999}\r\nf NOOP\r\n")
w("imap", "hand-literal-in-middle", b"c LOGIN {5}\r\nalice {2}\r\npw\r\nd SEARCH SUBJECT {0}\r\n\r\ne SEARCH SUBJECT {4097}\r\n" + b"s" * 4097 + b"\r\nf APPEND INBOX {10}\r\n0123456789\r\n")
w("imap", "hand-fetch-extremes", b"c FETCH 1:* (BODY[1.2.3.4.5.6.7.8.9.10] BODY.PEEK[2.MIME]<4294967295.4294967295> BODY[HEADER.FIELDS (SUBJECT FROM)] BODY[TEXT]<0.0> BINARY[2] BINARY.SIZE[1] BODYSTRUCTURE ENVELOPE RFC822.SIZE FLAGS INTERNALDATE UID)\r\nd FETCH 4294967295:0 ALL\r\ne UID FETCH *:4294967296 FULL\r\nf FETCH 2,1,2,1:2,*,2:* FAST\r\ng FETCH 1 BODY[0]\r\nh FETCH 1 BODY[1.0]\r\ni FETCH 1 BINARY[3]\r\n")
w("imap", "hand-search-deep-nesting", b"c SEARCH " + b"(" * 5000 + b"ALL" + b")" * 5000 + b"\r\nd SEARCH " + b"NOT " * 5000 + b"ALL\r\ne SEARCH " + b"OR " * 3000 + b"ALL" + b" ALL" * 3000 + b"\r\n")
w("imap", "hand-store-copy-expunge", b"c STORE 1:* +FLAGS (\\Deleted \\Seen $x)\r\nd COPY 1:* INBOX\r\ne EXPUNGE\r\nf FETCH 1:* FLAGS\r\ng STORE * -FLAGS.SILENT (\\Deleted)\r\nh UID STORE 1:4294967295 FLAGS ()\r\ni CLOSE\r\nj FETCH 1 ALL\r\nk SELECT INBOX\r\nl IDLE\r\nDONE\r\nm LOGOUT\r\nn NOOP\r\n")
w("imap", "hand-extensions", b"c ID (\"name\" NIL \"" + b"v" * 2000 + b"\" \"x\")\r\nd ID (" + b"\"a\" \"b\" " * 40 + b")\r\ne NAMESPACE\r\nf ENABLE CONDSTORE QRESYNC\r\ng UID MOVE 1:* Trash\r\nh SELECT Trash\r\ni MOVE 1:* Trash\r\nj COPY 1:* Sent\r\nk STORE 1:* +FLAGS (\\Deleted)\r\nl UID EXPUNGE 4294967295:1\r\nm UID EXPUNGE *\r\nn UNSELECT\r\no MOVE 1 INBOX\r\np LIST \"\" *\r\nq RENAME Sent Junk\r\nr DELETE Junk\r\ns LSUB \"\" *\r\nt APPEND Drafts {3+}\r\nabc\r\n")
w("imap", "hand-100k-line", b"c NOOP " + b"x" * 100_000 + b"\r\nd NOOP\r\n" + b"y" * 100_000)
w("imap", "hand-quoted-escapes-and-junk", b"c LIST \"\\\"\\\\\" \"*\"\r\nd SELECT \"\xff\xfe\"\r\ne CREATE \"&AGE-\"\r\nf SEARCH CHARSET \xc3\x28 TEXT x\r\ng SEARCH SINCE 31-Feb-2026 BEFORE 1-Xyz-99999\r\nh \r\n\r\n* NOOP\r\n\x00\x00\r\n")

# dns
hdr = lambda id_, flags, qd, an, ns, ar: struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)
w("dns", "hand-pointer-loop-self", hdr(1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x0f\x00\x01")
w("dns", "hand-pointer-loop-pair", hdr(2, 0x8180, 1, 1, 0, 0) + b"\xc0\x0e\xc0\x0c\x00\x0f\x00\x01" + b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x04\x00\x0a\xc0\x0e")
w("dns", "hand-pointer-forward-and-past-end", hdr(3, 0x8180, 1, 1, 0, 0) + b"\x01a\xc0\x40\x00\x01\x00\x01" + b"\xc0\xff\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x7f\x00\x00\x01")
w("dns", "hand-counts-lie", hdr(4, 0x8180, 65535, 65535, 65535, 65535) + b"\x00\x00\x01\x00\x01")
w("dns", "hand-name-too-long", hdr(5, 0x0100, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x0f\x00\x01")
w("dns", "hand-rdlength-lies", hdr(6, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\x00\x00\x0f\x00\x01" + b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\xff\xff\x00\x0a")
w("dns", "hand-weird-opcode-and-qdcount0", hdr(7, 0x7f00, 0, 0, 0, 0))
w("dns", "hand-zone-line-junk", b"@ MX 99999999999 mx.example.com. \"unterminated ( \\\\ \xff " + b"a" * 70 + b".example.com 999.1.1.1")
w("dns", "hand-zone-line-long-label", b"@ IN 4294967296 TXT \"" + b"t" * 100_000 + b"\"")
w("dns", "hand-zone-line-cname-root", b"* CNAME .")

# dns_tcp: first byte = cut point between the two reads, then length-prefixed messages
frame = lambda m: struct.pack(">H", len(m)) + m
mxq = hdr(1, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x0f\x00\x01"
w("dns_tcp", "hand-queries-then-cut", b"\x05" + frame(mxq) + frame(b"") + frame(b"\xff\x00\x01") + frame(mxq) + b"\x00\x28\x01\x02\x03")
w("dns_tcp", "hand-65535-announced-1000-sent", b"\xff\xff\xff" + mxq * 30)
w("dns_tcp", "hand-5000-empty-messages-half-length", b"\x01" + b"\x00\x00" * 5000 + b"\x00")

# YAML bombs and nesting, for both loaders
def laughs(levels=9, width=10):
    out = ["lol0: &l0 \"lol\""]
    for i in range(1, levels + 1):
        out.append("lol%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * width)))
    return "\n".join(out) + "\n"
for t in ("scenario", "lesson"):
    w(t, "hand-billion-laughs", laughs())
    w(t, "hand-deep-flow-seq", "[" * 10_000 + "]" * 10_000 + "\n")
    w(t, "hand-deep-flow-map", "{a: " * 10_000 + "1" + "}" * 10_000 + "\n")
    w(t, "hand-deep-block-seq", "".join("  " * i + "- a:\n" for i in range(200)) + "  " * 200 + "- x\n")
    w(t, "hand-merge-key-loop", "a: &a\n  <<: *a\n  x: 1\nb:\n  <<: [*a, *a]\n")
    w(t, "hand-alias-before-anchor", "a: *nope\nb: &x [*x]\n")
    w(t, "hand-junk-bytes", b"\xef\xbb\xbf\x00\xff\t- !!binary |\n  ////\n? [a, b]\n: {x: !custom 1}\n%YAML 9.9\n---\n...\n--- |+\n\t\x1b\n")
    w(t, "hand-many-documents", "---\na: 1\n" * 5000)
    w(t, "hand-many-documents-known-field", ("---\nversion: 1\n" if t == "scenario" else "---\nlesson: 1\n") * 5000)
    w(t, "hand-huge-numbers", "version: 99999999999999999999999999999\nseed: -1e999\nport: 0x1_0000_0000\nduration: 1e400s\n")

def amp(big, anchors, aliases):
    items = ['&b "' + "x" * big + '"'] + ["&c%d y" % i for i in range(anchors)] + ["*b"] * aliases
    return "[" + ", ".join(items) + "]"
# one 10 KB scalar aliased 39,000 times (4,000 anchors keep the alias/anchor ratio check quiet): 390 MB if expanded
w("scenario", "hand-scalar-alias-amplification", "version: 1\nname: amp\nhosts:\n  - name: mx\n    role: mx\n    domains: [example.com]\n    aliases:\n      list: %s\n" % amp(10_000, 4000, 39_000))
w("lesson", "hand-scalar-alias-amplification", "lesson: 1\nname: amp\nsections:\n  - text: {en: x}\n    checkpoints:\n      - id: a\n        question: {en: q}\n        short:\n          answer: x\n          accept: %s\n" % amp(10_000, 4000, 39_000))
w("scenario", "hand-merge-keys-in-hosts", "version: 1\nname: m\nhosts:\n  - &h {name: a, role: mx, address: 192.0.2.1, hostname: mx.example, domains: [example.com], aliases: {x: [a@example.com]}}\n  - {<<: [*h, *h, *h], name: b}\n  - {<<: *h}\n")
w("lesson", "hand-merge-keys-in-sections", "lesson: 1\nname: m\nscenario: relay-chain\nsections:\n  - &s {text: {en: x}, checkpoints: [&c {id: a, question: {en: q}, short: {answer: x}}, {<<: *c}]}\n  - {<<: [*s, *s]}\n")
# the hang found on 2026-11-29 (see README.md), in its minimal form: 4,097 bytes without a newline
w("smtp_client", "hang-overlong-reply-line", b"220 " + b"x" * 4093)

# listserv: messages separated by NUL; the first byte of each picks the address (byte % 3: post, ctl, admin),
# the envelope sender ((byte / 3) % 4: <>, a member, the moderator, the admin) and a digest run (bit 7)
w("listserv", "hand-subscribe-confirm", b"\x01From: x@example.org\r\n\r\nsubscribe X\r\nconfirm 12345678 X\r\n\x00\x04From: a@example.org\r\n\r\nmembers\r\nindex\r\nget 1-10\r\ndigest on\r\nchaddr a@example.org c@example.org\r\n")
w("listserv", "hand-many-command-lines", b"\x04From: a@example.org\r\n\r\n" + b"help\r\n" * 20000)
nest = b"From: mod@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
for i in range(200):
    nest += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
nest += b"--b200\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nAAAA\r\n"
w("listserv", "hand-deep-multipart", b"\x06" + nest)
w("listserv", "hand-dsn-many-recipients", b"\x02From: MAILER-DAEMON@x\r\n\r\n" + b"Final-Recipient: rfc822; a@example.org\r\nStatus: 5.1.1\r\n" * 5000)
w("listserv", "hand-admin-and-approve", b"\x0aFrom: admin@example.org\r\n\r\nadmin pass pw\r\nadmin add z@example.org Z\r\nadmin moderate z@example.org\r\napprove 00000000\r\nreject 99999999\r\nadmin bye a@example.org\r\n\x00\x86From: a@example.org\r\nSubject: =?UTF-8?B?5pel5pys6Kqe?= [ohanashi:00001] Re: re: x\r\n\r\nbody\r\n")
w("listserv", "hand-binary-garbage", bytes(range(256)) * 40)

# fetch_client: the first byte picks the job (bit 0 IMAP, bit 1 APOP, bit 2 delete, bit 3 timeouts before
# pieces starting with NUL, high nibble + 1 = piece size); the limits are 256-octet lines, 1 KB messages, 2 KB in all, 8 messages
G = b"+OK pop.example POP3 server ready <1.2@pop.example>\r\n"
w("fetch_client", "hand-pop3-100k-line", b"\x70" + b"+OK " + b"x" * 100_000)
w("fetch_client", "hand-pop3-stat-huge-and-endless-retr", b"\xf4" + G + b"+OK\r\n+OK in\r\n+OK 18446744073709551615 0\r\n+OK\r\n.\r\n" + b"+OK\r\n.\r\n+OK\r\n" * 50 + b"+OK\r\n" + b"0123456789\r\n" * 500)
w("fetch_client", "hand-pop3-apop-garbage", b"\x22+OK <\xff\xfe>\r\n-ERR\r\n\x00\r\n+OK\r\n+OK 2\r\n+OK\r\n..\r\n.\r\n+OK\r\n\r\n\r\n")
w("fetch_client", "hand-pop3-timeouts", b"\x08" + b"\x00+OK\r\n\x00-ERR\r\n\x00\x00\x00\x00" * 8)
I = b"* OK ready\r\na1 OK\r\n* 1 EXISTS\r\na2 OK\r\n* 1 FETCH (FLAGS ())\r\na3 OK\r\n"
w("fetch_client", "hand-imap-literal-4294967295", b"\x31" + I + b"* 1 FETCH (BODY[] {4294967295}\r\n" + b"x" * 5000 + b"\r\na4 OK\r\na5 OK\r\n")
w("fetch_client", "hand-imap-literal-chain", b"\x51" + I + b"* 1 FETCH (BODY[] {0}\r\n" + b"{0}\r\n" * 2000 + b"{999999999999999999999}\r\n{18446744073709551616}\r\n")
w("fetch_client", "hand-imap-many-bodies", b"\xf1" + I + b"* 1 FETCH (BODY[] {300}\r\n" + b"y" * 300 + b")\r\n" + (b"* 1 FETCH (BODY[] {1}\r\nz)\r\n" * 20) + b"a4 OK\r\n* BYE\r\n")
w("fetch_client", "hand-imap-tags-and-junk", b"\x19* OK\r\na1 NO\r\n\x00a9\r\n* OK\r\na1 OK\r\na2 OK\r\n\xff\xfe\r\n\r\n\x00a1 BAD\r\n")

# rfc2047: the first byte picks the charset (even UTF-8, odd ISO-2022-JP); the rest is header text
w("rfc2047", "hand-long-japanese-iso2022jp", b"\x01" + ("第3回 ネットワーク演習の資料について（4月8日のゼミで使います）" * 4).encode())
w("rfc2047", "hand-mixed-utf8", b"\x00" + "Re: [lab] 課題 No.3 について  (再送) =?x?B?y?= 😀".encode())
w("rfc2047", "hand-unwritable-iso2022jp", b"\x01" + "絵文字😀と한국어 ｶﾀｶﾅ".encode())
w("rfc2047", "hand-raw-encoded-words", b"\x00=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?= =?utf-8?q?a_b?= =?bad?B?***?= =? \"Name\" <a@b> <<")
w("rfc2047", "hand-binary-garbage", bytes(range(256)))
