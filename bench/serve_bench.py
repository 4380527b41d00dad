#!/usr/bin/env python3
"""Serve-mode benchmarks (issue 9), driven by bench/serve.sh.

Starts `maillab serve` and the real servers it is compared with, measures,
prints tables, and stops everything it started. Run through bench/serve.sh,
which builds maillab, finds the tools and makes the venv with aiosmtpd;
this file only measures.

SMTP: Postfix's smtp-source sends to `maillab serve`, to Postfix's own
smtp-sink and to Python's aiosmtpd (with its Sink handler), one after the
other in each round. POP3/IMAP: the same 100-message mailbox is read from
`maillab serve` and from a throwaway Dovecot instance with poplib/imaplib.

For every figure the script also reads how much CPU the server process
tree used (utime+stime from /proc, children included), which suffers less
than wall time when other work shares the machine.
"""

import argparse
import imaplib
import json
import os
import poplib
import grp
import pwd
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Knobs (environment): see bench/serve.sh --help.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SMALL_MSGS = int(os.environ.get("BENCH_SMALL_MSGS", "5000"))
BIG_MSGS = int(os.environ.get("BENCH_BIG_MSGS", "1000"))
LOGINS = int(os.environ.get("BENCH_LOGINS", "300"))
FETCH_ROUNDS = int(os.environ.get("BENCH_FETCH_ROUNDS", "20"))
MAILBOX_MSGS = int(os.environ.get("BENCH_MAILBOX_MSGS", "100"))
MANY_MSGS = int(os.environ.get("BENCH_MANY_MSGS", "1000"))
HEADER_ROUNDS = int(os.environ.get("BENCH_HEADER_ROUNDS", "40"))
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "27400"))
# maillab serve --threads (empty: serve's default, one fewer than the cores)
SERVE_THREADS = os.environ.get("BENCH_SERVE_THREADS", "")

# Who listens where. maillab's address comes from the scenario (192.0.2.25 -> 127.0.2.25);
# several maillab instances (one per way of handling the trace) differ in their ports.
MAILLAB_IP = "127.0.2.25"
SINK = ("127.0.9.80", PORT_BASE + 20)
AIOSMTPD = ("127.0.9.81", PORT_BASE + 21)
DOVECOT_POP3 = ("127.0.9.82", PORT_BASE + 31)
DOVECOT_IMAP = ("127.0.9.82", PORT_BASE + 32)

SENDER = "bench@client.bench.example"
SINK_RCPT = "sink@bench.example"  # a user of bench/serve-bench.yaml
SINK_PW = "sink-pw"
READER = "reader@bench.example"
READER_PW = "bench-pw"
MANY = "many@bench.example"  # the 1,000-message mailbox of the IMAP header fetch
MANY_PW = "many-pw"

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Pause before reading a server's CPU time, so that work it finishes just after
# the client is done (maillab delivers from its queue) is counted.
SETTLE = 0.2


class BenchError(Exception):
    pass


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Proc:
    """A child process. Its pid is kept in a file under Proc.piddir until it is
    stopped, so that serve.sh can stop it if this script dies first."""

    piddir = None

    def __init__(self, name, cmd, stdout=subprocess.DEVNULL, env=None):
        self.name = name
        self.cmd = cmd
        # Its standard error goes to a file, shown if it dies.
        self.errpath = Path(Proc.piddir).parent / f"{name}.stderr"
        with open(self.errpath, "wb") as err:
            try:
                self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, env=env)
            except OSError as e:
                raise BenchError(f"cannot start {name} ({cmd[0]}): {e}") from e
        self.pidfile = Path(Proc.piddir) / f"{name}.pid"
        self.pidfile.write_text(str(self.p.pid))

    @property
    def pid(self):
        return self.p.pid

    def check_alive(self):
        if self.p.poll() is not None:
            tail = self.errpath.read_text(errors="replace")[-2000:] if self.errpath.exists() else ""
            raise BenchError(f"{self.name} exited with status {self.p.returncode}: {' '.join(self.cmd)}\n{tail}")

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.pidfile.unlink(missing_ok=True)


