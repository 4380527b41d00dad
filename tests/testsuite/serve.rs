//! `maillab serve` on real loopback sockets, driven by clients we did not
//! write (Python's smtplib and poplib).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `maillab serve` on ports of its own; wait for the ready file.
fn serve(scenario: &str, base_port: u16, ready: &Path) -> Server {
    spawn_serve(Path::new(scenario), base_port, ready, Stdio::null(), "text")
}

/// Start `maillab serve FILE` on five ports from `base_port` (smtp, pop3,
/// imap, dns, http); wait until its ready file appears.
fn spawn_serve(file: &Path, base_port: u16, ready: &Path, stdout: Stdio, format: &str) -> Server {
    let _ = std::fs::remove_file(ready);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_maillab"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--format", format, "--ready-file"])
        .arg(ready)
        .arg(file);
    for (i, svc) in ["smtp", "pop3", "imap", "dns", "http"].iter().enumerate() {
        cmd.args(["--port", &format!("{svc}={}", base_port + i as u16)]);
    }
    let child = cmd.env("NO_COLOR", "1").stdout(stdout).stderr(Stdio::null()).spawn().expect("maillab starts");
    let server = Server(child);
    let t = Instant::now();
    while !ready.exists() {
        assert!(t.elapsed() < Duration::from_secs(20), "serve {} did not become ready", file.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    server
}

#[test]
fn python_smtplib_poplib_and_imaplib_against_serve() {
    let ready = std::env::temp_dir().join(format!("maillab-ready-{}.json", std::process::id()));
    let _server = serve("tests/fixtures/serve-lab.yaml", 25250, &ready);
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/clients.py"))
        .arg(&ready)
        .output()
        .expect("python3 is installed (see .ci/run)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "client checks failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("all client checks passed"), "{stdout}");
}

#[test]
fn ready_file_lists_endpoints_and_client_settings() {
    let ready = std::env::temp_dir().join(format!("maillab-ready2-{}.json", std::process::id()));
    let _server = serve("tests/fixtures/serve-lab.yaml", 25260, &ready);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ready).expect("ready file")).expect("JSON");
    let eps = v["endpoints"].as_array().expect("endpoints");
    let find = |host: &str, svc: &str| eps.iter().find(|e| e["host"] == host && e["service"] == svc).cloned();
    let smtp = find("mail", "smtp").expect("mail smtp");
    assert_eq!(smtp["address"], "127.0.2.25");
    assert_eq!(smtp["port"], 25260);
    assert_eq!(find("mail-net", "pop3").expect("pop3")["address"], "127.51.100.30");
    assert!(find("ns", "dns").is_some());
    let clients = v["clients"].as_array().expect("clients");
    assert!(clients.iter().any(|c| c["user"] == "taro@example.ac.jp" && c["incoming_protocol"] == "IMAP"));
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let l = std::net::TcpListener::bind("127.0.2.25:25270").expect("bind a port first");
    let out = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "tests/fixtures/serve-lab.yaml", "--port", "smtp=25270", "--port", "pop3=25271"])
        .args(["--port", "imap=25272", "--port", "dns=25273"])
        .output()
        .expect("runs");
    drop(l);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot listen on 127.0.2.25:25270"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd} is installed (see .ci/run): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn dig_curl_and_swaks_against_serve() {
    let ready = std::env::temp_dir().join(format!("maillab-ready3-{}.json", std::process::id()));
    let _server = serve("tests/fixtures/serve-lab.yaml", 25280, &ready);
    // dig: MX, A and a DNSBL look-up through the lab's DNS.
    let (ok, out) = run("dig", &["@127.0.2.53", "-p", "25283", "+short", "example.net", "MX"]);
    assert!(ok && out.trim() == "10 mail.example.net.", "{out}");
    let (ok, out) = run("dig", &["@127.0.2.53", "-p", "25283", "+short", "mail.example.ac.jp", "A"]);
    assert!(ok && out.trim() == "192.0.2.25", "{out}");
    let (ok, out) = run("dig", &["@127.0.2.53", "-p", "25283", "+short", "2.0.0.127.bl.example.org", "A"]);
    assert!(ok && out.trim() == "127.0.0.2", "{out}");
    let (ok, out) = run("dig", &["@127.0.2.53", "-p", "25283", "+tcp", "+short", "example.net", "MX"]);
    assert!(ok && out.trim() == "10 mail.example.net.", "DNS over TCP: {out}");
    let (ok, out) = run("dig", &["@127.0.2.53", "-p", "25283", "nosuch.example", "A"]);
    assert!(ok && out.contains("status: NXDOMAIN"), "{out}");
    // swaks: a refused relay and an accepted local delivery, as the server words them
    // (before any POP3 login from 127.0.0.1, which would open the relay for it).
    let (_, out) =
        run("swaks", &["--server", "127.0.2.25:25280", "--from", "x@example.org", "--to", "friend@example.net"]);
    assert!(out.contains("550 5.7.1 <friend@example.net>... Relaying denied"), "{out}");
    let (ok, out) =
        run("swaks", &["--server", "127.0.2.25:25280", "--from", "x@example.org", "--to", "taro@example.ac.jp"]);
    assert!(ok && out.contains("Message accepted for delivery"), "{out}");
    // curl: send with smtp://, read back with pop3://.
    let msg = std::env::temp_dir().join(format!("maillab-msg-{}.txt", std::process::id()));
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
            "smtp://127.0.2.25:25280",
            "--mail-from",
            "x@example.org",
            "--mail-rcpt",
            "taro@example.ac.jp",
            "--upload-file",
            msg_path,
        ],
    );
    assert!(ok, "{out}");
    let mut got = String::new();
    for _ in 0..50 {
        // Message 1 is the one swaks delivered; curl's is message 2.
        got = run("curl", &["-sS", "pop3://127.0.2.25:25281/2", "-u", "taro@example.ac.jp:s3cret"]).1;
        if got.contains("hello from curl") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(got.contains("Subject: by curl") && got.contains("Received: from"), "{got}");
    let (ok, list) = run("curl", &["-sS", "pop3://127.0.2.25:25281/", "-u", "taro@example.ac.jp:s3cret"]);
    assert!(ok && list.starts_with("1 "), "{list}");
    // curl with imap://: fetch by UID, and a search.
    let (ok, msg1) = run("curl", &["-sS", "imap://127.0.2.25:25282/INBOX;UID=2", "-u", "taro@example.ac.jp:s3cret"]);
    assert!(ok && msg1.contains("Subject: by curl"), "{msg1}");
    let (ok, found) =
        run("curl", &["-sS", "imap://127.0.2.25:25282/INBOX?SUBJECT%20curl", "-u", "taro@example.ac.jp:s3cret"]);
    assert!(ok && found.contains("SEARCH 2"), "{found}");
    // Autoconfig over HTTP, as Thunderbird asks for it.
    let (ok, xml) = run(
        "curl",
        &[
            "-sS",
            "http://127.0.2.25:25284/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=taro%40example.ac.jp",
        ],
    );
    assert!(ok && xml.contains("<clientConfig version=\"1.1\">") && xml.contains("<port>25282</port>"), "{xml}");
}

