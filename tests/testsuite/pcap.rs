//! The pcap file of every shipped scenario, read by tshark (Wireshark's
//! command line): SMTP, POP, IMAP and DNS decode with no malformed packets,
//! and the SMTP commands tshark sees are the ones in the trace.

use crate::common;

use std::process::Command;

const VERBS: [&str; 9] = ["HELO", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"];

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark").args(args).output().expect("tshark is installed (see .ci/run)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decodes_every_capture() {
    let names = common::scenario_names();
    let dir = std::env::temp_dir().join(format!("maillab-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut protocols = std::collections::BTreeSet::new();
    for name in names {
        let (_, r) = common::run(&name);
        let file = dir.join(format!("{name}.pcap"));
        let f = std::fs::File::create(&file).expect("create");
        maillab::trace::pcap::write(&r.events, f).expect("write pcap");
        let path = file.to_str().unwrap_or_default();
        let malformed = tshark(&["-r", path, "-Y", "_ws.malformed || _ws.expert.severity == error"]);
        assert!(malformed.trim().is_empty(), "{name}: tshark reports malformed packets:\n{malformed}");
        for p in ["smtp", "pop", "imap", "dns"] {
            if !tshark(&["-r", path, "-Y", p]).trim().is_empty() {
                protocols.insert(p);
            }
        }
        // The SMTP commands, in order, as tshark decodes them and as the trace has them.
        let seen: Vec<String> = tshark(&[
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
            } else {
                format!("{v} {p}").trim_end().to_string()
            }
        })
        .collect();
        // The capture is ordered by send time, the trace by arrival at the server; compare per connection.
        let mut want: Vec<String> = r
            .events
            .iter()
            .filter(|e| e.kind == "smtp.cmd")
            .filter_map(|e| e.line.clone())
            .filter(|l| VERBS.contains(&l.split(' ').next().unwrap_or("").to_ascii_uppercase().as_str()))
            .map(|l| if l.starts_with("AUTH") { l.split(' ').take(2).collect::<Vec<_>>().join(" ") } else { l })
            .collect();
        let mut seen_sorted = seen.clone();
        seen_sorted.sort();
        want.sort();
        assert_eq!(seen_sorted, want, "{name}: SMTP commands differ between capture and trace");
    }
    for p in ["smtp", "pop", "imap", "dns"] {
        assert!(protocols.contains(p), "no shipped scenario's capture has {p}");
    }
}