def proc_times(pid):
    """utime+stime+cutime+cstime of one process, in seconds (None if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None, None
    # The command name may contain spaces; the fields after ')' are fixed.
    rest = raw[raw.rindex(")") + 2:].split()
    ppid = int(rest[1])
    ticks = sum(int(x) for x in rest[11:15])  # utime stime cutime cstime
    return ppid, ticks / CLK_TCK


def tree_cpu(root):
    """CPU seconds of a process and all its descendants, the reaped ones included
    (their time is in their parent's cutime/cstime)."""
    parents = {}
    times = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            ppid, t = proc_times(int(d))
            if t is not None:
                parents[int(d)] = ppid
                times[int(d)] = t
    total = 0.0
    todo = [root]
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen or p not in times:
            continue
        seen.add(p)
        total += times[p]
        todo.extend(c for c, pp in parents.items() if pp == p)
    return total


def peak_rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_port(addr, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.check_alive()
        try:
            with socket.create_connection(addr, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"{proc.name} is not listening on {addr[0]}:{addr[1]} after {timeout:.0f} s")


# ---------------------------------------------------------------- servers

class Maillab:
    """One `maillab serve` of the benchmark scenario, its ports from PORT_BASE + offset.
    trace: "null" (stdout to /dev/null), "text" or "json" (the live trace to a file)."""

    def __init__(self, args, name, offset, trace="null"):
        self.name = name
        base = PORT_BASE + offset
        self.smtp, self.pop3, self.imap = (MAILLAB_IP, base), (MAILLAB_IP, base + 1), (MAILLAB_IP, base + 2)
        ready = Path(args.tmp) / f"{name}-ready.json"
        ready.unlink(missing_ok=True)
        self.trace_file = Path(os.devnull) if trace == "null" else Path(args.tmp) / f"{name}-trace.{trace}"
        fmt = "json" if trace == "json" else "text"
        cmd = [args.maillab, "serve", args.scenario, "--format", fmt, "--ready-file", str(ready)]
        for i, svc in enumerate(["smtp", "pop3", "imap", "dns", "http"]):
            cmd += ["--port", f"{svc}={base + i}"]
        if SERVE_THREADS:
            cmd += ["--threads", SERVE_THREADS]
        with open(self.trace_file, "wb") as out:
            self.proc = Proc(name, cmd, stdout=out, env=dict(os.environ, NO_COLOR="1"))
        deadline = time.monotonic() + 20
        while not ready.exists():
            self.proc.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"{name}: maillab serve wrote no ready file within 20 s")
            time.sleep(0.05)
        eps = json.loads(ready.read_text())["endpoints"]
        for svc, (addr, port) in [("smtp", self.smtp), ("pop3", self.pop3), ("imap", self.imap)]:
            if not any(e["service"] == svc and e["address"] == addr and e["port"] == port for e in eps):
                raise BenchError(f"maillab serve's ready file lists no {svc} on {addr}:{port}; is {args.scenario} changed?")
        wait_port(self.smtp, self.proc)

    @property
    def pid(self):
        return self.proc.pid

    def check_alive(self):
        self.proc.check_alive()

    def stop(self):
        self.proc.stop(signal.SIGINT)  # what Ctrl-C does

    def trace_bytes(self):
        return 0 if self.trace_file == Path(os.devnull) else self.trace_file.stat().st_size

    def count(self, user, pw):
        """Messages in a mailbox, by POP3 STAT."""
        p = poplib.POP3(*self.pop3, timeout=60)
        try:
            p.user(user)
            p.pass_(pw)
            return p.stat()[0]
        finally:
            p.quit()


def start_sink(args):
    cmd = [args.smtp_sink]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]  # smtp-sink refuses to keep root privileges
    cmd += [f"{SINK[0]}:{SINK[1]}", "256"]
    p = Proc("smtp-sink", cmd)
    wait_port(SINK, p)
    return p


def start_aiosmtpd(args):
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"{AIOSMTPD[0]}:{AIOSMTPD[1]}"]
    p = Proc("aiosmtpd", cmd)
    wait_port(AIOSMTPD, p)
    return p