/// Start serve on a scenario text (written to a temp file), capturing the JSON trace.
fn serve_json(yaml: &str, tag: &str, base_port: u16) -> (Server, std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir();
    let file = dir.join(format!("maillab-{tag}-{}.yaml", std::process::id()));
    let ready = dir.join(format!("maillab-{tag}-{}.json", std::process::id()));
    let log = dir.join(format!("maillab-{tag}-{}.log", std::process::id()));
    std::fs::write(&file, yaml).expect("write scenario");
    let out = Stdio::from(std::fs::File::create(&log).expect("log file"));
    let server = spawn_serve(&file, base_port, &ready, out, "json");
    (server, ready, log)
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
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn two_serve_processes_join_into_one_mail_network() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let b_yaml = std::fs::read_to_string(root.join("tests/fixtures/join-b.yaml")).expect("join-b");
    let (_b, _ready_b, _log_b) = serve_json(&b_yaml, "join-b", 25300);
    // B's mailstore listens on 127.51.100.30:25300; A's scenario points its external host there.
    let a_yaml = std::fs::read_to_string(root.join("tests/fixtures/join-a.yaml"))
        .expect("join-a")
        .replace("EXTERNAL", "127.51.100.30:25300");
    let (_a, _ready_a, log_a) = serve_json(&a_yaml, "join-a", 25310);
    let script = r#"
import smtplib, poplib, sys, time
s = smtplib.SMTP("127.0.2.25", 25310, timeout=10)
s.login("taro@example.ac.jp", "s3cret")
assert s.sendmail("taro@example.ac.jp", ["friend@example.net"], "Subject: across machines\r\n\r\nhi\r\n") == {}
s.quit()
deadline = time.time() + 10
while True:
    p = poplib.POP3("127.51.100.30", 25301, timeout=10)
    p.user("friend@example.net"); p.pass_("fr1end")
    n = p.stat()[0]
    if n or time.time() > deadline: break
    p.quit(); time.sleep(0.2)
assert n == 1, n
text = b"\n".join(p.retr(1)[1])
assert text.index(b"by mail.example.net") < text.index(b"by mail.example.ac.jp"), text
p.quit()
print("joined")
"#;
    let out = Command::new("python3").args(["-c", script]).output().expect("python3");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(wait_for(&log_a, "relay", "handed to mail.example.net [198.51.100.30]"), "A's trace shows no relay to B");
}

