#!/usr/bin/env python3
"""Soak test of `maillab serve` under mixed and abusive load (issue #19 item 5).

Not part of `cargo test`: it runs for minutes. Usage:

    cargo build --release            # or use the debug build with --maillab
    python3 bench/soak.py --minutes 10 [--maillab target/release/maillab]

It starts `maillab serve labs/serve-lab.yaml` (ports chosen by
the system), then runs side by side, from their own loopback addresses:

  well-behaved clients (127.9.0.x)
    - SMTP senders: local mail to taro@example.ac.jp, and mail relayed with
      AUTH PLAIN to friend@example.net (through DNS to the other store);
    - POP3 readers: two that read and delete up to 50 messages a session
      (taro's and friend's mailboxes, so the stores stay level), one that
      reads and keeps;
    - IMAP readers (LOGIN, SELECT, FETCH 1:* FLAGS, LOGOUT);
    - DNS clients (MX over UDP and over TCP);
  abusive clients (127.66.0.x)
    - idle holders: 60 SMTP, 60 POP3 and 60 IMAP connections that say
      nothing (over the per-client cap of 50), reopened when closed;
    - slowloris: SMTP sessions in DATA that send one octet every 5 s;
    - password guessers over SMTP AUTH, POP3 and IMAP;
    - half-open DNS over TCP: a length prefix and 3 of 40 octets, then silence.

Every 5 s it samples the server's RSS and open file descriptors (/proc).
At the end it waits for the queues to drain, counts both mailboxes over
POP3, adds the messages the readers deleted, compares that with the
messages the senders had accepted (250 after the final dot), stops serve with SIGINT and reads its shutdown summary
("N recipient(s) left in queues"). Exit status 0 when nothing was lost.
"""

import argparse
import base64
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "labs/serve-lab.yaml"
SERVICES = ["smtp", "pop3", "imap", "dns", "http", "submission", "submissions", "imaps", "pop3s"]

# Pause of each sender between messages: a steady load, not a flood (the
# messages read and deleted keep the stores' size level).
PACE = float(os.environ.get("SOAK_PACE", "0.05"))

stop = threading.Event()
lock = threading.Lock()
stats = {}


def count(key, n=1):
    with lock:
        stats[key] = stats.get(key, 0) + n


class Line:
    """A line client with a source address of its own."""

    def __init__(self, ep, src, timeout=30):
        self.s = socket.create_connection(ep, timeout=timeout, source_address=(src, 0))
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().decode("latin-1")

    def reply(self):
        out = ""
        while True:
            l = self.line()
            out += l
            if len(l) < 4 or l[3] != "-":
                return out

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.reply()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def b64(s):
    return base64.b64encode(s.encode()).decode()


def sender(ep, src, relay):
    i = 0
    while not stop.is_set():
        i += 1
        try:
            c = Line(ep, src)
            if not c.reply().startswith("220"):
                count("smtp.refused")
                c.close()
                time.sleep(0.5)
                continue
            c.cmd("EHLO soak.example")
            to = "taro@example.ac.jp"
            if relay:
                to = "friend@example.net"
                if not c.cmd("AUTH PLAIN " + b64("\0taro@example.ac.jp\0s3cret")).startswith("235"):
                    count("smtp.auth_failed_unexpectedly")
            c.cmd("MAIL FROM:<taro@example.ac.jp>")
            if not c.cmd(f"RCPT TO:<{to}>").startswith("250"):
                count("smtp.rcpt_refused")
                c.close()
                continue
            c.cmd("DATA")
            body = f"Subject: soak {src} {i}\r\nFrom: taro@example.ac.jp\r\nTo: {to}\r\n\r\n" + ("x" * 70 + "\r\n") * 20
            c.s.sendall(body.encode() + b".\r\n")
            if c.reply().startswith("250"):
                count("accepted." + to)
            c.cmd("QUIT")
            c.close()
            time.sleep(PACE)
        except OSError:
            count("smtp.error")
            time.sleep(0.2)


def pop_reader(ep, src, user, pw, delete):
    """Read (and with `delete`, take away) up to 50 messages per session."""
    while not stop.is_set():
        try:
            c = Line(ep, src)
            c.line()
            c.cmd(f"USER {user}")
            if c.cmd(f"PASS {pw}").startswith("+OK"):
                n = int(c.cmd("STAT").split()[1])
                taken = 0
                for i in range(1, min(n, 50 if delete else 1) + 1):
                    c.send(f"RETR {i}")
                    while c.line() not in (".\r\n", ""):
                        pass
                    if delete and c.cmd(f"DELE {i}").startswith("+OK"):
                        taken += 1
                if c.cmd("QUIT").startswith("+OK"):
                    count("deleted." + user, taken)
                count("pop3.cycles")
            else:
                count("pop3.login_refused")
            c.close()
        except (OSError, ValueError, IndexError):
            count("pop3.error")
        time.sleep(0.2)