def dovecot_conf(base):
    """A throwaway Dovecot: its own base_dir, state_dir, log, passwd-file and
    Maildir under BASE, plain-text logins, loopback ports above 1024."""
    me = pwd.getpwuid(os.geteuid()).pw_name
    root = os.geteuid() == 0
    if root:
        # Dovecot will not run login processes as root; use the unprivileged
        # users that the Debian package creates (or nobody).
        login_user = "dovenull" if _user_exists("dovenull") else "nobody"
        internal_user = "dovecot" if _user_exists("dovecot") else "nobody"
        chroot = extra = ""
    else:
        login_user = internal_user = me
        extra = f"default_internal_group = {grp.getgrgid(os.getegid()).gr_name}\n"
        # Without root, login processes cannot chroot.
        chroot = "\nservice anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\nservice pop3-login {\n  chroot =\n}\n"
    return f"""# Written by bench/serve_bench.py; removed when the benchmark ends.
base_dir = {base}/run
state_dir = {base}/state
instance_name = maillab-bench-{os.getpid()}
log_path = {base}/dovecot.log
protocols = pop3 imap
listen = {DOVECOT_POP3[0]}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = {DOVECOT_IMAP[0]}
    port = {DOVECOT_IMAP[1]}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {DOVECOT_POP3[0]}
    port = {DOVECOT_POP3[1]}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{extra}{chroot}"""


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def start_dovecot(args, users):
    """users: {address: (password, [message, ...])}. Write each user's messages into a
    fresh Maildir of its own and start Dovecot in the foreground (-F)."""
    base = Path(args.tmp) / "dovecot"
    shutil.rmtree(base, ignore_errors=True)
    # Dovecot's unprivileged processes must reach the passwd-file and the Maildir.
    os.chmod(args.tmp, 0o711)
    for d in ("run", "state"):
        (base / d).mkdir(parents=True)
    if os.geteuid() == 0:
        # passwd-file refuses UID 0 for a mail user: the mailbox belongs to nobody.
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    else:
        uid, gid = os.geteuid(), os.getegid()
    passwd = []
    for user, (pw, messages) in users.items():
        home = base / "home" / user.split("@")[0]
        for sub in ("new", "cur", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True)
        # Maildir files hold LF line ends, as a local delivery agent writes them;
        # Dovecot sends CRLF on the wire, so the sizes clients see match maillab's.
        t0 = int(time.time()) - len(messages)
        for i, m in enumerate(messages, 1):
            (home / "Maildir" / "new" / f"{t0 + i}.M{i:06d}P{os.getpid()}.maillab-bench").write_bytes(
                m.replace(b"\r\n", b"\n"))
        passwd.append(f"{user}:{{PLAIN}}{pw}:{uid}:{gid}::{home}::\n")
    if os.geteuid() == 0:
        for dirpath, _dirs, files in os.walk(base / "home"):
            os.chown(dirpath, uid, gid)
            for f in files:
                os.chown(os.path.join(dirpath, f), uid, gid)
    (base / "passwd").write_text("".join(passwd))
    conf = base / "dovecot.conf"
    conf.write_text(dovecot_conf(base))
    p = Proc("dovecot", [args.dovecot, "-F", "-c", str(conf)])
    wait_port(DOVECOT_POP3, p)
    wait_port(DOVECOT_IMAP, p)
    return p


# ---------------------------------------------------------------- SMTP

def smtp_source(args, addr, sessions, msgs, size, keep=False):
    """keep: -d, one connection per session for all its messages (else a new one per message)."""
    cmd = [args.smtp_source] + (["-d"] if keep else []) + ["-s", str(sessions), "-m", str(msgs), "-l", str(size),
           "-M", "client.bench.example", "-f", SENDER, "-t", SINK_RCPT, f"{addr[0]}:{addr[1]}"]
    t = time.monotonic()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    secs = time.monotonic() - t
    if r.returncode != 0:
        raise BenchError(f"smtp-source against {addr[0]}:{addr[1]} failed ({r.returncode}): {r.stderr.strip()}")
    return secs


# maillab variants in the SMTP table: name, port offset, what happens to the live trace.
MAILLAB_VARIANTS = [("maillab", 0, "null"), ("maillab+text", 5, "text"), ("maillab+json", 10, "json")]


