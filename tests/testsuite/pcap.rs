//! The pcap file of every shipped scenario. Read back in Rust (pcap-file,
//! etherparse), everywhere: every packet is Ethernet/IPv4/TCP or UDP, TCP
//! sequence numbers run on without gaps, DNS datagrams decode, and the SMTP
//! commands in the TCP streams are the ones in the trace. Read by tshark
//! (Wireshark's command line; needs `tshark`): SMTP, POP, IMAP and DNS
//! decode with no malformed packets, and tshark sees the same SMTP commands.

use crate::common;
use crate::support::{bounded, tools};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use maillab::trace::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::process::Command;

const VERBS: [&str; 10] = ["HELO", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "STARTTLS"];

/// The SMTP commands of a run as the trace has them (AUTH with its mechanism
/// only), sorted; those that crossed the network inside TLS (`tls: true`)
/// cannot be read in a capture and are left out.
fn trace_commands(events: &[maillab::trace::Event]) -> Vec<String> {
    let mut want: Vec<String> = events
        .iter()
        .filter(|e| e.kind == Kind::SmtpCmd)
        .filter(|e| e.fields.get(maillab::trace::Field::Tls).is_none())
        .filter_map(|e| e.line.clone())
        .filter(|l| VERBS.contains(&l.split(' ').next().unwrap_or("").to_ascii_uppercase().as_str()))
        .map(|l| if l.starts_with("AUTH") { l.split(' ').take(2).collect::<Vec<_>>().join(" ") } else { l })
        .collect();
    want.sort();
    want
}