def imap_reader(ep, src):
    while not stop.is_set():
        try:
            c = Line(ep, src)
            c.line()
            c.send('a LOGIN "taro@example.ac.jp" "s3cret"')
            while not c.line().startswith("a "):
                pass
            c.send("b SELECT INBOX")
            while not c.line().startswith("b "):
                pass
            c.send("c FETCH 1:* (FLAGS)")
            while not c.line().startswith("c "):
                pass
            c.send("d LOGOUT")
            c.close()
            count("imap.cycles")
        except OSError:
            count("imap.error")
        time.sleep(0.2)


def dns_query(name):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    for part in name.split("."):
        q += bytes([len(part)]) + part.encode()
    return q + b"\0" + struct.pack(">HH", 15, 1)


def dns_client(ep, src):
    while not stop.is_set():
        try:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((src, 0))
            u.settimeout(5)
            u.sendto(dns_query("example.ac.jp"), ep)
            u.recvfrom(4096)
            u.close()
            t = socket.create_connection(ep, timeout=10, source_address=(src, 0))
            q = dns_query("example.net")
            t.sendall(struct.pack(">H", len(q)) + q)
            n = struct.unpack(">H", t.recv(2))[0]
            got = b""
            while len(got) < n:
                got += t.recv(n - len(got))
            t.close()
            count("dns.cycles")
        except OSError:
            count("dns.error")
        time.sleep(0.2)


def idle_holder(ep, src, n):
    held = []
    while not stop.is_set():
        # Drop what the server closed, open more up to n.
        alive = []
        for s in held:
            try:
                s.setblocking(False)
                if s.recv(4096) == b"":
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                continue
            alive.append(s)
        held = alive
        while len(held) < n and not stop.is_set():
            try:
                held.append(socket.create_connection(ep, timeout=10, source_address=(src, 0)))
                count("abuse.idle_opened")
            except OSError:
                count("abuse.idle_error")
                break
        stop.wait(5)
    for s in held:
        s.close()


def slowloris(ep, src):
    while not stop.is_set():
        try:
            c = Line(ep, src, timeout=600)
            c.reply()
            c.cmd("EHLO slow.example")
            c.cmd("MAIL FROM:<slow@example.org>")
            c.cmd("RCPT TO:<taro@example.ac.jp>")
            c.cmd("DATA")
            while not stop.is_set():
                c.s.sendall(b"x")
                count("abuse.slowloris_octets")
                stop.wait(5)
            c.close()
        except OSError:
            count("abuse.slowloris_closed")
            time.sleep(1)


def guesser(eps, src):
    smtp, pop3, imap = eps
    i = 0
    while not stop.is_set():
        i += 1
        try:
            kind = i % 3
            if kind == 0:
                c = Line(smtp, src, timeout=60)
                c.reply()
                c.cmd("EHLO guess.example")
                r = c.cmd("AUTH PLAIN " + b64(f"\0taro@example.ac.jp\0guess{i}"))
                count("abuse.guess_smtp_" + r[:3])
            elif kind == 1:
                c = Line(pop3, src, timeout=60)
                c.line()
                c.cmd("USER taro@example.ac.jp")
                r = c.cmd(f"PASS guess{i}")
                count("abuse.guess_pop3_" + r[:4].strip())
            else:
                c = Line(imap, src, timeout=60)
                c.line()
                c.send(f'a LOGIN "taro@example.ac.jp" "guess{i}"')
                r = c.line()
                count("abuse.guess_imap")
            c.close()
        except OSError:
            count("abuse.guess_error")


def half_open_dns(ep, src):
    while not stop.is_set():
        socks = []
        for _ in range(20):
            try:
                s = socket.create_connection(ep, timeout=30, source_address=(src, 0))
                s.sendall(bytes([0, 40, 1, 2, 3]))
                socks.append(s)
            except OSError:
                count("abuse.dns_half_error")
        for s in socks:
            try:
                if s.recv(16) == b"":
                    count("abuse.dns_half_closed_by_server")
            except OSError:
                count("abuse.dns_half_error")
            s.close()