def bench_smtp(args):
    # (size, sessions, messages, -d: one connection per session)
    configs = [(1024, 1, SMALL_MSGS, False), (1024, 20, SMALL_MSGS, False), (1024, 20, SMALL_MSGS, True),
               (102400, 1, BIG_MSGS, False), (102400, 20, BIG_MSGS, False)]
    # e.g. BENCH_SMTP_ONLY=1024x20,1024x20-d: only these configurations (the issue's rows)
    only = os.environ.get("BENCH_SMTP_ONLY")
    if only:
        configs = [c for c in configs if f"{c[0]}x{c[1]}{'-d' if c[3] else ''}" in only.split(",")]
    results = []
    for size, sessions, msgs, keep in configs:
        mode = "one connection per session (-d)" if keep else "a new connection per message"
        say(f"SMTP {size // 1024} KiB, {sessions} session(s), {mode}, {msgs} messages x {ROUNDS} rounds ...")
        servers = {}
        try:
            for name, offset, trace in MAILLAB_VARIANTS:
                servers[name] = Maillab(args, name, offset, trace)
            servers["smtp-sink"] = start_sink(args)
            servers["aiosmtpd"] = start_aiosmtpd(args)
            targets = [(name, servers[name].smtp) for name, _, _ in MAILLAB_VARIANTS]
            targets += [("smtp-sink", SINK), ("aiosmtpd", AIOSMTPD)]
            per = {name: {"rate": [], "cpu": []} for name, _ in targets}
            for rnd in range(ROUNDS):
                # Every server in turn, so that a burst of other work on the machine
                # hits them alike.
                for name, addr in targets:
                    pid = servers[name].pid
                    c0 = tree_cpu(pid)
                    secs = smtp_source(args, addr, sessions, msgs, size, keep)
                    time.sleep(SETTLE)
                    c1 = tree_cpu(pid)
                    per[name]["rate"].append(msgs / secs)
                    per[name]["cpu"].append((c1 - c0) / msgs * 1e6)
                    servers[name].check_alive()
            # Every message reached the mailbox (maillab queues, then delivers).
            for name, _, _ in MAILLAB_VARIANTS:
                got = servers[name].count(SINK_RCPT, SINK_PW)
                if got != msgs * ROUNDS:
                    raise BenchError(f"{name}: the mailbox holds {got} messages, {msgs * ROUNDS} were sent")
            ml = servers["maillab"]
            rss = peak_rss_kb(ml.pid)
            # What one login costs on the mailbox the run has filled.
            t = time.monotonic()
            ml.count(SINK_RCPT, SINK_PW)
            pop3_big = time.monotonic() - t
            t = time.monotonic()
            m = imaplib.IMAP4(*ml.imap, timeout=60)
            m.login(SINK_RCPT, SINK_PW)
            m.select("INBOX")
            m.logout()
            imap_big = time.monotonic() - t
            big_mailbox = {"messages": msgs * ROUNDS, "pop3_login_stat_s": pop3_big, "imap_login_select_s": imap_big}
            trace_bytes = {name: servers[name].trace_bytes() / (msgs * ROUNDS) for name, _, t in MAILLAB_VARIANTS
                           if t != "null"}
        finally:
            for srv in servers.values():
                srv.stop()
                if isinstance(srv, Maillab) and srv.trace_file != Path(os.devnull):
                    srv.trace_file.unlink(missing_ok=True)  # the JSON trace holds every message
        med = {k: {m: statistics.median(v[m]) for m in v} for k, v in per.items()}
        results.append({"size": size, "sessions": sessions, "msgs": msgs, "keep": keep, "median": med, "all": per,
                        "maillab_peak_rss_kb": rss, "trace_bytes_per_msg": trace_bytes,
                        "big_mailbox": big_mailbox})
    return results


# ---------------------------------------------------------------- POP3 / IMAP

def make_message(i, to=READER):
    """About 4 KiB: a header section and 52 body lines of 72 characters."""
    head = (f"From: Bench Sender <{SENDER}>\r\n"
            f"To: Reader <{to}>\r\n"
            f"Subject: benchmark message {i:03d}\r\n"
            f"Date: Sun, 29 Nov 2026 03:00:{i % 60:02d} +0000\r\n"
            f"Message-ID: <bench-{i:03d}@client.bench.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    words = "the quick brown fox jumps over the lazy dog while the mail queue drains "
    body = "".join(f"{i:03d}.{n:02d} {(words * 2)[n % 20:n % 20 + 64]}\r\n" for n in range(52))
    return (head + body).encode()


def load_mailbox(ml, user=READER, pw=READER_PW, count=MAILBOX_MSGS):
    """Fill maillab's mailbox of USER over SMTP, then read back what it stores."""
    s = smtplib.SMTP(*ml.smtp, local_hostname="client.bench.example", timeout=60)
    try:
        for i in range(1, count + 1):
            refused = s.sendmail(SENDER, [user], make_message(i, user))
            if refused:
                raise BenchError(f"maillab refused a recipient: {refused}")
    finally:
        s.quit()
    deadline = time.monotonic() + 60
    while ml.count(user, pw) < count:
        if time.monotonic() > deadline:
            raise BenchError(f"maillab did not deliver the {count} messages of {user} within 60 s")
        time.sleep(0.1)
    p = poplib.POP3(*ml.pop3, timeout=60)
    try:
        p.user(user)
        p.pass_(pw)
        msgs = [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, count + 1)]
    finally:
        p.quit()
    return msgs


def pop3_login(addr):
    p = poplib.POP3(*addr, timeout=60)
    p.user(READER)
    p.pass_(READER_PW)
    n = p.stat()
    p.quit()
    return n


