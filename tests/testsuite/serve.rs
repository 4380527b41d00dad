//! `maillab serve` on real loopback sockets. Every server takes its ports
//! from the system (`--port smtp=0` …) and the tests read them from the
//! ready file, so runs never collide with each other or with other programs.
//!
//! The tests that need only Rust speak SMTP, POP3 and HTTP with the small
//! line client below; the others drive clients we did not write (Python's
//! smtplib, poplib and imaplib, dig, curl, swaks, Postfix's smtp-sink,
//! isync's mbsync, mutt, fetchmail, getmail6, offlineimap3, msmtp) and are
//! gated by [`crate::support::tools`].

use crate::support::{bounded, tools};
use base64::Engine as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVICES: [&str; 9] = ["smtp", "pop3", "imap", "dns", "http", "submission", "submissions", "imaps", "pop3s"];

/// A child process, killed when dropped.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `maillab serve` (stopped when dropped) and its ready file.
struct Server {
    child: Kill,
    ready: serde_json::Value,
    ready_file: PathBuf,
}

impl Server {
    /// How serve ended after `signal` was sent: it must end within 15 s.
    fn stops_within_15s(&mut self, signal: &str) -> std::process::ExitStatus {
        let t = Instant::now();
        loop {
            if let Some(status) = self.child.0.try_wait().expect("wait") {
                return status;
            }
            assert!(t.elapsed() < Duration::from_secs(15), "serve did not stop on {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The real address and port of a host's service, from the ready file.
    fn endpoint(&self, host: &str, service: &str) -> (String, u16) {
        let e = self.ready["endpoints"]
            .as_array()
            .and_then(|eps| eps.iter().find(|e| e["host"] == host && e["service"] == service))
            .unwrap_or_else(|| panic!("no {service} endpoint for {host} in {}", self.ready));
        let address = e["address"].as_str().expect("address").to_string();
        let port = e["port"].as_u64().and_then(|p| u16::try_from(p).ok()).expect("port");
        (address, port)
    }
    fn port(&self, host: &str, service: &str) -> u16 {
        self.endpoint(host, service).1
    }
}

fn temp(tag: &str, ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("maillab-{tag}-{}.{ext}", std::process::id()))
}

/// Start `maillab serve FILE` with every port chosen by the system; wait
/// until its ready file holds the endpoint table.
fn spawn_serve(file: &Path, tag: &str, stdout: Stdio, format: &str) -> Server {
    spawn_serve_with(file, tag, stdout, format, |_| {})
}

/// [`spawn_serve`], with more for the command (arguments, limits, where stderr goes).
fn spawn_serve_with(file: &Path, tag: &str, stdout: Stdio, format: &str, more: impl FnOnce(&mut Command)) -> Server {
    let ready_file = temp(tag, "ready.json");
    let _ = std::fs::remove_file(&ready_file);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_maillab"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--format", format, "--ready-file"])
        .arg(&ready_file)
        .arg(file);
    for svc in SERVICES {
        cmd.args(["--port", &format!("{svc}=0")]);
    }
    // Two session threads whatever the machine's cores (the default would be
    // one on two cores), so every test here also runs sessions off the
    // thread that accepted them; a test may give another `--threads` (the
    // last one counts).
    cmd.args(["--threads", "2"]);
    cmd.env("NO_COLOR", "1").stdout(stdout).stderr(Stdio::null());
    more(&mut cmd);
    let child = cmd.spawn().expect("maillab starts");
    let mut server = Server { child: Kill(child), ready: serde_json::Value::Null, ready_file };
    let t = Instant::now();
    loop {
        // The file may be seen half written: wait until it parses.
        if let Some(v) = std::fs::read_to_string(&server.ready_file)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        {
            server.ready = v;
            return server;
        }
        if let Ok(Some(status)) = server.child.0.try_wait() {
            panic!("serve {} exited before it was ready: {status}", file.display());
        }
        assert!(t.elapsed() < Duration::from_secs(30), "serve {} did not become ready", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve(scenario: &str, tag: &str) -> Server {
    spawn_serve(Path::new(scenario), tag, Stdio::null(), "text")
}

/// Start serve on a scenario text (written to a temp file), capturing the JSON trace.
fn serve_json(yaml: &str, tag: &str) -> (Server, PathBuf) {
    let file = temp(tag, "yaml");
    let log = temp(tag, "log");
    std::fs::write(&file, yaml).expect("write scenario");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    (spawn_serve(&file, tag, out, "json"), log)
}

/// Wait until the JSON trace has an event of `kind` whose line contains `text`.
fn wait_for(log: &Path, kind: &str, text: &str) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(15) {
        let s = std::fs::read_to_string(log).unwrap_or_default();
        if s.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["kind"] == kind && v["line"].as_str().is_some_and(|l| l.contains(text)))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A line-at-a-time client for SMTP, POP3 and HTTP: enough to probe serve
/// on a machine with nothing but Rust.
struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect((address, port): &(String, u16)) -> Client {
        let s =
            TcpStream::connect((address.as_str(), *port)).unwrap_or_else(|e| panic!("connect {address}:{port}: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        Client { r: BufReader::new(s.try_clone().expect("clone")), w: s }
    }
    fn set_timeout(&mut self, secs: u64) {
        self.w.set_read_timeout(Some(Duration::from_secs(secs))).expect("timeout");
    }
    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).expect("a line from the server");
        l
    }
    /// One SMTP reply, all its lines.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let l = self.line();
            all.push_str(&l);
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
    fn send(&mut self, line: &str) {
        self.w.write_all(format!("{line}\r\n").as_bytes()).expect("write");
    }
    /// Send an SMTP command; its reply must start with `code`.
    fn smtp(&mut self, line: &str, code: &str) -> String {
        self.send(line);
        let r = self.reply();
        assert!(r.starts_with(code), "{line} -> {r}");
        r
    }
    /// Send a POP3 command; the reply must be +OK.
    fn pop(&mut self, line: &str) -> String {
        self.send(line);
        let r = self.line();
        assert!(r.starts_with("+OK"), "{line} -> {r}");
        r
    }
    /// The rest of a POP3 multi-line answer, up to the lone dot.
    fn pop_lines(&mut self) -> String {
        let mut all = String::new();
        loop {
            let l = self.line();
            if l == ".\r\n" || l.is_empty() {
                return all;
            }
            all.push_str(&l);
        }
    }
}

/// Submit a message by SMTP with AUTH PLAIN.
fn submit(ep: &(String, u16), user: &str, password: &str, from: &str, to: &str, text: &str) {
    let mut c = Client::connect(ep);
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO pc.example", "250");
    let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
    c.smtp(&format!("AUTH PLAIN {token}"), "235");
    c.smtp(&format!("MAIL FROM:<{from}>"), "250");
    c.smtp(&format!("RCPT TO:<{to}>"), "250");
    c.smtp("DATA", "354");
    c.w.write_all(text.as_bytes()).expect("write");
    c.smtp("\r\n.", "250");
    c.smtp("QUIT", "221");
}

/// Log in by POP3; the number of messages (STAT).
fn pop_login(ep: &(String, u16), user: &str, password: &str) -> (Client, usize) {
    let mut c = Client::connect(ep);
    assert!(c.line().starts_with("+OK"));
    c.pop(&format!("USER {user}"));
    c.pop(&format!("PASS {password}"));
    let stat = c.pop("STAT");
    let n = stat.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    (c, n)
}

/// Poll by POP3 until the mailbox holds `want` messages; return the last one.
fn wait_for_mail(ep: &(String, u16), user: &str, password: &str, want: usize) -> String {
    let t = Instant::now();
    loop {
        let (mut c, n) = pop_login(ep, user, password);
        if n >= want {
            c.pop(&format!("RETR {n}"));
            let text = c.pop_lines();
            c.pop("QUIT");
            return text;
        }
        c.pop("QUIT");
        assert!(t.elapsed() < Duration::from_secs(15), "{user}: {n} message(s), waiting for {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ready_file_lists_endpoints_and_client_settings() {
    let server = serve("labs/serve-lab.yaml", "ready");
    let v = &server.ready;
    let (address, smtp) = server.endpoint("mail", "smtp");
    assert_eq!(address, "127.0.2.25");
    assert_ne!(smtp, 0, "the port the system chose is reported, not 0");
    assert_eq!(server.endpoint("mail-net", "pop3").0, "127.51.100.30");
    assert_ne!(server.port("ns", "dns"), 0);
    let clients = v["clients"].as_array().expect("clients");
    let taro = clients
        .iter()
        .find(|c| c["user"] == "taro@example.ac.jp" && c["incoming_protocol"] == "IMAP")
        .expect("taro's settings");
    assert_eq!(taro["outgoing_port"], smtp);
    assert_eq!(taro["incoming_port"], server.port("mail", "imap"));
    // The reported ports are the ones listening.
    let mut c = Client::connect(&server.endpoint("mail", "smtp"));
    let greeting = c.reply();
    assert!(greeting.starts_with("220 mail.example.ac.jp"), "{greeting}");
    c.smtp("QUIT", "221");
    let mut p = Client::connect(&server.endpoint("mail-net", "pop3"));
    assert!(p.line().starts_with("+OK"));
    // Autoconfig, as Thunderbird asks for it, names the chosen ports too.
    let mut h = Client::connect(&server.endpoint("mail", "http"));
    h.send(
        "GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=taro%40example.ac.jp HTTP/1.0\r\nHost: x\r\n",
    );
    let mut xml = String::new();
    let _ = h.r.read_to_string(&mut xml);
    assert!(xml.contains("<clientConfig version=\"1.1\">"), "{xml}");
    assert!(xml.contains(&format!("<port>{}</port>", server.port("mail", "imap"))), "{xml}");
    assert!(xml.contains(&format!("<port>{smtp}</port>")), "{xml}");
}

/// A user trial: lesson 05 sent students to `maillab serve
/// tests/fixtures/serve-lab.yaml`, a file only the source tree has. The
/// labs the lesson and the book name are built in (`labs/`), so the command
/// the lesson gives, and the TLS lab of serve.md, start from an empty folder.
#[test]
fn the_lessons_serve_command_works_from_an_empty_folder() {
    let lesson =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/05-mail-client-setup.yaml"))
            .expect("lesson 05");
    let re = regex::Regex::new(r"(?m)^\s*maillab serve (\S+)\s*$").expect("regex");
    let mut files: Vec<String> = re.captures_iter(&lesson).map(|c| c[1].to_string()).collect();
    assert!(!files.is_empty(), "lesson 05 gives no `maillab serve FILE` line");
    files.push("labs/serve-tls.yaml".into());
    files.sort();
    files.dedup();
    let empty = temp("empty-folder", "d");
    std::fs::create_dir_all(&empty).expect("an empty folder");
    for f in files {
        let server = spawn_serve_with(Path::new(&f), "empty-folder", Stdio::null(), "text", |c| {
            c.current_dir(&empty);
        });
        let mut c = Client::connect(&server.endpoint("mail", "smtp"));
        let greeting = c.reply();
        assert!(greeting.starts_with("220 mail.example.ac.jp"), "{f}: {greeting}");
        c.smtp("QUIT", "221");
    }
    let _ = std::fs::remove_dir_all(&empty);
}

/// A user trial: on a mailstore with `submission: true` and `tls: offered`
/// serve printed IMAP and SMTP with no connection security, while its own
/// autoconfig listed 993 SSL first. Both now say the same, protected ports:
/// the printed settings, the ready file and the autoconfig file.
#[test]
fn a_tls_host_gets_the_client_settings_its_autoconfig_gives() {
    let log = temp("tls-settings", "txt");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let server = spawn_serve(Path::new("labs/serve-tls.yaml"), "tls-settings", out, "text");
    let (imaps, submissions) = (server.port("mail", "imaps"), server.port("mail", "submissions"));
    let taro = &server.ready["clients"][0];
    assert_eq!(taro["user"], "taro@example.ac.jp");
    assert_eq!(
        (taro["incoming_port"].as_u64(), taro["incoming_security"].as_str()),
        (Some(imaps.into()), Some("SSL/TLS"))
    );
    assert_eq!(
        (taro["outgoing_port"].as_u64(), taro["outgoing_security"].as_str()),
        (Some(submissions.into()), Some("SSL/TLS"))
    );
    let also: Vec<(u64, String)> = taro["also"]
        .as_array()
        .expect("also")
        .iter()
        .map(|o| (o["port"].as_u64().unwrap_or(0), o["security"].as_str().unwrap_or("").to_string()))
        .collect();
    let starttls = |svc: &str| (u64::from(server.port("mail", svc)), "STARTTLS".to_string());
    // Port 25, for mail between MTAs, is not suggested to a client that can submit.
    assert_eq!(also, [starttls("imap"), starttls("submission")]);
    // The autoconfig file names the same servers first.
    let mut h = Client::connect(&server.endpoint("mail", "http"));
    h.send("GET /mail/config-v1.1.xml?emailaddress=taro%40example.ac.jp HTTP/1.0\r\nHost: x\r\n");
    let mut xml = String::new();
    let _ = h.r.read_to_string(&mut xml);
    let first = |tag: &str| xml.split(tag).nth(1).unwrap_or_default().to_string();
    assert!(first("<incomingServer type=\"imap\">").contains(&format!("<port>{imaps}</port>")), "{xml}");
    assert!(first("<outgoingServer type=\"smtp\">").contains(&format!("<port>{submissions}</port>")), "{xml}");
    // And so does the table serve prints.
    let t = Instant::now();
    let table = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("Ctrl-C") || t.elapsed() > Duration::from_secs(15) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(table.contains(&format!("port {imaps}  connection security: SSL/TLS")), "{table}");
    assert!(table.contains(&format!("port {submissions}  connection security: SSL/TLS")), "{table}");
    assert!(!table.contains("connection security: none"), "{table}");
}

/// Ask `server` (a TCP stream, or a UDP socket when `udp`) for NAME's MX; the rcode and answer count.
fn dns_mx(ep: &(String, u16), name: &str, udp: bool) -> (String, usize) {
    use maillab::proto::dns::{QType, Question, decode_response, encode_query};
    let q = encode_query(7, &Question { name: name.into(), qtype: QType::Mx });
    let bytes = if udp {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        s.send_to(&q, (ep.0.as_str(), ep.1)).expect("sent");
        let mut buf = vec![0u8; 4096];
        let n = s.recv(&mut buf).expect("a UDP answer");
        buf.truncate(n);
        buf
    } else {
        let mut s = TcpStream::connect((ep.0.as_str(), ep.1)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut framed = u16::try_from(q.len()).expect("short").to_be_bytes().to_vec();
        framed.extend(q);
        s.write_all(&framed).expect("sent");
        let mut len = [0u8; 2];
        s.read_exact(&mut len).expect("a length");
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut body).expect("an answer");
        body
    };
    let r = decode_response(&bytes).expect("a response");
    (r.answer.rcode.to_string(), r.answer.answers.len())
}

/// Issue #19: a listener whose accept() fails (here: the process is out of
/// file descriptors, EMFILE) says so once, waits and tries again, so every
/// service answers again once descriptors are free.
#[test]
fn every_service_answers_again_after_the_process_ran_out_of_file_descriptors() {
    use std::os::unix::process::CommandExt;
    const FDS: u64 = 48;
    let file = temp("emfile", "yaml");
    std::fs::copy("labs/serve-lab.yaml", &file).expect("copy the fixture");
    let log = temp("emfile", "log");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let server = spawn_serve_with(&file, "emfile", out, "json", |cmd| {
        // Limits high enough that descriptors, not sessions, run out first.
        cmd.args(["--max-sessions", "1000", "--max-per-client", "1000"]);
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit { rlim_cur: FDS, rlim_max: FDS };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let smtp = server.endpoint("mail", "smtp");
    // Far more connections than the process has descriptors: the kernel
    // completes them, serve takes what it can and then fails to accept.
    let hogs: Vec<TcpStream> = (0..2 * FDS)
        .map(|_| TcpStream::connect((smtp.0.as_str(), smtp.1)).expect("the kernel takes the connection"))
        .collect();
    assert!(wait_for(&log, "tcp.accept_error", "smtp on port 25: cannot take a connection"), "no accept error traced");
    // A second of failing attempts (one every 100 ms) is one line per burst,
    // not one per attempt. On a loaded machine a session may free a
    // descriptor in between (a burst ends and a new one starts), so a few
    // bursts are allowed; ten lines would be one per attempt.
    std::thread::sleep(Duration::from_secs(1));
    let trace = std::fs::read_to_string(&log).expect("the trace");
    let starts = trace.lines().filter(|l| l.contains("tcp.accept_error") && l.contains("cannot take")).count();
    assert!((1..=3).contains(&starts), "{starts} bursts of accept errors on port 25 in a second:\n{trace}");
    // Meanwhile every other listener meets the same failure.
    let others = [("mail", "pop3", "pop3 on port 110"), ("mail", "imap", "imap on port 143")];
    let others =
        others.into_iter().chain([("mail", "http", "http on port 80"), ("ns", "dns", "dns over TCP on port 53")]);
    let mut more = Vec::new();
    for (host, service, what) in others {
        let (a, p) = server.endpoint(host, service);
        more.push(TcpStream::connect((a.as_str(), p)).expect("the kernel takes the connection"));
        assert!(wait_for(&log, "tcp.accept_error", &format!("{what}: cannot take")), "{what}: no accept error");
    }
    drop(hogs);
    drop(more);
    assert!(
        wait_for(&log, "tcp.accept_error", "smtp on port 25: taking connections again"),
        "accepting did not resume"
    );
    // Every service answers.
    let mut c = Client::connect(&smtp);
    assert!(c.reply().starts_with("220 "));
    c.smtp("QUIT", "221");
    let (mut p, _) = pop_login(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret");
    p.pop("QUIT");
    let mut i = Client::connect(&server.endpoint("mail", "imap"));
    assert!(i.line().starts_with("* OK"));
    i.send("a LOGOUT");
    assert!(i.line().starts_with("* BYE"));
    let mut h = Client::connect(&server.endpoint("mail", "http"));
    h.send("GET /mail/config-v1.1.xml?emailaddress=taro@example.ac.jp HTTP/1.0\r\n");
    let status = h.line();
    assert!(status.contains(" 200 "), "{status}");
    let dns = server.endpoint("ns", "dns");
    assert_eq!(dns_mx(&dns, "example.ac.jp", false), ("NOERROR".to_string(), 1));
    assert_eq!(dns_mx(&dns, "example.ac.jp", true), ("NOERROR".to_string(), 1));
    let mut c = Client::connect(&server.endpoint("mail-net", "smtp"));
    assert!(c.reply().starts_with("220 "));
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&log);
}

/// Issue #19: one address cannot take every session of a service: past
/// `--max-per-client` each protocol refuses in its own words, the trace
/// says why, and a place freed is taken again.
#[test]
fn one_client_address_cannot_hold_every_session() {
    let file = temp("perclient", "yaml");
    std::fs::copy("labs/serve-lab.yaml", &file).expect("copy the fixture");
    let log = temp("perclient", "log");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let server = spawn_serve_with(&file, "perclient", out, "json", |cmd| {
        cmd.args(["--max-per-client", "3"]);
    });
    let ep = |svc| server.endpoint("mail", svc);
    for (svc, greeting, refusal) in [
        ("smtp", "220 ", "421 4.7.0 mail.example.ac.jp Error: too many connections from 127.0.0.1\r\n"),
        ("pop3", "+OK", "-ERR [SYS/TEMP] too many connections\r\n"),
        ("imap", "* OK", "* BYE too many connections\r\n"),
    ] {
        let held: Vec<Client> = (0..3)
            .map(|_| {
                let mut c = Client::connect(&ep(svc));
                let l = c.line();
                assert!(l.starts_with(greeting), "{svc}: {l}");
                c
            })
            .collect();
        let mut c = Client::connect(&ep(svc));
        assert_eq!(c.line(), refusal, "{svc}");
        assert_eq!(c.line(), "", "{svc}: closed after the refusal");
        // One leaves: there is room again.
        drop(held);
        std::thread::sleep(Duration::from_millis(200));
        let mut c = Client::connect(&ep(svc));
        assert!(c.line().starts_with(greeting), "{svc}");
    }
    assert!(wait_for(
        &log,
        "tcp.refuse",
        "too many connections from 127.0.0.1: 3 at once, the limit per client address"
    ));
    // DNS over TCP: closed unanswered.
    let dns = server.endpoint("ns", "dns");
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect((dns.0.as_str(), dns.1)).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut c = TcpStream::connect((dns.0.as_str(), dns.1)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut buf = [0u8; 16];
    assert_eq!(c.read(&mut buf).map_err(|e| e.kind()), Ok(0), "closed at once");
    drop(held);
    assert!(wait_for(&log, "dns.error", "too many TCP clients"));
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&log);
}

/// A client that only sends cannot fill the machine: the host's
/// `disk_space` runs short and MAIL gets Postfix's 452; every message
/// accepted before is in the mailbox, and deleting two over POP3 makes
/// room again.
#[test]
fn a_full_disk_refuses_mail_and_loses_nothing() {
    let yaml = "version: 1
name: disk-full
hosts:
  - name: mail
    role: mailstore
    flavour: postfix
    address: 192.0.2.25
    hostname: mail.example.org
    domains: [example.org]
    max_message_size: 100000
    disk_space: 400000
users:
  - address: alice@example.org
    password: pw
";
    let (server, log) = serve_json(yaml, "diskfull");
    let smtp = server.endpoint("mail", "smtp");
    // About 58.5 KB stored per message: after five, less than 1.5 times
    // the size limit (150,000 octets) of the 400,000 is left.
    let body: String = (0..580).map(|_| format!("{}\r\n", "y".repeat(98))).collect();
    let mut c = Client::connect(&smtp);
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO flood.example", "250");
    let mut accepted = 0;
    let refusal = loop {
        c.send("MAIL FROM:<flood@flood.example>");
        let r = c.reply();
        if !r.starts_with("250") {
            break r;
        }
        c.smtp("RCPT TO:<alice@example.org>", "250");
        c.smtp("DATA", "354");
        c.w.write_all(format!("Subject: {accepted}\r\n\r\n{body}").as_bytes()).expect("write");
        c.smtp(".", "250");
        accepted += 1;
        assert!(accepted < 20, "never refused");
    };
    assert_eq!(refusal, "452 4.3.1 Insufficient system storage\r\n");
    assert_eq!(accepted, 5);
    assert!(wait_for(&log, "log", "warning: not enough free space in mail queue"));
    // Nothing accepted is lost.
    let pop = server.endpoint("mail", "pop3");
    wait_for_mail(&pop, "alice@example.org", "pw", 5);
    let (mut p, n) = pop_login(&pop, "alice@example.org", "pw");
    assert_eq!(n, 5);
    p.pop("DELE 1");
    p.pop("DELE 2");
    p.pop("QUIT");
    // Room again.
    c.smtp("MAIL FROM:<flood@flood.example>", "250");
    c.smtp("QUIT", "221");
    let _ = std::fs::remove_file(&log);
}

/// Nine concurrent SMTP sessions on `serve --threads N`, then Ctrl-C
/// (SIGINT): every message is delivered (POP3 reads all nine), the JSON
/// trace holds every event up to the shutdown summary with each message's
/// `queue.add` before its `deliver` whatever thread wrote them, and the
/// process has exactly the N − 1 extra session threads asked for, each of
/// which served sessions (it woke up for them).
fn nine_sessions_on(test: &str, threads: usize) {
    let yaml = "version: 1
name: threads
hosts:
  - name: mail
    role: mailstore
    address: 192.0.2.25
    hostname: mail.example.org
    domains: [example.org]
users:
  - address: alice@example.org
    password: pw
";
    let tag = format!("threads{threads}");
    let file = temp(&tag, "yaml");
    let log = temp(&tag, "log");
    std::fs::write(&file, yaml).expect("write scenario");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let mut server = spawn_serve_with(&file, &tag, out, "json", |cmd| {
        cmd.args(["--threads", &threads.to_string()]);
    });
    let pid = server.child.0.id();
    // The session threads and how often each has woken so far (Linux).
    let woken = || -> std::collections::BTreeMap<String, u64> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Default::default();
        };
        tasks
            .filter_map(|t| {
                let dir = t.ok()?.path();
                let name = std::fs::read_to_string(dir.join("comm")).ok()?.trim().to_string();
                let status = std::fs::read_to_string(dir.join("status")).ok()?;
                let n = status.lines().find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?.trim().parse().ok()?;
                name.starts_with("maillab-serve-").then_some((name, n))
            })
            .collect()
    };
    let before = woken();
    let smtp = server.endpoint("mail", "smtp");
    // Nine sessions open at once, so that every thread holds some.
    let mut open: Vec<Client> = (0..9)
        .map(|_| {
            let mut c = Client::connect(&smtp);
            assert!(c.reply().starts_with("220"));
            c
        })
        .collect();
    for (i, c) in open.iter_mut().enumerate() {
        c.smtp(&format!("HELO pc{i}.example"), "250");
        c.smtp(&format!("MAIL FROM:<pc{i}@pc.example>"), "250");
        c.smtp("RCPT TO:<alice@example.org>", "250");
        c.smtp("DATA", "354");
    }
    for (i, c) in open.iter_mut().enumerate() {
        c.w.write_all(format!("Subject: from pc{i}\r\n\r\nhello\r\n").as_bytes()).expect("write");
        c.smtp(".", "250");
        c.smtp("QUIT", "221");
    }
    let pop = server.endpoint("mail", "pop3");
    wait_for_mail(&pop, "alice@example.org", "pw", 9);
    let (mut p, n) = pop_login(&pop, "alice@example.org", "pw");
    assert_eq!(n, 9);
    p.pop("QUIT");
    let after = woken();
    if std::path::Path::new("/proc/self/task").exists() {
        let want: Vec<String> = (1..threads).map(|i| format!("maillab-serve-{i}")).collect();
        assert_eq!(after.keys().cloned().collect::<Vec<_>>(), want, "the extra session threads");
        for (name, n) in &after {
            // Three sessions of a dozen exchanges each: the thread woke for them.
            assert!(
                n - before.get(name).copied().unwrap_or(0) >= 3,
                "{name} served no session: {before:?} -> {after:?}"
            );
        }
    }
    // Ctrl-C: what every thread traced reaches the output before the process ends.
    if !tools(&format!("{test} (its Ctrl-C part)"), &["kill"]) {
        return;
    }
    let interrupted = Command::new("kill").args(["-INT", &pid.to_string()]).status().is_ok_and(|s| s.success());
    assert!(interrupted, "kill -INT {pid} failed");
    let status = server.stops_within_15s("SIGINT");
    assert!(status.success(), "{status}");
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .expect("the trace")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let of = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!((of("queue.add"), of("deliver"), of("tcp.close")), (9, 9, of("tcp.accept")));
    assert!(of("tcp.accept") >= 9 + 2, "9 SMTP sessions and at least 2 POP3 ones");
    for e in events.iter().filter(|e| e["kind"] == "deliver") {
        let qid = &e["qid"];
        let added = events.iter().position(|x| x["kind"] == "queue.add" && &x["qid"] == qid);
        let delivered = events.iter().position(|x| std::ptr::eq(x, e));
        assert!(added.is_some() && added < delivered, "{qid}: deliver before queue.add");
    }
    if threads == 1 {
        // One thread records every event, so the trace's times never go back
        // (a session's events share clock readings; never one older than an
        // event of the host traced before them).
        let times: Vec<_> = events
            .iter()
            .map(|e| chrono::DateTime::parse_from_rfc3339(e["t"].as_str().unwrap_or("")).expect("a time"))
            .collect();
        for (i, w) in times.windows(2).enumerate() {
            assert!(w[0] <= w[1], "the time goes back at event {}: {} then {}", i + 1, events[i], events[i + 1]);
        }
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&log);
}

/// One message in alice's mailbox and one recipient queued for an MX that
/// refuses (an external host at a closed port of 127.0.0.2; not of
/// 127.0.0.1, since serve takes a client from an external host's address
/// for that host, and the test's client speaks from 127.0.0.1).
const STOP_LAB: &str = "version: 1
name: stop
hosts:
  - name: mail
    role: mailstore
    address: 192.0.2.25
    hostname: mail.example.org
    domains: [example.org]
    allow_relay: { networks: [127.0.0.0/8] }
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.org
    zones:
      example.net: [\"@ MX 10 mail.example.net.\", \"mail A 198.51.100.30\"]
  - name: far
    role: mx
    address: 198.51.100.30
    hostname: mail.example.net
    domains: [example.net]
    external: \"127.0.0.2:1\"
users:
  - address: alice@example.org
    password: pw
";

/// A user trial: `kill PID` (SIGTERM, what systemd and `timeout` send)
/// ended serve with status 143 and no word, while Ctrl-C said what was
/// still queued. SIGTERM and SIGHUP (the terminal closed) now stop it as
/// Ctrl-C does: status 0, and a summary on stderr that names the signal,
/// the queued recipients and the messages in mailboxes, which go with the
/// process (the lab keeps mail in memory only).
#[test]
fn sigterm_and_sighup_stop_serve_as_ctrl_c_does() {
    let mut signals = vec![(libc::SIGTERM, "SIGTERM")];
    if sighup_ignored_here() {
        let _ = writeln!(
            std::io::stderr(),
            "serve::sigterm_and_sighup_stop_serve_as_ctrl_c_does: SIGHUP is ignored here (nohup?), so serve keeps it ignored: SIGTERM only"
        );
    } else {
        signals.push((libc::SIGHUP, "SIGHUP"));
    }
    for (sig, name) in signals {
        let tag = format!("stop-{name}");
        let file = temp(&tag, "yaml");
        let (log, err) = (temp(&tag, "log"), temp(&tag, "err"));
        std::fs::write(&file, STOP_LAB).expect("write scenario");
        let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
        let mut server = spawn_serve_with(&file, &tag, out, "json", |cmd| {
            cmd.stderr(Stdio::from(std::fs::File::create(&err).expect("stderr file")));
        });
        let smtp = server.endpoint("mail", "smtp");
        let mut c = Client::connect(&smtp);
        assert!(c.reply().starts_with("220"));
        c.smtp("HELO pc.example", "250");
        c.smtp("MAIL FROM:<pc@pc.example>", "250");
        c.smtp("RCPT TO:<alice@example.org>", "250");
        c.smtp("RCPT TO:<bob@example.net>", "250");
        c.smtp("DATA", "354");
        c.w.write_all(b"Subject: left behind\r\n\r\nhello\r\n").expect("write");
        c.smtp(".", "250");
        c.smtp("QUIT", "221");
        assert!(wait_for(&log, "deliver", "alice@example.org"), "no delivery to alice");
        assert!(wait_for(&log, "queue.deferred", ""), "bob's copy was not deferred");
        let pid = libc::pid_t::try_from(server.child.0.id()).expect("a pid");
        // SAFETY: kill(2) with a child's pid and a signal number; no memory is touched.
        unsafe { libc::kill(pid, sig) };
        let status = server.stops_within_15s(name);
        let said = std::fs::read_to_string(&err).unwrap_or_default();
        assert_eq!(status.code(), Some(0), "{name}: {status}\n{said}");
        assert!(said.contains("mail: 1 recipient(s) still queued\n"), "{name}: {said}");
        assert!(said.contains("mail: 1 message(s) in mailboxes\n"), "{name}: {said}");
        assert!(
            said.ends_with(&format!("maillab serve: stopped on {name}; mail lives in memory only, so 1 queued recipient(s) and 1 message(s) in mailboxes are discarded\n")),
            "{name}: {said}"
        );
        for f in [&file, &log, &err] {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// Whether this process ignores SIGHUP (a child inherits that, and serve
/// then leaves it ignored, as `nohup` asks).
fn sighup_ignored_here() -> bool {
    // SAFETY: sigaction(2) with a null new action only reads the current
    // one into `old`, a zeroed `sigaction` that lives through the call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

#[test]
fn sessions_on_three_threads_deliver_and_trace_everything() {
    nine_sessions_on("serve::sessions_on_three_threads_deliver_and_trace_everything", 3);
}

#[test]
fn sessions_on_one_thread_deliver_and_trace_everything() {
    nine_sessions_on("serve::sessions_on_one_thread_deliver_and_trace_everything", 1);
}

/// Issue #19: a client that trickles bytes without ever ending a line
/// (slowloris) is cut off one `--idle-timeout` after its last complete
/// line, in each protocol's own words, however often a byte comes
/// (Postfix's smtpd_per_record_deadline). `--limit-exempt` lets one
/// address hold more sessions than `--max-per-client`.
#[test]
fn a_trickling_client_is_cut_off_within_the_idle_timeout() {
    let file = temp("trickle", "yaml");
    std::fs::copy("labs/serve-lab.yaml", &file).expect("copy the fixture");
    let log = temp("trickle", "log");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let server = spawn_serve_with(&file, "trickle", out, "json", |cmd| {
        cmd.args(["--idle-timeout", "2", "--max-per-client", "1", "--limit-exempt", "127.0.0.0/8"]);
    });
    let deadline = Duration::from_secs(2);
    let mut threads = Vec::new();
    for (svc, greeting, last) in [
        ("smtp", "220 ", "421 4.4.1 mail.example.ac.jp Lost input channel from [127.0.0.1]\r\n"),
        ("pop3", "+OK", ""),
        ("imap", "* OK", "* BYE Disconnected for inactivity.\r\n"),
    ] {
        let ep = server.endpoint("mail", svc);
        threads.push(std::thread::spawn(move || {
            let mut c = Client::connect(&ep);
            assert!(c.line().starts_with(greeting), "{svc}");
            // A second session from the same address: exempt from --max-per-client 1.
            let mut other = Client::connect(&ep);
            assert!(other.line().starts_with(greeting), "{svc}: 127.0.0.1 is exempt");
            let start = Instant::now();
            let mut w = c.w.try_clone().expect("clone");
            let trickler = std::thread::spawn(move || {
                // A byte every 300 ms, never a line end: for 10 s at most.
                for b in b"NOOP-and-so-on-and-so-forth-for-ever-and-ever".iter().cycle().take(33) {
                    if w.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            });
            let mut said = String::new();
            loop {
                let l = c.line();
                if l.is_empty() {
                    break;
                }
                said.push_str(&l);
            }
            let took = start.elapsed();
            assert_eq!(said, last, "{svc}");
            assert!(took >= deadline - Duration::from_millis(100), "{svc}: cut off after {took:?}");
            assert!(took < deadline + Duration::from_millis(1500), "{svc}: still open after {took:?}");
            let _ = trickler.join();
        }));
    }
    for t in threads {
        t.join().expect("a service");
    }
    assert!(wait_for(&log, "smtp.reply", "421 4.4.1 mail.example.ac.jp Lost input channel from [127.0.0.1]"));
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&log);
}

/// Issue #19: SMTP AUTH failures are held back in real time under serve,
/// and count with POP3's: a wrong AUTH waits 2 s, the same address's next
/// wrong password over POP3 waits 4 s.
#[test]
fn failed_smtp_auth_is_slowed_down_and_shared_with_pop3() {
    let server = serve("labs/serve-lab.yaml", "authdelay");
    let mut c = Client::connect(&server.endpoint("mail", "smtp"));
    c.set_timeout(30);
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO pc.example", "250");
    let token = base64::engine::general_purpose::STANDARD.encode("\0taro@example.ac.jp\0guess");
    let t = Instant::now();
    c.smtp(&format!("AUTH PLAIN {token}"), "535");
    let smtp = t.elapsed();
    assert!(smtp >= Duration::from_secs(2), "the 535 came after {smtp:?}");
    c.smtp("QUIT", "221");
    let mut p = Client::connect(&server.endpoint("mail", "pop3"));
    p.set_timeout(30);
    assert!(p.line().starts_with("+OK"));
    p.pop("USER taro@example.ac.jp");
    let t = Instant::now();
    p.send("PASS guess");
    let r = p.line();
    let pop = t.elapsed();
    assert!(r.starts_with("-ERR"), "{r}");
    assert!(pop >= Duration::from_secs(4), "the second failure from the address waited only {pop:?}");
    // The right password is answered at once (and forgets the failures).
    let t = Instant::now();
    let token = base64::engine::general_purpose::STANDARD.encode("\0taro@example.ac.jp\0s3cret");
    let mut c = Client::connect(&server.endpoint("mail", "smtp"));
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO pc.example", "250");
    c.smtp(&format!("AUTH PLAIN {token}"), "235");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let l = std::net::TcpListener::bind("127.0.2.25:0").expect("bind a port first");
    let port = l.local_addr().expect("bound").port();
    let out = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "labs/serve-lab.yaml", "--port", &format!("smtp={port}"), "--port", "pop3=0"])
        .args(["--port", "imap=0", "--port", "dns=0", "--port", "http=0"])
        .output()
        .expect("runs");
    drop(l);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("cannot listen on 127.0.2.25:{port}")), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

/// A temp folder of the test's own, standing for `$TMPDIR` of a shared machine.
fn temp_folder(tag: &str) -> PathBuf {
    empty_folder(tag, "tmpdir")
}

/// A folder of [`temp`]'s, made anew and empty.
fn empty_folder(tag: &str, what: &str) -> PathBuf {
    let dir = temp(tag, what);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the folder");
    dir
}

/// A user trial on a shared machine: `/tmp/maillab-NAME-ca.pem` was
/// another user's, and serve stopped with only "Permission denied". The
/// CA file is now the user's own, in `maillab-UID` (mode 0700) of the temp
/// folder; a file in the old place (here a folder, which even root cannot
/// write as a file) is no longer in the way.
#[test]
fn the_ca_file_is_per_user_and_another_users_file_is_not_in_the_way() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = temp_folder("ca-own");
    std::fs::create_dir(tmp.join("maillab-serve-tls-ca.pem")).expect("the other user's file");
    let server = spawn_serve_with(Path::new("labs/serve-tls.yaml"), "ca-own", Stdio::null(), "text", |cmd| {
        cmd.env("TMPDIR", &tmp);
    });
    // SAFETY: getuid(2) takes no argument and touches no memory.
    let uid = unsafe { libc::getuid() };
    let dir = tmp.join(format!("maillab-{uid}"));
    let ca = server.ready["ca_file"].as_str().expect("serve names its CA file").to_string();
    assert_eq!(Path::new(&ca), dir.join("serve-tls-ca.pem"));
    assert!(std::fs::read_to_string(&ca).is_ok_and(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----")), "{ca}");
    let m = std::fs::symlink_metadata(&dir).expect("the folder");
    assert!(m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o777 == 0o700, "{:o}", m.mode());
    drop(server);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// When the user's folder is not theirs to use (here a link to another
/// folder, as a link or a folder another user made would be), serve stops
/// with the path and what to do, in English and in Japanese.
#[test]
fn a_ca_folder_that_is_not_ones_own_is_a_clear_error() {
    let tmp = temp_folder("ca-link");
    // SAFETY: getuid(2) takes no argument and touches no memory.
    let uid = unsafe { libc::getuid() };
    std::fs::create_dir(tmp.join("elsewhere")).expect("a folder");
    std::os::unix::fs::symlink(tmp.join("elsewhere"), tmp.join(format!("maillab-{uid}"))).expect("a link");
    for (lang, hint) in [("en", "hint: "), ("ja", "ヒント: ")] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_maillab"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env("TMPDIR", &tmp);
        cmd.args(["--lang", lang, "serve", "labs/serve-tls.yaml"]);
        for svc in SERVICES {
            cmd.args(["--port", &format!("{svc}=0")]);
        }
        let out = bounded(&mut cmd, None, Duration::from_secs(20));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.code, Some(1), "{lang}: {}", out.said());
        let path = tmp.join(format!("maillab-{uid}/serve-tls-ca.pem"));
        assert!(err.contains(&path.display().to_string()), "{lang}: {err}");
        assert!(err.contains(hint) && err.contains("TMPDIR"), "{lang}: {err}");
        assert!(!tmp.join("elsewhere/serve-tls-ca.pem").exists(), "written through the link");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn clients_that_hang_up_mid_command_or_mid_data_do_no_harm() {
    let server = serve("labs/serve-lab.yaml", "hangup");
    let smtp = server.endpoint("mail", "smtp");
    let talk = |parts: &[&[u8]]| {
        let mut c = Client::connect(&smtp);
        let greeting = c.reply();
        assert!(greeting.starts_with("220 "), "{greeting}");
        for p in parts {
            c.w.write_all(p).expect("write");
        }
        // Hang up without QUIT.
    };
    talk(&[b"MAIL FR"]);
    talk(&[
        b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<taro@example.ac.jp>\r\nDATA\r\n",
        b"Subject: cut\r\n\r\nhalf a mess",
    ]);
    talk(&[&[0xff, 0xfe, 0x00, b'\r', b'\n'], &[b'A'; 5000]]);
    // The server still answers, and the half-sent message was not delivered.
    let mut c = Client::connect(&smtp);
    assert!(c.reply().starts_with("220"));
    c.smtp("NOOP", "250");
    c.smtp("QUIT", "221");
    let (mut p, n) = pop_login(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret");
    p.pop("QUIT");
    assert_eq!(n, 0, "a message cut off before its end was delivered");
}

/// Where the shipped `labs/join-a.yaml` sends example.net's mail: join-b's
/// mail store with the default ports (the tests put the real port there).
const JOIN_A_EXTERNAL: &str = "\"127.51.100.30:2525\"";

/// The two halves of serve.md's "Joining two machines" are built in
/// (`labs/`) since a user trial found `maillab serve
/// tests/fixtures/join-b.yaml` failing from an installed binary: B's half
/// starts by that name from an empty folder, A's is a copy with B's real
/// address and port, and A's mail for example.net goes to B's mail store.
#[test]
fn two_serve_processes_join_into_one_mail_network() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let empty = temp("join-empty", "d");
    std::fs::create_dir_all(&empty).expect("an empty folder");
    let b = spawn_serve_with(Path::new("labs/join-b.yaml"), "join-b", Stdio::null(), "text", |c| {
        c.current_dir(&empty);
    });
    // A's scenario points its external host at B's mail store.
    let (b_addr, b_smtp) = b.endpoint("mail-net", "smtp");
    let a_yaml = std::fs::read_to_string(root.join("labs/join-a.yaml"))
        .expect("join-a")
        .replace(JOIN_A_EXTERNAL, &format!("\"{b_addr}:{b_smtp}\""));
    let (a, log_a) = serve_json(&a_yaml, "join-a");
    submit(
        &a.endpoint("mail", "smtp"),
        "taro@example.ac.jp",
        "s3cret",
        "taro@example.ac.jp",
        "friend@example.net",
        "Subject: across machines\r\n\r\nhi",
    );
    let text = wait_for_mail(&b.endpoint("mail-net", "pop3"), "friend@example.net", "fr1end", 1);
    let (by_b, by_a) = (text.find("by mail.example.net"), text.find("by mail.example.ac.jp"));
    assert!(by_b.is_some() && by_a.is_some() && by_b < by_a, "{text}");
    assert!(wait_for(&log_a, "relay", "handed to mail.example.net [198.51.100.30]"), "A's trace shows no relay to B");
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn python_smtplib_poplib_and_imaplib_against_serve() {
    if !tools("serve::python_smtplib_poplib_and_imaplib_against_serve", &["python3"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "python");
    python_checks(&server, "clients.py", &[], "client checks failed", "all client checks passed");
}

/// SMTPUTF8 and CHUNKING as Python's smtplib sees them: a Japanese address
/// with `SMTPUTF8`, 553 5.6.7 without it, BDAT chunks written by hand, and a
/// sendmail host that offers neither (smtplib then refuses to send).
#[test]
fn python_smtplib_uses_smtputf8_and_bdat() {
    if !tools("serve::python_smtplib_uses_smtputf8_and_bdat", &["python3"]) {
        return;
    }
    let server = serve("tests/fixtures/serve-smtpext.yaml", "smtpext");
    python_checks(&server, "smtp_extensions.py", &[], "smtplib checks failed", "all smtp extension checks passed");
}

/// SMTP DSN (RFC 3461) as Python's smtplib asks for it: RET, ENVID, NOTIFY
/// and ORCPT through `mail_options` and `rcpt_options`, and the success
/// report that lands in the sender's mailbox, from a Postfix and a sendmail host.
#[test]
fn python_smtplib_asks_for_a_delivery_report() {
    if !tools("serve::python_smtplib_asks_for_a_delivery_report", &["python3"]) {
        return;
    }
    let server = serve("tests/fixtures/serve-smtpext.yaml", "dsn");
    python_checks(&server, "dsn.py", &[], "smtplib DSN checks failed", "all dsn checks passed");
}

/// The IMAP extensions a client library probes for (NAMESPACE, ID,
/// ENABLE, SPECIAL-USE, UIDPLUS, MOVE, UNSELECT), spoken by imaplib.
#[test]
fn python_imaplib_uses_the_imap_extensions() {
    if !tools("serve::python_imaplib_uses_the_imap_extensions", &["python3"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "imapext");
    python_checks(&server, "imap_extensions.py", &[], "imaplib checks failed", "all imap extension checks passed");
}

/// isync's mbsync syncs an account with a local Maildir both ways
/// (NAMESPACE, LIST of the special-use folders, APPEND with APPENDUID,
/// UID STORE and CLOSE to expunge).
#[test]
fn mbsync_syncs_a_maildir_with_serve() {
    if !tools("serve::mbsync_syncs_a_maildir_with_serve", &["python3", "mbsync"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "mbsync");
    let work = temp("mbsync", "d");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work directory");
    python_checks(&server, "mbsync_sync.py", &[work.as_os_str()], "mbsync checks failed", "all mbsync checks passed");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_list_server_is_joined_with_python_over_real_sockets() {
    if !tools("serve::a_list_server_is_joined_with_python_over_real_sockets", &["python3"]) {
        return;
    }
    let server = serve("scenarios/list-join.yaml", "list");
    python_checks(&server, "list_join.py", &[], "the join failed", "list join over real sockets passed");
}

/// Run the Python client script `tests/serve/SCRIPT` against `server` (its
/// ready file first, then `args`): the script must succeed and print `done`.
fn python_checks(server: &Server, script: &str, args: &[&std::ffi::OsStr], what: &str, done: &str) {
    let out = bounded(
        Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve").join(script))
            .arg(&server.ready_file)
            .args(args),
        None,
        TOOL_LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.ok(), "{what} (killed after {TOOL_LIMIT:?}: {}):\n{stdout}\n{stderr}", out.killed);
    assert!(stdout.contains(done), "{stdout}");
}

/// How long a real client may take in one of these tests before it is
/// killed and its test fails (see [`bounded`]).
const TOOL_LIMIT: Duration = Duration::from_secs(60);

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = bounded(Command::new(cmd).args(args), None, TOOL_LIMIT);
    (out.ok(), out.said())
}

/// A user trial: `dig … example.com MX` got an empty ADDITIONAL section,
/// where BIND and NSD put the in-zone address of the MX host (RFC 1035
/// §3.3.9); NS answers get their name servers' addresses the same way.
#[test]
fn dig_sees_the_additional_section() {
    if !tools("serve::dig_sees_the_additional_section", &["dig"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "dig-additional");
    let (ns, dns) = server.endpoint("ns", "dns");
    let (at_ns, dns) = (format!("@{ns}"), dns.to_string());
    let dig = |q: &[&str]| run("dig", &[&[at_ns.as_str(), "-p", dns.as_str(), "+noall", "+additional"], q].concat());
    let (ok, out) = dig(&["example.ac.jp", "MX"]);
    let lines: Vec<String> = out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert!(ok && lines == ["mail.example.ac.jp. 3600 IN A 192.0.2.25"], "{out}");
    let (ok, out) = dig(&["+tcp", "example.ac.jp", "NS"]);
    assert!(ok && out.contains("192.0.2.53"), "{out}");
}

#[test]
fn dig_curl_and_swaks_against_serve() {
    if !tools("serve::dig_curl_and_swaks_against_serve", &["dig", "curl", "swaks"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "tools");
    let (ns, dns) = server.endpoint("ns", "dns");
    let (mail, smtp) = server.endpoint("mail", "smtp");
    let (pop3, imap, http) = (server.port("mail", "pop3"), server.port("mail", "imap"), server.port("mail", "http"));
    let (at_ns, dns) = (format!("@{ns}"), dns.to_string());
    let dig = |q: &[&str]| run("dig", &[&[at_ns.as_str(), "-p", dns.as_str()], q].concat());
    // dig: MX, A and a DNSBL look-up through the lab's DNS, over UDP and TCP.
    let (ok, out) = dig(&["+short", "example.net", "MX"]);
    assert!(ok && out.trim() == "10 mail.example.net.", "{out}");
    let (ok, out) = dig(&["+short", "mail.example.ac.jp", "A"]);
    assert!(ok && out.trim() == "192.0.2.25", "{out}");
    let (ok, out) = dig(&["+short", "2.0.0.127.bl.example.org", "A"]);
    assert!(ok && out.trim() == "127.0.0.2", "{out}");
    let (ok, out) = dig(&["+tcp", "+short", "example.net", "MX"]);
    assert!(ok && out.trim() == "10 mail.example.net.", "DNS over TCP: {out}");
    let (ok, out) = dig(&["nosuch.example", "A"]);
    assert!(ok && out.contains("status: NXDOMAIN"), "{out}");
    // Negative answers carry the zone's SOA (RFC 2308); EDNS is answered
    // (RFC 6891) with our payload size and the DO bit copied; a zone's SOA.
    let (ok, out) = dig(&["+dnssec", "+bufsize=4096", "nosuch.example.net", "A"]);
    assert!(ok && out.contains("status: NXDOMAIN"), "{out}");
    assert!(
        out.contains("AUTHORITY SECTION")
            && out.contains("300\tIN\tSOA\tns.example.ac.jp. hostmaster.example.net. 1 3600 900 604800 300"),
        "SOA: {out}"
    );
    assert!(out.contains("EDNS: version: 0, flags: do; udp: 1232"), "EDNS: {out}");
    let (ok, out) = dig(&["+short", "example.net", "SOA"]);
    assert!(ok && out.contains("hostmaster.example.net. 1 3600 900 604800 300"), "{out}");
    // The zones list no NS: each answers with the name its SOA gives (the
    // DNS host), and that name has the host's address (a user trial found
    // NOERROR with no answer).
    let (ok, out) = dig(&["example.ac.jp", "NS"]);
    assert!(ok && out.contains("status: NOERROR") && out.contains("IN\tNS\tns.example.ac.jp."), "{out}");
    let (ok, out) = dig(&["+short", "ns.example.ac.jp", "A"]);
    assert!(ok && out.trim() == "192.0.2.53", "{out}");
    let (ok, out) = dig(&["+noall", "+comments", "+edns=1", "example.net", "MX"]);
    // dig reads BADVERS and asks again with version 0 (RFC 6891 §6.1.3).
    assert!(ok && out.contains("BADVERS, retrying with EDNS version 0"), "EDNS version 1: {out}");
    // swaks: a refused relay and an accepted local delivery, as the server words them
    // (before any POP3 login from 127.0.0.1, which would open the relay for it).
    let at = format!("{mail}:{smtp}");
    let (_, out) = run("swaks", &["--server", &at, "--from", "x@example.org", "--to", "friend@example.net"]);
    assert!(out.contains("550 5.7.1 <friend@example.net>... Relaying denied"), "{out}");
    let (ok, out) = run("swaks", &["--server", &at, "--from", "x@example.org", "--to", "taro@example.ac.jp"]);
    assert!(ok && out.contains("Message accepted for delivery"), "{out}");
    // curl: send with smtp://, read back with pop3://.
    let msg = temp("curl-msg", "txt");
    std::fs::write(
        &msg,
        "From: x@example.org\r\nTo: taro@example.ac.jp\r\nSubject: by curl\r\n\r\nhello from curl\r\n",
    )
    .expect("write");
    let msg_path = msg.to_str().unwrap_or_default();
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("smtp://{mail}:{smtp}"),
            "--mail-from",
            "x@example.org",
            "--mail-rcpt",
            "taro@example.ac.jp",
            "--upload-file",
            msg_path,
        ],
    );
    assert!(ok, "{out}");
    let user = ["-u", "taro@example.ac.jp:s3cret"];
    // Message 1 is the one swaks delivered; curl's is message 2 (local delivery can take a moment).
    let t = Instant::now();
    let got = loop {
        let got = run("curl", &[&["-sS", &format!("pop3://{mail}:{pop3}/2")], &user[..]].concat()).1;
        if got.contains("hello from curl") || t.elapsed() > Duration::from_secs(15) {
            break got;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(got.contains("Subject: by curl") && got.contains("Received: from"), "{got}");
    let (ok, list) = run("curl", &[&["-sS", &format!("pop3://{mail}:{pop3}/")], &user[..]].concat());
    assert!(ok && list.starts_with("1 "), "{list}");
    // curl with imap://: fetch by UID, and a search.
    let (ok, msg1) = run("curl", &[&["-sS", &format!("imap://{mail}:{imap}/INBOX;UID=2")], &user[..]].concat());
    assert!(ok && msg1.contains("Subject: by curl"), "{msg1}");
    let (ok, found) =
        run("curl", &[&["-sS", &format!("imap://{mail}:{imap}/INBOX?SUBJECT%20curl")], &user[..]].concat());
    assert!(ok && found.contains("SEARCH 2"), "{found}");
    // Autoconfig over HTTP, as Thunderbird asks for it.
    let url =
        format!("http://{mail}:{http}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=taro%40example.ac.jp");
    let (ok, xml) = run("curl", &["-sS", &url]);
    assert!(
        ok && xml.contains("<clientConfig version=\"1.1\">") && xml.contains(&format!("<port>{imap}</port>")),
        "{xml}"
    );
}

#[test]
fn relays_to_postfix_smtp_sink_as_an_external_mx() {
    if !tools("serve::relays_to_postfix_smtp_sink_as_an_external_mx", &["smtp-sink"]) {
        return;
    }
    // A port the system hands out, given to smtp-sink.
    let port = std::net::TcpListener::bind("127.0.0.77:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.77")
        .port();
    // As root (as in CI) smtp-sink must be told whom to run as.
    let mut args = vec![format!("127.0.0.77:{port}"), "10".into()];
    if Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0")) {
        args.splice(0..0, ["-u".to_string(), "nobody".to_string()]);
    }
    let sink = Command::new("smtp-sink")
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("smtp-sink starts");
    let sink = Kill(sink);
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.77", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(15), "smtp-sink does not listen on 127.0.0.77:{port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let a_yaml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("labs/join-a.yaml"))
        .expect("join-a")
        .replace(JOIN_A_EXTERNAL, &format!("\"127.0.0.77:{port}\""));
    let (a, log) = serve_json(&a_yaml, "sink");
    submit(
        &a.endpoint("mail", "smtp"),
        "taro@example.ac.jp",
        "s3cret",
        "taro@example.ac.jp",
        "anyone@example.net",
        "Subject: to the sink\r\n\r\nhi",
    );
    assert!(wait_for(&log, "relay", "handed to mail.example.net"), "the message did not reach smtp-sink");
    drop(sink);
}

/// Python's smtplib (STARTTLS on 587, SMTP_SSL on 465), imaplib.IMAP4_SSL and
/// poplib.POP3_SSL against serve, trusting the lab CA serve wrote; and
/// openssl s_client -starttls smtp verifies the certificate for the host's name.
#[test]
fn real_tls_clients_against_serve() {
    if !tools("serve::real_tls_clients_against_serve", &["python3", "openssl"]) {
        return;
    }
    let server = serve("labs/serve-tls.yaml", "tls");
    let ca = server.ready["ca_file"].as_str().expect("serve names its CA file").to_string();
    python_checks(&server, "tls_clients.py", &[], "TLS client checks failed", "all TLS client checks passed");
    let (a, p) = server.endpoint("mail", "submission");
    // The certificate names the host and the address serve printed for it.
    for check in ["-verify_hostname=mail.example.ac.jp".to_string(), format!("-verify_ip={a}")] {
        let (flag, value) = check.split_once('=').unwrap_or_default();
        let text = bounded(
            Command::new("openssl").args(["s_client", "-starttls", "smtp", "-CAfile", &ca, flag, value]).args([
                "-verify_return_error",
                "-brief",
                "-connect",
                &format!("{a}:{p}"),
            ]),
            None,
            TOOL_LIMIT,
        )
        .said();
        assert!(text.contains("Verification: OK"), "openssl {flag} {value}: {text}");
        assert!(text.contains("TLSv1.3"), "{text}");
    }
}

/// curl (`--ssl-reqd` imap:// and pop3:// upgrade with STARTTLS/STLS,
/// smtps:// is implicit TLS on 465), `openssl s_client -starttls pop3|imap`
/// and swaks `--tls` against serve, each trusting the lab CA and checking
/// the certificate for the host's name.
#[test]
fn curl_openssl_and_swaks_over_tls_against_serve() {
    if !tools("serve::curl_openssl_and_swaks_over_tls_against_serve", &["curl", "openssl", "swaks"]) {
        return;
    }
    let server = serve("labs/serve-tls.yaml", "tls-tools");
    let ca = server.ready["ca_file"].as_str().expect("serve names its CA file").to_string();
    let name = "mail.example.ac.jp";
    let (addr, submissions) = server.endpoint("mail", "submissions");
    let (pop3, imap, submission) =
        (server.port("mail", "pop3"), server.port("mail", "imap"), server.port("mail", "submission"));
    // openssl: STLS and STARTTLS, the certificate verified for the name.
    for (proto, port) in [("pop3", pop3), ("imap", imap)] {
        let text = bounded(
            Command::new("openssl")
                .args(["s_client", "-starttls", proto, "-CAfile", &ca, "-verify_hostname", name])
                .args(["-verify_return_error", "-brief", "-connect", &format!("{addr}:{port}")]),
            None,
            TOOL_LIMIT,
        )
        .said();
        assert!(text.contains("Verification: OK") && text.contains("TLSv1.3"), "openssl -starttls {proto}: {text}");
    }
    // swaks --tls on 587: STARTTLS, then AUTH inside TLS.
    let (ok, out) = run(
        "swaks",
        &[
            "--server",
            &format!("{addr}:{submission}"),
            "--tls",
            "--tls-ca-path",
            &ca,
            "--tls-verify",
            "--auth",
            "PLAIN",
            "--auth-user",
            "taro@example.ac.jp",
            "--auth-password",
            "s3cret",
            "--from",
            "taro@example.ac.jp",
            "--to",
            "taro@example.ac.jp",
            "--header",
            "Subject: by swaks over TLS",
        ],
    );
    assert!(ok && out.contains("220 2.0.0 Ready to start TLS") && out.contains("235 "), "swaks --tls: {out}");
    let resolve = |port: u16| format!("{name}:{port}:{addr}");
    let user = "taro@example.ac.jp:s3cret";
    // curl smtps:// (implicit TLS on 465).
    let msg = temp("curl-tls-msg", "txt");
    std::fs::write(&msg, "From: taro@example.ac.jp\r\nTo: taro@example.ac.jp\r\nSubject: by curl smtps\r\n\r\nhi\r\n")
        .expect("write");
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            "--cacert",
            &ca,
            "--resolve",
            &resolve(submissions),
            "-u",
            user,
            &format!("smtps://{name}:{submissions}"),
            "--mail-from",
            "taro@example.ac.jp",
            "--mail-rcpt",
            "taro@example.ac.jp",
            "--upload-file",
            msg.to_str().unwrap_or_default(),
        ],
    );
    assert!(ok, "curl smtps: {out}");
    // curl --ssl-reqd: STLS on 110 and STARTTLS on 143 (curl refuses to go on in the clear).
    let t = Instant::now();
    let list = loop {
        let (ok, list) = run(
            "curl",
            &[
                "-sS",
                "--ssl-reqd",
                "--cacert",
                &ca,
                "--resolve",
                &resolve(pop3),
                "-u",
                user,
                &format!("pop3://{name}:{pop3}/"),
            ],
        );
        assert!(ok, "curl pop3 --ssl-reqd: {list}");
        if list.lines().count() >= 2 || t.elapsed() > Duration::from_secs(15) {
            break list;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(list.lines().count() >= 2, "{list}");
    let (ok, found) = run(
        "curl",
        &[
            "-sS",
            "--ssl-reqd",
            "--cacert",
            &ca,
            "--resolve",
            &resolve(imap),
            "-u",
            user,
            "-X",
            "SEARCH SUBJECT swaks",
            &format!("imap://{name}:{imap}/INBOX"),
        ],
    );
    assert!(
        ok && found.lines().any(|l| l.len() > "* SEARCH ".len() && l.starts_with("* SEARCH ")),
        "curl imap --ssl-reqd: {found}"
    );
}

/// BDAT (RFC 3030) over a real socket, spoken by hand: no client CI can
/// install beside Postfix sends it (Postfix's own SMTP client, smtp(8),
/// knows no CHUNKING; swaks, curl, smtplib and mutt have no BDAT), so this
/// test and Python's are the real-socket checks of what the SMTP core's
/// split-input tests check byte by byte. A chunk arrives in pieces, a
/// command and its chunk in one write, and a line that is a lone dot or
/// starts with one is content (BDAT has no dot-stuffing).
#[test]
fn bdat_chunks_over_a_real_socket() {
    let server = serve("tests/fixtures/serve-smtpext.yaml", "bdat");
    let mut c = Client::connect(&server.endpoint("mail", "smtp"));
    assert!(c.reply().starts_with("220"));
    let ehlo = c.smtp("EHLO pc.example", "250");
    assert!(ehlo.contains("250-CHUNKING") || ehlo.contains("250 CHUNKING"), "{ehlo}");
    c.smtp("MAIL FROM:<x@example.org>", "250");
    c.smtp("RCPT TO:<taro@example.ac.jp>", "250");
    let first: &[u8] = b"Subject: by BDAT\r\nFrom: x@example.org\r\n\r\n.\r\n..two dots\r\n";
    // The command, then its chunk in two pieces a moment apart.
    c.w.write_all(format!("BDAT {}\r\n", first.len()).as_bytes()).expect("write");
    c.w.write_all(&first[..20]).expect("write");
    c.w.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(50));
    c.w.write_all(&first[20..]).expect("write");
    let r = c.reply();
    assert!(r.starts_with("250"), "first chunk: {r}");
    // The last chunk in the same write as its command.
    let last: &[u8] = b"the end\r\n";
    let mut both = format!("BDAT {} LAST\r\n", last.len()).into_bytes();
    both.extend_from_slice(last);
    c.w.write_all(&both).expect("write");
    let r = c.reply();
    assert!(r.starts_with("250") && r.contains("queued as"), "last chunk: {r}");
    c.smtp("QUIT", "221");
    let text = wait_for_mail(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret", 1);
    // POP3 dot-stuffs what it sends (RFC 1939 §3): undo it to see the stored octets.
    let stored: String = text.split_inclusive("\r\n").map(|l| l.strip_prefix('.').unwrap_or(l)).collect();
    assert!(stored.contains("\r\n\r\n.\r\n..two dots\r\nthe end\r\n"), "{stored}");
}

/// A muttrc for Taro on `mail` of serve-lab: SMTP with `smtp_url` and AUTH
/// PLAIN, IMAP with `imap_pass`, no TLS (the fixture offers none).
fn muttrc(server: &Server, home: &Path) -> PathBuf {
    let (addr, smtp) = server.endpoint("mail", "smtp");
    let rc = home.join("muttrc");
    std::fs::write(
        &rc,
        format!(
            "set smtp_url = \"smtp://taro%40example.ac.jp@{addr}:{smtp}/\"\n\
             set smtp_pass = \"s3cret\"\n\
             set smtp_authenticators = \"plain\"\n\
             set imap_user = \"taro@example.ac.jp\"\n\
             set imap_pass = \"s3cret\"\n\
             set ssl_starttls = no\n\
             set ssl_force_tls = no\n\
             set from = \"taro@example.ac.jp\"\n\
             set realname = \"Taro\"\n\
             set use_from = yes\n\
             set copy = no\n\
             set folder = \"{}\"\n",
            home.display()
        ),
    )
    .expect("muttrc");
    rc
}

fn mutt_home(tag: &str) -> PathBuf {
    empty_folder(tag, "d")
}

/// mutt in batch mode (`mutt -s SUBJECT -- ADDRESS < body`) sends through
/// serve with `smtp_url` and SMTP AUTH: relaying to another domain from
/// 127.0.0.1 needs the login, and the message arrives in the other host's
/// mailbox, read back by POP3.
#[test]
fn mutt_sends_with_smtp_url_and_auth() {
    if !tools("serve::mutt_sends_with_smtp_url_and_auth", &["mutt"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "mutt");
    let home = mutt_home("mutt");
    let rc = muttrc(&server, &home);
    let out = bounded(
        Command::new("mutt").env("HOME", &home).env("MAIL", home.join("spool")).args(["-n", "-F"]).arg(&rc).args([
            "-s",
            "by mutt",
            "--",
            "friend@example.net",
        ]),
        Some(b"Hello from mutt.\n"),
        TOOL_LIMIT,
    );
    assert!(out.ok(), "mutt failed: {}", out.said());
    let text = wait_for_mail(&server.endpoint("mail-net", "pop3"), "friend@example.net", "fr1end", 1);
    assert!(text.contains("Subject: by mutt") && text.contains("Hello from mutt."), "{text}");
    assert!(text.contains("From: Taro <taro@example.ac.jp>"), "{text}");
    // The server saw the login: its Received: field says ESMTPA (RFC 3848).
    assert!(text.contains("with ESMTPA"), "{text}");
    let _ = std::fs::remove_dir_all(&home);
}

/// mutt reads over IMAP: it needs a terminal, so `script` (util-linux)
/// gives it one, and keys pushed with `-e 'push …'` pipe the first message
/// to a file and quit. mutt logs in with AUTHENTICATE PLAIN, asks ENABLE
/// UTF8=ACCEPT, SELECTs, FETCHes the headers, then the message with
/// `UID FETCH … BODY.PEEK[]`.
#[test]
fn mutt_reads_over_imap_in_a_terminal() {
    if !tools("serve::mutt_reads_over_imap_in_a_terminal", &["mutt", "script"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "mutt-imap");
    submit(
        &server.endpoint("mail", "smtp"),
        "taro@example.ac.jp",
        "s3cret",
        "x@example.org",
        "taro@example.ac.jp",
        "Subject: for mutt\r\n\r\nread me",
    );
    let (addr, imap) = server.endpoint("mail", "imap");
    let home = mutt_home("mutt-imap");
    let rc = muttrc(&server, &home);
    let piped = home.join("piped");
    let cmd = format!(
        "timeout --foreground -k 5 20 mutt -n -F '{}' -f 'imap://taro%40example.ac.jp@{addr}:{imap}/INBOX' -e 'push \"<pipe-message>cat > {}<enter><quit>\"'",
        rc.display(),
        piped.display()
    );
    let t = Instant::now();
    let (text, ran) = loop {
        // Bounded from outside as well: util-linux's `script` has been seen
        // to hang after its child ended (util-linux issue #2562); what mutt
        // piped is in the file either way.
        let ran = bounded(
            Command::new("script")
                .args(["-qec", &cmd, "/dev/null"])
                .env("HOME", &home)
                .env("TERM", "vt100")
                // script runs the command with $SHELL, else /bin/sh: with
                // dash, timeout is not the session leader and, without
                // --foreground, puts mutt in a background process group,
                // where reading the terminal stops it (SIGTTIN).
                .env("SHELL", "/bin/sh"),
            None,
            Duration::from_secs(30),
        );
        let text = std::fs::read_to_string(&piped).unwrap_or_default();
        // Local delivery can take a moment: an empty INBOX pipes nothing.
        if text.contains("read me") || t.elapsed() > Duration::from_secs(15) {
            break (text, ran);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        text.contains("Subject: for mutt") && text.contains("read me"),
        "mutt piped: {text:?}\nscript (exit {:?}, killed: {}) showed: {:?}",
        ran.code,
        ran.killed,
        ran.said()
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// A fresh directory for one real client's files (its HOME, its rc file,
/// what it fetched); open to everyone, so that getmail run as root can
/// hand delivery to `nobody` (see [`getmail_rc`]).
fn client_dir(tag: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp(tag, "d");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("client directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

/// Whether the tests run as root (CI does): getmail refuses to deliver as root.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// One IMAP command over the line client: every line up to the tagged reply.
fn imap(c: &mut Client, tag: &str, command: &str) -> String {
    c.send(&format!("{tag} {command}"));
    let mut all = String::new();
    loop {
        let l = c.line();
        all.push_str(&l);
        if l.starts_with(&format!("{tag} ")) || l.is_empty() {
            assert!(l.starts_with(&format!("{tag} OK")), "{command} -> {all}");
            return all;
        }
    }
}

/// The number of messages in an IMAP mailbox (the EXISTS of SELECT).
fn imap_count(ep: &(String, u16), user: &str, password: &str, mailbox: &str) -> usize {
    let mut c = Client::connect(ep);
    assert!(c.line().starts_with("* OK"));
    imap(&mut c, "a1", &format!("LOGIN \"{user}\" \"{password}\""));
    let selected = imap(&mut c, "a2", &format!("SELECT \"{mailbox}\""));
    imap(&mut c, "a3", "LOGOUT");
    selected
        .lines()
        .find_map(|l| l.strip_prefix("* ").and_then(|l| l.strip_suffix(" EXISTS")))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no EXISTS in {selected}"))
}

/// fetchmail 6.4 in both its protocols, with an rc file (`-f`): POP3 with
/// `keep` (the messages stay; a second run finds nothing new, by UIDL) and
/// IMAP with `nokeep` (`STORE +FLAGS (\Seen \Deleted)`, `EXPUNGE`), each
/// message handed to an mda that appends it to a file.
#[test]
fn fetchmail_fetches_by_pop3_and_imap() {
    if !tools("serve::fetchmail_fetches_by_pop3_and_imap", &["fetchmail"]) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let server = serve("labs/serve-lab.yaml", "fetchmail");
    let smtp = server.endpoint("mail", "smtp");
    for (to, subject) in [
        ("taro@example.ac.jp", "one for POP3"),
        ("taro@example.ac.jp", "two for POP3"),
        ("friend@example.net", "one for IMAP"),
    ] {
        submit(
            &smtp,
            "taro@example.ac.jp",
            "s3cret",
            "taro@example.ac.jp",
            to,
            &format!("Subject: {subject}\r\n\r\n{subject}, fetched"),
        );
    }
    wait_for_mail(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret", 2);
    // Waited for by counting (SELECT), not with POP3's RETR: a message RETR
    // sent is \Seen afterwards, and fetchmail's IMAP takes only unseen mail.
    let t = Instant::now();
    while imap_count(&server.endpoint("mail-net", "imap"), "friend@example.net", "fr1end", "INBOX") < 1 {
        assert!(t.elapsed() < Duration::from_secs(15), "the message for friend@example.net did not arrive");
        std::thread::sleep(Duration::from_millis(50));
    }
    let home = client_dir("fetchmail");
    // fetchmail reads only an rc file that its user alone may read.
    let fetch = |name: &str, host: &str, protocol: &str, user: &str, password: &str, keep: &str| {
        let (addr, port) = server.endpoint(host, &protocol.to_lowercase());
        let (rc, out) = (home.join(format!("{name}.rc")), home.join(format!("{name}.mbox")));
        std::fs::write(
            &rc,
            format!(
                "set no syslog\nset no bouncemail\n\
                 poll {addr} service {port} protocol {protocol}\n  \
                 user \"{user}\" there with password \"{password}\" is \"nobody\" here\n  \
                 {keep}\n  sslproto '' no sslcertck\n  mda \"cat >> {}\"\n",
                out.display()
            ),
        )
        .expect("fetchmailrc");
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let ran = bounded(
            Command::new("fetchmail").env("HOME", &home).env("FETCHMAILHOME", &home).arg("-f").arg(&rc),
            None,
            TOOL_LIMIT,
        );
        (ran.code, std::fs::read_to_string(&out).unwrap_or_default(), ran.said())
    };
    // POP3, keep: both messages arrive, both stay on the server.
    let (code, text, said) = fetch("pop3", "mail", "POP3", "taro@example.ac.jp", "s3cret", "keep");
    assert_eq!(code, Some(0), "{said}");
    assert!(text.contains("Subject: one for POP3") && text.contains("two for POP3, fetched"), "{text}");
    assert!(text.contains("with POP3 (fetchmail-"), "fetchmail adds its Received: field: {text}");
    assert_eq!(pop_login(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret").1, 2, "keep");
    // Run again: nothing new (exit status 1), by the UIDs it remembered.
    let (code, text, said) = fetch("pop3", "mail", "POP3", "taro@example.ac.jp", "s3cret", "keep");
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(text.matches("Subject: one for POP3").count(), 1, "{text}");
    // IMAP, nokeep: the message arrives and is expunged on the server.
    let (code, text, said) = fetch("imap", "mail-net", "IMAP", "friend@example.net", "fr1end", "nokeep");
    assert_eq!(code, Some(0), "{said}");
    assert!(text.contains("Subject: one for IMAP") && text.contains("with IMAP (fetchmail-"), "{text}");
    assert_eq!(pop_login(&server.endpoint("mail-net", "pop3"), "friend@example.net", "fr1end").1, 0, "nokeep");
    let _ = std::fs::remove_dir_all(&home);
}

/// A getmail6 rc file: `retriever` lines, then a destination (its
/// `user = nobody` only when running as root, which getmail refuses), then
/// `options`.
fn getmail_rc(dir: &Path, name: &str, retriever: &str, destination: &str, options: &str) -> PathBuf {
    let rc = dir.join(name);
    let user = if running_as_root() { "user = nobody\n" } else { "" };
    std::fs::write(&rc, format!("[retriever]\n{retriever}\n[destination]\n{destination}{user}\n[options]\n{options}"))
        .expect("getmailrc");
    rc
}

/// getmail6 (the `getmail` command): SimplePOP3Retriever into a Maildir,
/// leaving the mail on the server and fetching only what is new on a
/// second run; SimpleIMAPRetriever into an mboxrd file, deleting on the
/// server.
#[test]
fn getmail_retrieves_by_pop3_and_imap() {
    if !tools("serve::getmail_retrieves_by_pop3_and_imap", &["getmail"]) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let server = serve("labs/serve-lab.yaml", "getmail");
    let smtp = server.endpoint("mail", "smtp");
    let pop3 = server.endpoint("mail", "pop3");
    let (addr, imap_port) = server.endpoint("mail-net", "imap");
    submit(
        &smtp,
        "taro@example.ac.jp",
        "s3cret",
        "taro@example.ac.jp",
        "taro@example.ac.jp",
        "Subject: for getmail by POP3\r\n\r\nhello",
    );
    submit(
        &smtp,
        "taro@example.ac.jp",
        "s3cret",
        "taro@example.ac.jp",
        "friend@example.net",
        "Subject: for getmail by IMAP\r\n\r\nhello",
    );
    wait_for_mail(&pop3, "taro@example.ac.jp", "s3cret", 1);
    wait_for_mail(&server.endpoint("mail-net", "pop3"), "friend@example.net", "fr1end", 1);
    let dir = client_dir("getmail");
    let maildir = dir.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("Maildir");
        std::fs::set_permissions(maildir.join(sub), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    std::fs::set_permissions(&maildir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let mbox = dir.join("mbox");
    std::fs::write(&mbox, "").expect("mbox");
    std::fs::set_permissions(&mbox, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let pop_rc = getmail_rc(
        &dir,
        "pop3.rc",
        &format!(
            "type = SimplePOP3Retriever\nserver = {}\nport = {}\nusername = taro@example.ac.jp\npassword = s3cret\n",
            pop3.0, pop3.1
        ),
        &format!("type = Maildir\npath = {}/\n", maildir.display()),
        "read_all = false\ndelete = false\n",
    );
    let imap_rc = getmail_rc(
        &dir,
        "imap.rc",
        &format!(
            "type = SimpleIMAPRetriever\nserver = {addr}\nport = {imap_port}\nusername = friend@example.net\npassword = fr1end\nmailboxes = (\"INBOX\",)\n"
        ),
        &format!("type = Mboxrd\npath = {}\n", mbox.display()),
        "read_all = true\ndelete = true\n",
    );
    let getmail = |rc: &Path| {
        let out = bounded(
            Command::new("getmail").env("HOME", &dir).arg("--getmaildir").arg(&dir).arg("--rcfile").arg(rc),
            None,
            TOOL_LIMIT,
        );
        let said = out.said();
        assert!(out.ok() && !said.contains("error"), "getmail failed: {said}");
        said
    };
    let in_maildir = || -> Vec<String> {
        let mut texts = Vec::new();
        for sub in ["new", "cur"] {
            for e in std::fs::read_dir(maildir.join(sub)).expect("Maildir").flatten() {
                texts.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        texts
    };
    // POP3 into the Maildir: one message, left on the server.
    let said = getmail(&pop_rc);
    assert!(said.contains("1 messages"), "{said}");
    let texts = in_maildir();
    assert!(texts.len() == 1 && texts[0].contains("Subject: for getmail by POP3"), "{texts:?}");
    assert_eq!(pop_login(&pop3, "taro@example.ac.jp", "s3cret").1, 1, "delete = false");
    // Again: getmail remembers the UIDL and takes nothing.
    let said = getmail(&pop_rc);
    assert!(said.contains("0 messages"), "{said}");
    assert_eq!(in_maildir().len(), 1);
    // IMAP into the mbox file, deleted on the server.
    let said = getmail(&imap_rc);
    assert!(said.contains("1 messages") && said.contains("deleted"), "{said}");
    let text = std::fs::read_to_string(&mbox).unwrap_or_default();
    assert!(text.starts_with("From taro@example.ac.jp ") && text.contains("Subject: for getmail by IMAP"), "{text}");
    assert_eq!(imap_count(&(addr.clone(), imap_port), "friend@example.net", "fr1end", "INBOX"), 0, "delete = true");
    let _ = std::fs::remove_dir_all(&dir);
}

/// offlineimap3 syncs an account with a local Maildir (`-o`, one sync):
/// the INBOX and the special-use folders come down; then a message deleted
/// locally is expunged on the server and one written into the local Sent
/// folder is uploaded (APPENDUID gives offlineimap its UID).
#[test]
fn offlineimap_syncs_a_maildir_with_serve() {
    if !tools("serve::offlineimap_syncs_a_maildir_with_serve", &["offlineimap"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "offlineimap");
    let imap_ep = server.endpoint("mail", "imap");
    let pop3 = server.endpoint("mail", "pop3");
    submit(
        &server.endpoint("mail", "smtp"),
        "taro@example.ac.jp",
        "s3cret",
        "x@example.org",
        "taro@example.ac.jp",
        "Subject: for offlineimap\r\n\r\nsynced",
    );
    wait_for_mail(&pop3, "taro@example.ac.jp", "s3cret", 1);
    let dir = client_dir("offlineimap");
    let mail = dir.join("mail");
    let rc = dir.join("offlineimaprc");
    std::fs::write(
        &rc,
        format!(
            "[general]\naccounts = lab\nmetadata = {}\n\n\
             [Account lab]\nlocalrepository = near\nremoterepository = far\n\n\
             [Repository near]\ntype = Maildir\nlocalfolders = {}\n\n\
             [Repository far]\ntype = IMAP\nremotehost = {}\nremoteport = {}\n\
             remoteuser = taro@example.ac.jp\nremotepass = s3cret\nssl = no\nstarttls = no\n",
            dir.join("meta").display(),
            mail.display(),
            imap_ep.0,
            imap_ep.1
        ),
    )
    .expect("offlineimaprc");
    let sync = || {
        let out = bounded(
            Command::new("offlineimap").env("HOME", &dir).arg("-c").arg(&rc).args(["-o", "-u", "basic"]),
            None,
            TOOL_LIMIT,
        );
        let said = out.said();
        assert!(out.ok() && !said.contains("ERROR"), "offlineimap failed: {said}");
    };
    let files = |folder: &str| -> Vec<PathBuf> {
        let mut all = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(d) = std::fs::read_dir(mail.join(folder).join(sub)) {
                all.extend(d.flatten().map(|e| e.path()));
            }
        }
        all
    };
    sync();
    let inbox = files("INBOX");
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let text = std::fs::read_to_string(&inbox[0]).unwrap_or_default();
    assert!(text.contains("Subject: for offlineimap") && text.contains("synced"), "{text}");
    for folder in ["Sent", "Drafts", "Trash", "Junk"] {
        assert!(mail.join(folder).join("cur").is_dir(), "{folder} not created locally");
    }
    // Offline: delete the message, write one into Sent; sync again.
    std::fs::remove_file(&inbox[0]).expect("delete locally");
    std::fs::write(
        mail.join("Sent/new/1.written-offline"),
        "Subject: written offline\nFrom: taro@example.ac.jp\n\nup\n",
    )
    .expect("write into Sent");
    sync();
    assert_eq!(pop_login(&pop3, "taro@example.ac.jp", "s3cret").1, 0, "the deletion reached the server");
    assert_eq!(imap_count(&imap_ep, "taro@example.ac.jp", "s3cret", "Sent"), 1, "the upload reached Sent");
    let sent = files("Sent");
    // offlineimap renames the file with the UID the server gave (APPENDUID).
    assert!(sent.len() == 1 && sent[0].to_string_lossy().contains(",U=1,"), "{sent:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// msmtp sends with everything on its command line (no config file):
/// `--auth=plain` with the password from `--passwordeval`, `--tls=off`;
/// relaying to another domain is allowed after the login and the message is
/// read back by POP3.
#[test]
fn msmtp_sends_with_auth() {
    if !tools("serve::msmtp_sends_with_auth", &["msmtp"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "msmtp");
    let (addr, port) = server.endpoint("mail", "smtp");
    let home = client_dir("msmtp");
    let out = bounded(
        Command::new("msmtp").env("HOME", &home).args([
            &format!("--host={addr}"),
            &format!("--port={port}"),
            "--auth=plain",
            "--user=taro@example.ac.jp",
            "--passwordeval=echo s3cret",
            "--tls=off",
            "--from=taro@example.ac.jp",
            "--",
            "friend@example.net",
        ]),
        Some(b"From: taro@example.ac.jp\nTo: friend@example.net\nSubject: by msmtp\n\nHello from msmtp.\n"),
        TOOL_LIMIT,
    );
    assert!(out.ok(), "msmtp failed: {}", out.said());
    let text = wait_for_mail(&server.endpoint("mail-net", "pop3"), "friend@example.net", "fr1end", 1);
    assert!(text.contains("Subject: by msmtp") && text.contains("Hello from msmtp."), "{text}");
    assert!(text.contains("with ESMTPA"), "{text}");
    // msmtp adds the fields a message needs (RFC 5322 §3.6): Date and Message-ID.
    assert!(text.contains("Date: ") && text.contains("Message-ID: <"), "{text}");
    let _ = std::fs::remove_dir_all(&home);
}

/// Postfix's own SMTP test client, smtp-source, as the sender: two
/// sessions, four messages of 1 KB to a local mailbox (the load bench/serve.sh
/// drives at scale), all stored and readable over POP3.
#[test]
fn postfix_smtp_source_sends_to_serve() {
    if !tools("serve::postfix_smtp_source_sends_to_serve", &["smtp-source"]) {
        return;
    }
    let server = serve("labs/serve-lab.yaml", "smtp-source");
    let (addr, port) = server.endpoint("mail", "smtp");
    let out = bounded(
        Command::new("smtp-source")
            .args(["-s", "2", "-m", "4", "-l", "1024", "-f", "friend@example.net", "-t", "taro@example.ac.jp"])
            .args(["-S", "from smtp-source", &format!("{addr}:{port}")]),
        None,
        TOOL_LIMIT,
    );
    assert!(out.ok(), "smtp-source failed: {}", out.said());
    let text = wait_for_mail(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret", 4);
    assert!(text.contains("Subject: from smtp-source"), "{text}");
}

/// A session's last reply is held back only until the close: after QUIT
/// the client reads the 221 and then the end of the stream, with nothing
/// left waiting (see `AsyncStream::closing`).
#[test]
fn the_reply_to_quit_arrives_and_then_the_close() {
    let server = serve("labs/serve-lab.yaml", "quit-close");
    let mut c = Client::connect(&server.endpoint("mail", "smtp"));
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO pc.example", "250");
    c.send("QUIT");
    let mut rest = String::new();
    c.r.read_to_string(&mut rest).expect("the reply and the end of the stream, within the read timeout");
    assert!(rest.starts_with("221 ") && rest.ends_with("\r\n") && rest.lines().count() == 1, "{rest:?}");
}

/// No segment the server can spare (tshark on loopback, as root): the
/// 221 and the FIN leave in one segment, not a reply and a FIN of its own,
/// and the client's first command is acknowledged by the reply to it, not
/// by an empty ACK first.
#[test]
fn serve_sends_no_spare_segments() {
    if !tools("serve::serve_sends_no_spare_segments", &["tshark"]) {
        return;
    }
    if !running_as_root() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: serve::serve_sends_no_spare_segments captures on loopback, which needs root"
        );
        return;
    }
    let server = serve("labs/serve-lab.yaml", "spare-segments");
    let (address, port) = server.endpoint("mail", "smtp");
    let pcap = temp("quit-fin", "pcap");
    let mut shark = Kill(
        Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(&pcap)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tshark starts"),
    );
    // tshark says "Capture started." once dumpcap captures ("Capturing on
    // 'Loopback: lo'" comes before that).
    let mut said = BufReader::new(shark.0.stderr.take().expect("tshark's stderr"));
    let mut line = String::new();
    while !line.contains("Capture started") {
        line.clear();
        if said.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("tshark ended before it captured");
        }
    }
    let mut c = Client::connect(&(address, port));
    assert!(c.reply().starts_with("220"));
    c.smtp("EHLO pc.example", "250");
    c.smtp("QUIT", "221");
    let mut rest = Vec::new();
    let _ = c.r.read_to_end(&mut rest);
    drop(c);
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT: tshark writes out what it captured and ends.
    let pid = libc::pid_t::try_from(shark.0.id()).expect("pid");
    // SAFETY: kill(2) with a child's pid and a signal number; no memory is touched.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let _ = shark.0.wait();
    let ran = bounded(
        Command::new("tshark")
            .arg("-r")
            .arg(&pcap)
            .args(["-Y", &format!("tcp.srcport == {port} && tcp.flags.syn == 0"), "-T", "fields"])
            .args(["-e", "tcp.flags.fin", "-e", "tcp.len", "-e", "tcp.payload"]),
        None,
        TOOL_LIMIT,
    );
    let _ = std::fs::remove_file(&pcap);
    let fields = String::from_utf8_lossy(&ran.stdout);
    let segments: Vec<Vec<&str>> =
        fields.lines().filter(|l| !l.trim().is_empty()).map(|l| l.split('\t').collect()).collect();
    let fin = |s: &[&str]| s.first().is_some_and(|f| *f == "1" || *f == "True");
    // Up to the FIN every segment of the server carries a reply: 220, 250, 221.
    let upto = segments.iter().position(|s| fin(s)).map_or(segments.len(), |i| i + 1);
    let empty = segments[..upto].iter().filter(|s| s.get(1) == Some(&"0")).count();
    assert_eq!(empty, 0, "empty ACKs from the server before its FIN:\n{fields}");
    // 221 is 32 32 31 in hex: the last segment with data is the reply, with the FIN set.
    let last = segments.iter().rfind(|s| s.get(1).is_some_and(|n| *n != "0")).cloned().unwrap_or_default();
    assert!(fin(&last) && last.get(2).is_some_and(|p| p.starts_with("323231")), "{fields}");
}

/// Under serve, an address literal reaches only the lab: the host's own
/// real address is the host itself (local delivery, no loop through its
/// own port), and an address of no lab host is refused instead of becoming
/// a connection to another real machine.
#[test]
fn literals_under_serve_stay_inside_the_lab() {
    let yaml = std::fs::read_to_string("labs/serve-lab.yaml").expect("fixture");
    let (server, log) = serve_json(&yaml, "literal-lab");
    let smtp = server.endpoint("mail", "smtp");
    let own = format!("taro@[{}]", smtp.0);
    submit(&smtp, "taro@example.ac.jp", "s3cret", "taro@example.ac.jp", &own, "Subject: own\r\n\r\nhi\r\n");
    let text = wait_for_mail(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret", 1);
    assert!(text.contains("Subject: own"), "{text}");
    submit(&smtp, "taro@example.ac.jp", "s3cret", "taro@example.ac.jp", "x@[127.0.0.77]", "Subject: out\r\n\r\nhi\r\n");
    assert!(wait_for(&log, "tcp.error", "127.0.0.77"), "no refused connection to 127.0.0.77 in the trace");
    let trace = std::fs::read_to_string(&log).expect("trace");
    assert!(!trace.contains("Too many hops"), "a loop through the host's own port");
    assert!(
        !trace.lines().any(|l| l.contains("\"tcp.connect\"") && l.contains("127.0.0.77")),
        "connected to an address outside the lab"
    );
}

/// Mail for taro in a fresh serve of serve-lab: its POP3 unique-id and the
/// INBOX's UIDVALIDITY as IMAP SELECT gives it, and the real time (in
/// seconds) before the lab started.
fn uidl_and_uidvalidity_of_a_fresh_lab(tag: &str) -> (String, u32, u64) {
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let server = serve("labs/serve-lab.yaml", tag);
    let smtp = server.endpoint("mail", "smtp");
    submit(&smtp, "taro@example.ac.jp", "s3cret", "taro@example.ac.jp", "taro@example.ac.jp", "Subject: x\r\n\r\nhi");
    wait_for_mail(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret", 1);
    let (mut p, _) = pop_login(&server.endpoint("mail", "pop3"), "taro@example.ac.jp", "s3cret");
    p.pop("UIDL");
    let uidl = p.pop_lines();
    p.pop("QUIT");
    let mut i = Client::connect(&server.endpoint("mail", "imap"));
    assert!(i.line().starts_with("* OK"));
    i.send("a LOGIN taro@example.ac.jp s3cret");
    while !i.line().starts_with("a ") {}
    i.send("b SELECT INBOX");
    let mut validity = None;
    loop {
        let l = i.line();
        if let Some(v) = l.strip_prefix("* OK [UIDVALIDITY ").and_then(|r| r.split(']').next()) {
            validity = v.parse().ok();
        }
        if l.starts_with("b ") || l.is_empty() {
            break;
        }
    }
    (uidl.trim_end().to_string(), validity.expect("SELECT gives a UIDVALIDITY"), started)
}

/// A lab started again must not give a new message the unique-id of one a
/// client saw before (RFC 1939 §7), and its mailboxes a greater UIDVALIDITY
/// (RFC 3501 §2.3.1.1): fetchmail with `keep` skipped new mail after every
/// restart when both started at 1. The UIDVALIDITY is the real time the
/// lab started, as Dovecot's is the time a mailbox was created.
#[test]
fn a_restarted_lab_gives_new_uidvalidity_and_unique_ids() {
    let (uidl1, v1, t1) = uidl_and_uidvalidity_of_a_fresh_lab("restart1");
    assert!(v1 as u64 >= t1 && (v1 as u64) < t1 + 60, "UIDVALIDITY {v1} is not the time the lab started ({t1})");
    assert_eq!(uidl1, format!("1 00000001{v1:08X}"), "Dovecot's %08Xu%08Xv");
    // The next start falls in a later second.
    while std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() <= v1 as u64 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (uidl2, v2, _) = uidl_and_uidvalidity_of_a_fresh_lab("restart2");
    assert!(v2 > v1, "UIDVALIDITY {v2} after a restart, {v1} before");
    assert_ne!(uidl2, uidl1, "the new message has the old one's unique-id");
    assert_eq!(uidl2, format!("1 00000001{v2:08X}"));
}