def sample(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                rss = int(l.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def stat(ep, user, pw):
    c = Line(ep, "127.9.0.99")
    c.line()
    c.cmd(f"USER {user}")
    c.cmd(f"PASS {pw}")
    n = int(c.cmd("STAT").split()[1])
    c.cmd("QUIT")
    c.close()
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "10")))
    ap.add_argument("--maillab", default=str(ROOT / "target/release/maillab"))
    ap.add_argument("--senders", type=int, default=4)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="maillab-soak-"))
    ready = tmp / "ready.json"
    cmd = [args.maillab, "serve", str(SCENARIO), "--ready-file", str(ready)]
    for s in SERVICES:
        cmd += ["--port", f"{s}=0"]
    err = open(tmp / "stderr.txt", "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "NO_COLOR": "1"})
    t0 = time.time()
    while True:
        try:
            eps = json.loads(ready.read_text())["endpoints"]
            break
        except (OSError, ValueError):
            if proc.poll() is not None or time.time() - t0 > 60:
                sys.exit("serve did not start")
            time.sleep(0.1)
    ep = {(e["host"], e["service"]): (e["address"], e["port"]) for e in eps}
    smtp, pop3, imap, dns = ep["mail", "smtp"], ep["mail", "pop3"], ep["mail", "imap"], ep["ns", "dns"]
    threads = []

    def go(f, *a):
        t = threading.Thread(target=f, args=a, daemon=True)
        t.start()
        threads.append(t)

    for i in range(args.senders):
        go(sender, smtp, f"127.9.0.{10 + i}", i % 2 == 1)
    go(pop_reader, pop3, "127.9.0.20", "taro@example.ac.jp", "s3cret", True)
    go(pop_reader, ep["mail-net", "pop3"], "127.9.0.21", "friend@example.net", "fr1end", True)
    go(pop_reader, pop3, "127.9.0.22", "taro@example.ac.jp", "s3cret", False)
    for i in range(2):
        go(imap_reader, imap, f"127.9.0.{30 + i}")
    go(dns_client, dns, "127.9.0.40")
    for svc in (smtp, pop3, imap):
        go(idle_holder, svc, "127.66.0.1", 60)
    for i in range(5):
        go(slowloris, smtp, "127.66.0.3")
    go(guesser, (smtp, pop3, imap), "127.66.0.2")
    go(half_open_dns, dns, "127.66.0.4")

    samples = []
    end = t0 + args.minutes * 60
    while time.time() < end:
        rss, fds = sample(proc.pid)
        samples.append((round(time.time() - t0), rss, fds))
        print(f"t={samples[-1][0]:>5}s rss={rss / 1024:7.1f} MiB fds={fds:4}", flush=True)
        time.sleep(5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    # Let the queues drain, then count what arrived: read and deleted, or still there.
    want_taro = stats.get("accepted.taro@example.ac.jp", 0)
    want_friend = stats.get("accepted.friend@example.net", 0)
    gone_taro = stats.get("deleted.taro@example.ac.jp", 0)
    gone_friend = stats.get("deleted.friend@example.net", 0)
    deadline = time.time() + 120
    while True:
        got_taro = gone_taro + stat(pop3, "taro@example.ac.jp", "s3cret")
        got_friend = gone_friend + stat(ep["mail-net", "pop3"], "friend@example.net", "fr1end")
        if (got_taro, got_friend) == (want_taro, want_friend) or time.time() > deadline:
            break
        time.sleep(1)
    rss_end, fds_end = sample(proc.pid)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    err.close()
    summary = (tmp / "stderr.txt").read_text().strip().splitlines()
    warm = [s for s in samples if s[0] >= 60] or samples
    print()
    print(f"duration: {args.minutes} min, samples every 5 s ({len(samples)})")
    print(f"RSS after warm-up (>= 60 s): min {min(s[1] for s in warm) / 1024:.1f} MiB, "
          f"max {max(s[1] for s in warm) / 1024:.1f} MiB, at the end {rss_end / 1024:.1f} MiB")
    print(f"fds after warm-up: min {min(s[2] for s in warm)}, max {max(s[2] for s in warm)}, at the end {fds_end}")
    print("client counters:")
    for k in sorted(stats):
        print(f"  {k}: {stats[k]}")
    print(f"accepted for taro: {want_taro}, delivered (read and deleted + left in the mailbox): {got_taro}")
    print(f"accepted for friend (relayed): {want_friend}, delivered: {got_friend}")
    print("serve's shutdown summary: " + (summary[-1] if summary else "(none)"))
    ok = (got_taro, got_friend) == (want_taro, want_friend) and summary and "(0 recipient(s) left" in summary[-1]
    print("RESULT: " + ("nothing lost" if ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