def imap_login(addr):
    m = imaplib.IMAP4(*addr, timeout=60)
    m.login(READER, READER_PW)
    typ, _ = m.select("INBOX")
    if typ != "OK":
        raise BenchError(f"SELECT INBOX failed on {addr}")
    m.logout()


def pop3_fetch(addr):
    p = poplib.POP3(*addr, timeout=60)
    p.user(READER)
    p.pass_(READER_PW)
    n, _ = p.stat()
    octets = 0
    for i in range(1, n + 1):
        octets += p.retr(i)[2]
    p.quit()
    return n, octets


def imap_fetch(addr):
    m = imaplib.IMAP4(*addr, timeout=60)
    m.login(READER, READER_PW)
    typ, data = m.select("INBOX")
    n = int(data[0])
    typ, data = m.fetch(f"1:{n}", "(BODY.PEEK[])")
    if typ != "OK":
        raise BenchError(f"FETCH failed on {addr}")
    got = [x for x in data if isinstance(x, tuple)]
    m.logout()
    return len(got), sum(len(x[1]) for x in got)


def imap_headers(addr):
    """The issue's IMAP cycle: LOGIN, SELECT, FETCH 1:* (BODY.PEEK[HEADER]), LOGOUT."""
    m = imaplib.IMAP4(*addr, timeout=60)
    m.login(MANY, MANY_PW)
    typ, data = m.select("INBOX")
    n = int(data[0])
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER])")
    if typ != "OK":
        raise BenchError(f"FETCH failed on {addr}")
    got = [x for x in data if isinstance(x, tuple)]
    m.logout()
    return len(got), sum(len(x[1]) for x in got)


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * 95 // 100) - 1))]


def interleaved(calls, reps):
    """calls: {name: (fn, pid)}. Each repetition calls every server's fn in turn
    (so that a burst of other work on the shared machine hits them alike).
    Per server: every call's wall seconds, and server CPU seconds per call."""
    walls = {name: [] for name in calls}
    cpu = {name: 0.0 for name in calls}
    for _ in range(reps):
        for name, (fn, pid) in calls.items():
            c0 = tree_cpu(pid)
            t = time.monotonic()
            fn()
            walls[name].append(time.monotonic() - t)
            time.sleep(SETTLE / 10)
            cpu[name] += tree_cpu(pid) - c0
    return walls, {name: c / reps for name, c in cpu.items()}


def timed(fn, pid, reps):
    """Median wall seconds of one call, and the server's CPU seconds per call
    averaged over all calls (one call may take less than a clock tick)."""
    walls = []
    c0 = tree_cpu(pid)
    for _ in range(reps):
        t = time.monotonic()
        fn()
        walls.append(time.monotonic() - t)
    time.sleep(SETTLE)
    return statistics.median(walls), (tree_cpu(pid) - c0) / reps