/// Every shipped scenario's capture, written to a file in a temp folder.
fn captures(tag: &str) -> Vec<(String, std::path::PathBuf, Vec<maillab::trace::Event>)> {
    let dir = std::env::temp_dir().join(format!("maillab-pcap-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    common::scenario_names()
        .into_iter()
        .map(|name| {
            let (_, r) = common::run(&name);
            let file = dir.join(format!("{name}.pcap"));
            let f = std::fs::File::create(&file).expect("create");
            maillab::trace::pcap::write(&r.events, f).expect("write pcap");
            (name, file, r.events)
        })
        .collect()
}

type Flow = (Ipv4Addr, u16, Ipv4Addr, u16);

#[test]
fn captures_parse_and_carry_the_traced_smtp_commands() {
    let mut protocols = BTreeSet::new();
    for (name, file, events) in captures("rust") {
        let bytes = std::fs::read(&file).expect("read pcap");
        let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).expect("a pcap header");
        assert_eq!(reader.header().datalink, pcap_file::DataLink::ETHERNET, "{name}");
        // Per TCP flow: the next sequence number and the bytes so far.
        let mut next_seq: BTreeMap<Flow, u32> = BTreeMap::new();
        let mut streams: BTreeMap<Flow, Vec<u8>> = BTreeMap::new();
        let mut last_t = std::time::Duration::ZERO;
        let mut n = 0;
        while let Some(p) = reader.next_packet() {
            let p = p.unwrap_or_else(|e| panic!("{name}: packet {n}: {e}"));
            n += 1;
            assert!(p.timestamp >= last_t, "{name}: packet {n} is earlier than the one before");
            last_t = p.timestamp;
            let s = SlicedPacket::from_ethernet(&p.data).unwrap_or_else(|e| panic!("{name}: packet {n}: {e}"));
            let Some(NetSlice::Ipv4(ip)) = &s.net else { panic!("{name}: packet {n} is not IPv4") };
            let (src, dst) = (ip.header().source_addr(), ip.header().destination_addr());
            match &s.transport {
                Some(TransportSlice::Tcp(t)) => {
                    let flow = (src, t.source_port(), dst, t.destination_port());
                    if let Some(want) = next_seq.get(&flow) {
                        assert!(t.syn() || t.sequence_number() == *want, "{name}: packet {n}: a gap in {flow:?}");
                    }
                    let used = t.payload().len() as u32 + u32::from(t.syn() || t.fin());
                    next_seq.insert(flow, t.sequence_number().wrapping_add(used));
                    streams.entry(flow).or_default().extend_from_slice(t.payload());
                    for (port, proto) in [(25, "smtp"), (587, "smtp"), (110, "pop"), (143, "imap")] {
                        if !t.payload().is_empty() && (t.source_port() == port || t.destination_port() == port) {
                            protocols.insert(proto);
                        }
                    }
                }
                Some(TransportSlice::Udp(u)) if u.destination_port() == 53 => {
                    assert!(maillab::proto::dns::decode_query(u.payload()).is_ok(), "{name}: packet {n}: a bad query");
                    protocols.insert("dns");
                }
                Some(TransportSlice::Udp(u)) if u.source_port() == 53 => {
                    let r = maillab::proto::dns::decode_response(u.payload());
                    assert!(r.is_ok(), "{name}: packet {n}: a bad DNS answer");
                }
                _ => panic!("{name}: packet {n} is neither TCP nor DNS over UDP"),
            }
        }
        assert!(n > 0, "{name}: an empty capture");
        // The SMTP commands in the client streams; message text (after a DATA
        // the server answered with 354) is not commands.
        let mut seen = Vec::new();
        for ((src, sport, dst, dport), data) in streams.iter().filter(|((_, _, _, p), _)| *p == 25 || *p == 587) {
            let replies = streams.get(&(*dst, *dport, *src, *sport)).map(|r| String::from_utf8_lossy(r).into_owned());
            let replies = replies.unwrap_or_default();
            let tls_ready = replies.contains("\r\n220 2.0.0 Ready to start TLS\r\n");
            let mut accepted = replies.split("\r\n").filter(|l| l.starts_with("354")).count();
            let mut in_text = false;
            for line in String::from_utf8_lossy(data).split("\r\n") {
                if in_text {
                    in_text = line != ".";
                    continue;
                }
                let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                if !VERBS.contains(&verb.as_str()) {
                    continue;
                }
                if verb == "DATA" && accepted > 0 {
                    accepted -= 1;
                    in_text = true;
                }
                seen.push(if verb == "AUTH" {
                    line.split(' ').take(2).collect::<Vec<_>>().join(" ")
                } else {
                    line.into()
                });
                if verb == "STARTTLS" && tls_ready {
                    // What follows is TLS records: nothing more to read.
                    break;
                }
            }
        }
        seen.sort();
        assert_eq!(seen, trace_commands(&events), "{name}: SMTP commands differ between capture and trace");
    }
    for p in ["smtp", "pop", "imap", "dns"] {
        assert!(protocols.contains(p), "no shipped scenario's capture has {p}");
    }
}

fn tshark(args: &[&str]) -> String {
    let out = bounded(Command::new("tshark").args(args), None, std::time::Duration::from_secs(120));
    assert!(
        out.ok(),
        "tshark {args:?} failed ({:?}, killed: {}):\n{}",
        out.code,
        out.killed,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decodes_every_capture() {
    if !tools("pcap::tshark_decodes_every_capture", &["tshark"]) {
        return;
    }
    let mut protocols = BTreeSet::new();
    for (name, file, events) in captures("tshark") {
        let path = file.to_str().expect("a UTF-8 temp path");
        let malformed = tshark(&["-r", path, "-Y", "_ws.malformed || _ws.expert.severity == error"]);
        assert!(malformed.trim().is_empty(), "{name}: tshark reports malformed packets:\n{malformed}");
        for p in ["smtp", "pop", "imap", "dns"] {
            if !tshark(&["-r", path, "-Y", p]).trim().is_empty() {
                protocols.insert(p);
            }
        }
        // The SMTP commands, as tshark decodes them and as the trace has them.
        // The capture is ordered by send time, the trace by arrival at the server: compare sorted.
        let mut seen: Vec<String> = tshark(&[
            "-r",
            path,
            "-Y",
            "smtp.req.command",
            "-T",
            "fields",
            "-e",
            "smtp.req.command",
            "-e",
            "smtp.req.parameter",
        ])
        .lines()
        .map(|l| {
            let (v, p) = l.split_once('\t').unwrap_or((l, ""));
            if v == "AUTH" {
                format!("AUTH {}", p.split(' ').next().unwrap_or(""))
            } else if (v, p) == ("STAR", "TLS") {
                // tshark splits STARTTLS after four letters, as other verbs.
                "STARTTLS".into()
            } else {
                format!("{v} {p}").trim_end().to_string()
            }
        })
        .collect();
        seen.sort();
        // tshark shows each octet of a UTF-8 address (SMTPUTF8) as U+FFFD.
        let mut traced: Vec<String> = trace_commands(&events)
            .into_iter()
            .map(|c| {
                c.chars()
                    .flat_map(|ch| {
                        std::iter::repeat_n(
                            if ch.is_ascii() { ch } else { '\u{FFFD}' },
                            if ch.is_ascii() { 1 } else { ch.len_utf8() },
                        )
                    })
                    .collect()
            })
            .collect();
        traced.sort();
        assert_eq!(seen, traced, "{name}: SMTP commands differ between capture and trace");
    }
    for p in ["smtp", "pop", "imap", "dns"] {
        assert!(protocols.contains(p), "no shipped scenario's capture has {p}");
    }
}

/// In the eavesdrop scenario's capture tshark reads the password of the
/// AUTH PLAIN in the clear, and sees the TLS handshakes (the client's
/// server name, the lab's TLS 1.3) but no AUTH in the session under STARTTLS;
/// likewise POP3's PASS in the clear, and no IMAP LOGIN after STARTTLS.
#[test]
fn tshark_reads_the_clear_password_and_only_tls_after_starttls() {
    if !tools("pcap::tshark_reads_the_clear_password_and_only_tls_after_starttls", &["tshark"]) {
        return;
    }
    let (_, r) = common::run("eavesdrop");
    let file = std::env::temp_dir().join(format!("maillab-eavesdrop-{}.pcap", std::process::id()));
    maillab::trace::pcap::write(&r.events, std::fs::File::create(&file).expect("create")).expect("write pcap");
    let path = file.to_str().expect("a UTF-8 temp path");
    let auth = tshark(&[
        "-r",
        path,
        "-Y",
        "smtp.req.command == \"AUTH\"",
        "-T",
        "fields",
        "-e",
        "ip.dst",
        "-e",
        "smtp.req.parameter",
    ]);
    // base64 of NUL taro@example.ac.jp NUL s3cret, to the server without TLS only.
    assert_eq!(auth.trim(), "192.0.2.10\tPLAIN AHRhcm9AZXhhbXBsZS5hYy5qcABzM2NyZXQ=", "{auth}");
    let hellos = tshark(&[
        "-r",
        path,
        "-Y",
        "tls.handshake.type == 1",
        "-T",
        "fields",
        "-e",
        "ip.dst",
        "-e",
        "tls.handshake.extensions_server_name",
    ]);
    assert!(hellos.contains("192.0.2.11\tsmtp.example.ac.jp"), "{hellos}");
    let versions = tshark(&[
        "-r",
        path,
        "-Y",
        "tls.handshake.type == 2",
        "-T",
        "fields",
        "-e",
        "tls.handshake.extensions.supported_version",
    ]);
    assert!(versions.lines().all(|l| l.trim() == "0x0304"), "TLS 1.3 everywhere: {versions}");
    let records = tshark(&["-r", path, "-Y", "tls.app_data && ip.dst == 192.0.2.11"]);
    assert!(!records.trim().is_empty(), "the session under STARTTLS carries TLS application data");
    // Reading mail: POP3's PASS in the clear, IMAP's LOGIN only inside STARTTLS.
    let pass =
        tshark(&["-r", path, "-Y", "pop.request.command == \"PASS\"", "-T", "fields", "-e", "pop.request.parameter"]);
    assert_eq!(pass.trim(), "hunter2", "{pass}");
    let imap = tshark(&["-r", path, "-Y", "imap.request", "-T", "fields", "-e", "imap.request"]);
    assert!(imap.contains("STARTTLS") && !imap.to_ascii_uppercase().contains("LOGIN"), "IMAP in the clear: {imap}");
    let imap_tls = tshark(&["-r", path, "-Y", "tls.app_data && tcp.port == 143"]);
    assert!(!imap_tls.trim().is_empty(), "the IMAP session under STARTTLS carries TLS application data");
    let _ = std::fs::remove_file(&file);
}

/// With SSLKEYLOGFILE set, the run writes the TLS session keys, and tshark
/// decrypts the sessions under STARTTLS and on 465: the password is there too.
#[test]
fn a_key_log_lets_tshark_decrypt_the_tls_sessions() {
    if !tools("pcap::a_key_log_lets_tshark_decrypt_the_tls_sessions", &["tshark"]) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("maillab-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (keys, pcap) = (dir.join("keys.txt"), dir.join("eavesdrop.pcap"));
    let status = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "scenarios/eavesdrop.yaml", "--pcap"])
        .arg(&pcap)
        .env("SSLKEYLOGFILE", &keys)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("maillab runs");
    assert!(status.success());
    let keylog = format!("tls.keylog_file:{}", keys.display());
    let path = pcap.to_str().expect("a UTF-8 temp path");
    let auth =
        tshark(&["-r", path, "-o", &keylog, "-Y", "smtp.req.command == \"AUTH\"", "-T", "fields", "-e", "ip.dst"]);
    assert_eq!(auth.lines().collect::<Vec<_>>(), ["192.0.2.10", "192.0.2.11", "192.0.2.11"], "{auth}");
    let _ = std::fs::remove_dir_all(&dir);
}
