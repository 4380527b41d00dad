//! A libpcap file of a simulated run, for Wireshark and tshark.
//!
//! The simulated network records every TCP segment and UDP datagram as a
//! `wire` event at the moment it is sent; this file turns them into
//! Ethernet/IPv4/TCP/UDP packets with the scenario's addresses and ports,
//! proper sequence and acknowledgement numbers, the handshake and the
//! teardown, and timestamps from virtual time.

use super::Event;
use super::{Field, Kind};
use base64::Engine as _;
use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::time::Duration;

/// Sequence state of one direction of a TCP connection.
#[derive(Clone, Copy, Default)]
struct Dir {
    next: u32,
}

fn mac(ip: &std::net::Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

/// The initial sequence number of one side of a connection: fixed by the
/// connection number, so the file is the same on every run.
fn isn(session: u64, client: bool) -> u32 {
    let x = session.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(if client { 1 } else { 0x5555 });
    (x >> 32) as u32
}

/// Build the packets (timestamp, bytes) of a trace.
pub fn packets(events: &[Event]) -> Vec<(Duration, Vec<u8>)> {
    let mut out = Vec::new();
    // Per connection: (client addr, client dir, server dir).
    let mut conns: BTreeMap<u64, (SocketAddrV4, Dir, Dir)> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == Kind::Wire) {
        let (Some(src), Some(dst)) = (
            e.field_str(Field::Src).and_then(|s| s.parse::<SocketAddrV4>().ok()),
            e.field_str(Field::Dst).and_then(|s| s.parse::<SocketAddrV4>().ok()),
        ) else {
            continue;
        };
        let data = e
            .field_str(Field::Data)
            .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
            .unwrap_or_default();
        let flags = e.field_str(Field::Flags).unwrap_or("");
        let t = Duration::from_micros(e.t.timestamp_micros().max(0) as u64);
        let base =
            PacketBuilder::ethernet2(mac(src.ip()), mac(dst.ip())).ipv4(src.ip().octets(), dst.ip().octets(), 64);
        let mut buf = Vec::new();
        if e.field_str(Field::Proto) == Some("udp") {
            let b = base.udp(src.port(), dst.port());
            if b.write(&mut buf, &data).is_ok() {
                out.push((t, buf));
            }
            continue;
        }
        let session = e.session.unwrap_or(0);
        let entry = conns
            .entry(session)
            .or_insert_with(|| (src, Dir { next: isn(session, true) }, Dir { next: isn(session, false) }));
        let from_client = src == entry.0;
        let (me, peer) = if from_client { (entry.1, entry.2) } else { (entry.2, entry.1) };
        let seq = me.next;
        let b = base.tcp(src.port(), dst.port(), seq, 64240);
        let b = match flags {
            "S" => b.syn(),
            "SA" => b.syn().ack(peer.next),
            "R" => b.rst().ack(peer.next),
            "F" => b.fin().ack(peer.next),
            "A" => b.ack(peer.next),
            _ => b.psh().ack(peer.next),
        };
        if b.write(&mut buf, &data).is_err() {
            continue;
        }
        out.push((t, buf));
        let used = data.len() as u32 + u32::from(matches!(flags, "S" | "SA" | "F"));
        let me_next = Dir { next: seq.wrapping_add(used) };
        if from_client {
            entry.1 = me_next;
        } else {
            entry.2 = me_next;
        }
        // The other side acknowledges a FIN at once, so the teardown is complete.
        if flags == "F" {
            let (other, other_dir) = if from_client { (entry.2, entry.1) } else { (entry.1, entry.2) };
            let ack = PacketBuilder::ethernet2(mac(dst.ip()), mac(src.ip()))
                .ipv4(dst.ip().octets(), src.ip().octets(), 64)
                .tcp(dst.port(), src.port(), other.next, 64240)
                .ack(other_dir.next);
            let mut b2 = Vec::new();
            if ack.write(&mut b2, &[]).is_ok() {
                out.push((t, b2));
            }
        }
    }
    out
}

/// Write the trace's traffic as a pcap file.
pub fn write(events: &[Event], w: impl std::io::Write) -> Result<usize, String> {
    let mut pw = PcapWriter::new(w).map_err(|e| e.to_string())?;
    let pkts = packets(events);
    for (t, data) in &pkts {
        pw.write_packet(&PcapPacket::new(*t, data.len() as u32, data)).map_err(|e| e.to_string())?;
    }
    Ok(pkts.len())
}