def bench_readers(args):
    say(f"POP3/IMAP: {MAILBOX_MSGS} messages of ~4 KiB in one mailbox, {MANY_MSGS} in another ...")
    servers = {}
    try:
        ml = servers["maillab"] = Maillab(args, "maillab", 0)
        msgs = load_mailbox(ml)
        many = load_mailbox(ml, MANY, MANY_PW, MANY_MSGS)
        servers["dovecot"] = start_dovecot(args, {READER: (READER_PW, msgs), MANY: (MANY_PW, many)})
        targets = {"maillab": (ml.pop3, ml.imap), "dovecot": (DOVECOT_POP3, DOVECOT_IMAP)}
        # Same mailbox: same count and octets through POP3 STAT on both.
        stats = {name: pop3_login(t[0]) for name, t in targets.items()}
        if stats["maillab"] != stats["dovecot"]:
            raise BenchError(f"the two mailboxes differ: POP3 STAT {stats}")
        # Warm up (Dovecot builds its index on first access).
        for name, (pop, imap) in targets.items():
            pop3_fetch(pop)
            imap_fetch(imap)
            n, _ = imap_headers(imap)
            if n != MANY_MSGS:
                raise BenchError(f"{name}: the header fetch returned {n} messages, expected {MANY_MSGS}")

        def logins(fn, addr):
            def run():
                for _ in range(LOGINS):
                    fn(addr)
            return run

        def fetch(name, fn, addr, want):
            def run():
                n, octets = fn(addr)
                if n != want:
                    raise BenchError(f"{name}: fetched {n} messages, expected {want}")
            return run

        def calls(make):
            return {name: (make(name, t), servers[name].pid) for name, t in targets.items()}

        rows = {name: {} for name in targets}

        def record(walls, cpu, key, per=1):
            for name in targets:
                rows[name][key + "_walls"] = walls[name]
                rows[name][key + "_s"] = statistics.median(walls[name])
                rows[name][key + "_p95_s"] = p95(walls[name])
                rows[name][key + "_cpu_ms"] = cpu[name] / per * 1e3

        # Every figure: the two servers in turn, repetition by repetition.
        w, c = interleaved(calls(lambda n, t: logins(pop3_login, t[0])), ROUNDS)
        record(w, c, "pop3_logins", LOGINS)
        w, c = interleaved(calls(lambda n, t: logins(imap_login, t[1])), ROUNDS)
        record(w, c, "imap_logins", LOGINS)
        w, c = interleaved(calls(lambda n, t: fetch(n, pop3_fetch, t[0], MAILBOX_MSGS)), FETCH_ROUNDS)
        record(w, c, "pop3_fetch")
        w, c = interleaved(calls(lambda n, t: fetch(n, imap_fetch, t[1], MAILBOX_MSGS)), FETCH_ROUNDS)
        record(w, c, "imap_fetch")
        w, c = interleaved(calls(lambda n, t: fetch(n, imap_headers, t[1], MANY_MSGS)), HEADER_ROUNDS)
        record(w, c, "imap_headers")
        for name in targets:
            r = rows[name]
            r["pop3_logins_per_s"] = LOGINS / r["pop3_logins_s"]
            r["pop3_login_cpu_ms"] = r["pop3_logins_cpu_ms"]
            r["imap_logins_per_s"] = LOGINS / r["imap_logins_s"]
            r["imap_login_cpu_ms"] = r["imap_logins_cpu_ms"]
            servers[name].check_alive()
        rows["octets"] = stats["maillab"][1]
        return rows
    finally:
        for s in servers.values():
            s.stop()


# ---------------------------------------------------------------- report

def _ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "n/a"


def _rounds(r, metric, ref="smtp-sink"):
    """maillab / `ref` in each round (the servers ran in turn within a round)."""
    return [a / b for a, b in zip(r["all"]["maillab"][metric], r["all"][ref][metric]) if b > 0]


def _label(r):
    return f"{r['size'] // 1024:>4}KiB {r['sessions']:>4} {'-d' if r.get('keep') else 'new':>4} {r['msgs']:>6}"


def report_smtp(res):
    cols = ["maillab", "maillab+text", "maillab+json", "smtp-sink", "aiosmtpd"]
    print("== SMTP: Postfix smtp-source -> server (HELO, no pipelining); conn 'new': a new connection per")
    print("   message, '-d': one connection per session for all its messages")
    print(f"   median of {ROUNDS} rounds, the servers in turn within each round.")
    print("   maillab: serve's stdout (the live trace) to /dev/null; +text / +json: the same with the")
    print("   trace written to a file as text / as JSON lines (--format json).")
    hdr = (f"{'size':>7} {'sess':>4} {'conn':>4} {'msgs':>6} | {'maillab':>8} {'+text':>7} {'+json':>7} {'smtp-sink':>9}"
           f" {'aiosmtpd':>8} | {'ml/sink':>7} {'ml/aio':>7}")

    def table(metric, fmt):
        print(hdr)
        print("-" * len(hdr))
        for r in res:
            v = [r["median"][k][metric] for k in cols]
            print(f"{_label(r)} | {v[0]:>8{fmt}} {v[1]:>7{fmt}}"
                  f" {v[2]:>7{fmt}} {v[3]:>9{fmt}} {v[4]:>8{fmt}} | {_ratio(v[0], v[3]):>7} {_ratio(v[0], v[4]):>7}")
        # How far one round is from the next: a ratio of medians means little
        # when the rounds' own ratios spread wider than its distance from 1.
        print("   ml/sink in each round:")
        for r in res:
            print(f"{_label(r)} | " + " ".join(f"{x:.2f}" for x in _rounds(r, metric)))
        print()

    print()
    print("   messages per second; ratio = maillab / other (above 1: maillab is faster)")
    table("rate", ".0f")
    print("   server CPU per message, microseconds (user+system of the server's process tree);")
    print("   ratio = maillab / other (above 1: maillab uses more CPU)")
    table("cpu", ".0f")
    print("   maillab at each size: peak memory (every message is kept); trace written per message;")
    print("   one login on the mailbox smtp-source filled (POP3 USER/PASS/STAT/QUIT, IMAP LOGIN/SELECT/LOGOUT)")
    for r in res:
        b, tb = r["big_mailbox"], r["trace_bytes_per_msg"]
        print(f"   {_label(r)}: peak RSS {r['maillab_peak_rss_kb'] / 1024:4.0f} MiB;"
              f" trace {tb['maillab+text']:.0f} B (text), {tb['maillab+json']:.0f} B (json);"
              f" {b['messages']} messages: POP3 login {b['pop3_login_stat_s'] * 1e3:.1f} ms,"
              f" IMAP login {b['imap_login_select_s'] * 1e3:.1f} ms")
    print()


