#![no_main]
//! Any message to any of a list's three addresses, one after another: the
//! first byte picks the address and the envelope sender, the rest is the
//! message. A moderated list with digests, size limit and stripping, so
//! every path of the list server is reachable.
use libfuzzer_sys::fuzz_target;
use maillab::listserv::{Attachments, Cx, Delivery, Dest, Kind, List, ListConfig, Member, Others};

fuzz_target!(|data: &[u8]| {
    let mut c = ListConfig::new("ohanashi", "mailing-list.jp");
    c.admins = vec!["admin@example.org".into()];
    c.password = Some("pw".into());
    c.moderators = vec!["mod@example.org".into()];
    c.kind = Kind::Moderated;
    c.others = Others::Hold;
    c.max_size = Some(4000);
    c.attachments = Attachments::Strip;
    for (a, d) in [("a@example.org", Delivery::Each), ("b@example.org", Delivery::Digest)] {
        c.members.push(Member { address: a.into(), name: String::new(), delivery: d });
    }
    let mut list = List::new(c);
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    let mut k = 7u32;
    let mut key = move || {
        k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        k
    };
    // Several messages separated by a NUL byte, so command sequences (subscribe, then confirm) are reachable.
    for msg in data.split(|b| *b == 0) {
        let Some((&sel, body)) = msg.split_first() else { continue };
        let dest = match sel % 3 {
            0 => Dest::Post,
            1 => Dest::Ctl,
            _ => Dest::Admin,
        };
        let from = match (sel / 3) % 4 {
            0 => None,
            1 => Some("a@example.org"),
            2 => Some("mod@example.org"),
            _ => Some("admin@example.org"),
        };
        let mut cx = Cx { now: t, key: &mut key };
        let _ = list.receive(dest, from, body, &mut cx);
        if sel & 0x80 != 0 {
            let _ = list.digest(&cx);
        }
    }
});