#[test]
fn relays_to_postfix_smtp_sink_as_an_external_mx() {
    let port = 25320;
    // As root (as in CI) smtp-sink must be told whom to run as.
    let mut args = vec![format!("127.0.0.77:{port}"), "10".into()];
    if Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0")) {
        args.splice(0..0, ["-u".to_string(), "nobody".to_string()]);
    }
    let mut sink = Command::new("smtp-sink")
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("smtp-sink from the postfix package is installed (see .ci/run)");
    std::thread::sleep(Duration::from_millis(300));
    let a_yaml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/join-a.yaml"))
        .expect("join-a")
        .replace("EXTERNAL", &format!("127.0.0.77:{port}"));
    let (_a, _ready, log) = serve_json(&a_yaml, "sink", 25330);
    let script = r#"
import smtplib
s = smtplib.SMTP("127.0.2.25", 25330, timeout=10)
s.login("taro@example.ac.jp", "s3cret")
assert s.sendmail("taro@example.ac.jp", ["anyone@example.net"], "Subject: to the sink\r\n\r\nhi\r\n") == {}
s.quit()
"#;
    let out = Command::new("python3").args(["-c", script]).output().expect("python3");
    let relayed = wait_for(&log, "relay", "handed to mail.example.net");
    let _ = sink.kill();
    let _ = sink.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(relayed, "the message did not reach smtp-sink");
}

#[test]
fn clients_that_hang_up_mid_command_or_mid_data_do_no_harm() {
    use std::io::{BufRead, BufReader, Write};
    let ready = std::env::temp_dir().join(format!("maillab-ready4-{}.json", std::process::id()));
    let _server = serve("tests/fixtures/serve-lab.yaml", 25340, &ready);
    let talk = |lines: &[&[u8]]| {
        let s = std::net::TcpStream::connect("127.0.2.25:25340").expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut w = s;
        let mut greeting = String::new();
        r.read_line(&mut greeting).expect("greeting");
        assert!(greeting.starts_with("220 "), "{greeting}");
        for l in lines {
            w.write_all(l).expect("write");
        }
        // Hang up without QUIT.
    };
    talk(&[b"MAIL FR"]);
    talk(&[
        b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<taro@example.ac.jp>\r\nDATA\r\n",
        b"Subject: cut\r\n\r\nhalf a mess",
    ]);
    talk(&[&[0xff, 0xfe, 0x00, b'\r', b'\n'], &vec![b'A'; 5000]]);
    std::thread::sleep(Duration::from_millis(200));
    // The server still answers, and the half-sent message was not delivered.
    let out = Command::new("python3")
        .args([
            "-c",
            "import smtplib,poplib\ns=smtplib.SMTP('127.0.2.25',25340,timeout=5)\nprint(s.noop()[0])\ns.quit()\np=poplib.POP3('127.0.2.25',25341,timeout=5)\np.user('taro@example.ac.jp');p.pass_('s3cret')\nprint('messages',p.stat()[0])\np.quit()",
        ])
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("250") && text.contains("messages 0"), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_list_server_is_joined_with_python_over_real_sockets() {
    let ready = std::env::temp_dir().join(format!("maillab-ready-list-{}.json", std::process::id()));
    let _server = serve("scenarios/list-join.yaml", 25320, &ready);
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/list_join.py"))
        .arg(&ready)
        .output()
        .expect("python3 is installed (see .ci/run)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the join failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("list join over real sockets passed"), "{stdout}");
}