def report_readers(rows):
    ml, dc = rows["maillab"], rows["dovecot"]
    print(f"== POP3/IMAP: one mailbox of {MAILBOX_MSGS} messages, {rows['octets']} octets, and one of {MANY_MSGS};"
          " maillab serve and Dovecot in turn, Python poplib/imaplib, one client at a time")
    print(f"   logins: {LOGINS} sessions (connect, login, STAT or SELECT INBOX, QUIT/LOGOUT), median of {ROUNDS} rounds;")
    print(f"   fetch: one session reading every message (POP3 RETR 1..N; IMAP FETCH 1:* BODY.PEEK[]), median of {FETCH_ROUNDS};")
    print(f"   headers: LOGIN, SELECT, FETCH 1:* (BODY.PEEK[HEADER]) of {MANY_MSGS} messages, LOGOUT, {HEADER_ROUNDS} cycles")
    print()
    hdr = f"{'':38} {'maillab':>9} {'Dovecot':>9} {'maillab/Dovecot':>16}"
    print(hdr)
    print("-" * len(hdr))
    lines = [
        ("POP3 logins/s (higher is better)", "pop3_logins_per_s", "{:.0f}"),
        ("IMAP logins/s (higher is better)", "imap_logins_per_s", "{:.0f}"),
        ("POP3 fetch all, s (lower better)", "pop3_fetch_s", "{:.4f}"),
        ("IMAP fetch all, s (lower better)", "imap_fetch_s", "{:.4f}"),
        ("IMAP headers of 1000, s median", "imap_headers_s", "{:.4f}"),
        ("IMAP headers of 1000, s p95", "imap_headers_p95_s", "{:.4f}"),
        ("server CPU ms per POP3 login", "pop3_login_cpu_ms", "{:.2f}"),
        ("server CPU ms per IMAP login", "imap_login_cpu_ms", "{:.2f}"),
        ("server CPU ms per POP3 fetch all", "pop3_fetch_cpu_ms", "{:.1f}"),
        ("server CPU ms per IMAP fetch all", "imap_fetch_cpu_ms", "{:.1f}"),
        ("server CPU ms per IMAP header cycle", "imap_headers_cpu_ms", "{:.1f}"),
    ]
    for label, key, fmt in lines:
        a, b = ml[key], dc[key]
        ratio = _ratio(a, b)
        print(f"{label:38} {fmt.format(a):>9} {fmt.format(b):>9} {ratio:>16}")
    print()
    print(f"   (CPU is counted in clock ticks of 1/{CLK_TCK} s and averaged over every session of a figure;")
    print("   with few sessions a small cost can read 0)")
    print()


def report_issue(out):
    """The table of issue 18: each row as maillab / reference from this one run."""
    rows = []
    smtp = {(r["size"], r["sessions"], bool(r.get("keep"))): r for r in out.get("smtp", [])}
    for key, what, goal in [((1024, 20, False), "smtp-source 1 KiB, 20 sessions, new connection per message",
                             ">= 1.0x sink, >= 8x aiosmtpd"),
                            ((1024, 20, True), "smtp-source 1 KiB, 20 sessions, one connection each (-d)",
                             ">= 1.0x sink, >= 8x aiosmtpd")]:
        r = smtp.get(key)
        if r:
            m = r["median"]

            def spread(metric):
                x = _rounds(r, metric)
                return f" (rounds {min(x):.2f}-{max(x):.2f})" if x else ""

            rows.append((what + ", msg/s", f"{m['maillab']['rate']:.0f}",
                         f"sink {m['smtp-sink']['rate']:.0f}; aiosmtpd {m['aiosmtpd']['rate']:.0f}",
                         f"{m['maillab']['rate'] / m['smtp-sink']['rate']:.2f}x sink{spread('rate')},"
                         f" {m['maillab']['rate'] / m['aiosmtpd']['rate']:.1f}x aio", goal))
            # Where the load generator, not the server, sets the rate (a new
            # connection a message on two cores: smtp-source's own CPU), the
            # CPU a message is what says how many a core could take: aiosmtpd's
            # CPU over maillab's is the rate ratio on equal cores.
            rows.append((what.split(",")[0] + (" -d" if key[2] else " new conn") + ": server CPU per 1,000 msgs",
                         f"{m['maillab']['cpu']:.0f} ms",
                         f"sink {m['smtp-sink']['cpu']:.0f} ms; aiosmtpd {m['aiosmtpd']['cpu']:.0f} ms",
                         f"{m['maillab']['cpu'] / max(m['smtp-sink']['cpu'], 1e-9):.2f}x sink{spread('cpu')},"
                         f" aio/ml {m['aiosmtpd']['cpu'] / max(m['maillab']['cpu'], 1e-9):.1f}x",
                         "<= 1.0x sink (aio/ml: a core's capacity, >= 8x)"))
    rd = out.get("readers")
    if rd:
        ml, dc = rd["maillab"], rd["dovecot"]
        rows.append((f"imaplib LOGIN, SELECT, FETCH 1:* (BODY.PEEK[HEADER]) of {MANY_MSGS}, LOGOUT: cycles/s",
                     f"{1 / ml['imap_headers_s']:.1f}", f"Dovecot {1 / dc['imap_headers_s']:.1f}",
                     f"{dc['imap_headers_s'] / ml['imap_headers_s']:.2f}x", ">= 1.5x"))
        rows.append(("  the same: p95 of one cycle", f"{ml['imap_headers_p95_s'] * 1e3:.0f} ms",
                      f"Dovecot {dc['imap_headers_p95_s'] * 1e3:.0f} ms",
                      f"{ml['imap_headers_p95_s'] / dc['imap_headers_p95_s']:.2f}x", "<= 1.0x"))
        rows.append(("imaplib LOGIN+SELECT+LOGOUT: cycles/s", f"{ml['imap_logins_per_s']:.0f}",
                     f"Dovecot {dc['imap_logins_per_s']:.0f}",
                     f"{ml['imap_logins_per_s'] / dc['imap_logins_per_s']:.1f}x", "keep (16.6x)"))
        rows.append((f"poplib USER/PASS, STAT, RETR 1..{MAILBOX_MSGS}, QUIT: cycles/s", f"{1 / ml['pop3_fetch_s']:.1f}",
                     f"Dovecot {1 / dc['pop3_fetch_s']:.1f}", f"{dc['pop3_fetch_s'] / ml['pop3_fetch_s']:.1f}x",
                     "keep (2.3x)"))
    if not rows:
        return
    print("== issue 18's table from this run (ratio: maillab / reference; for CPU and p95, lower is better)")
    w = max(len(r[0]) for r in rows)
    for what, a, b, ratio, goal in rows:
        print(f"   {what:<{w}} | {a:>8} | {b:<36} | {ratio:<50} | goal {goal}")
    print()


INTERRUPTED = False


def _interrupted(signum, frame):
    global INTERRUPTED
    INTERRUPTED = True
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maillab", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--tmp", required=True, help="a scratch folder, removed by the caller")
    ap.add_argument("--smtp-source", required=True)
    ap.add_argument("--smtp-sink", required=True)
    ap.add_argument("--dovecot", required=True)
    ap.add_argument("--only", choices=["smtp", "readers"], help="run one part only")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    Proc.piddir = str(Path(args.tmp) / "pids")
    os.makedirs(Proc.piddir, exist_ok=True)
    # Ctrl-C or a TERM from serve.sh: unwind through the finally blocks, which stop the servers.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    out = {}
    try:
        if args.only in (None, "smtp"):
            out["smtp"] = bench_smtp(args)
        if args.only in (None, "readers"):
            out["readers"] = bench_readers(args)
    except (BenchError, OSError, poplib.error_proto, imaplib.IMAP4.error, smtplib.SMTPException) as e:
        if INTERRUPTED:  # Ctrl-C reached a server before it reached us
            say("serve_bench: interrupted")
            return 130
        say(f"serve_bench: {type(e).__name__}: {e}")
        log = Path(args.tmp) / "dovecot" / "dovecot.log"
        if log.exists():
            say("last lines of Dovecot's log:\n" + "".join(log.read_text(errors="replace").splitlines(True)[-10:]))
        return 1
    except KeyboardInterrupt:
        say("serve_bench: interrupted")
        return 130
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    if "smtp" in out:
        report_smtp(out["smtp"])
    if "readers" in out:
        report_readers(out["readers"])
    report_issue(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
