//! How times are written in mail headers and logs.
//!
//! Written by hand rather than with chrono's `format` (which interprets its
//! format string every call): `serve` writes several of these per message.
//! The tests hold them to chrono's rendering.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use std::fmt::Write as _;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The last two decimal digits of `v` (the fields of the dates below).
fn two(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
}

/// RFC 5322 date-time, as in Date: and Received: headers.
pub fn rfc5322(t: DateTime<FixedOffset>) -> String {
    fn put(s: &mut String, d: &(impl Datelike + Timelike), sign: char, off: i32) {
        let _ = write!(
            s,
            "{}, {} {} {:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            DAYS[d.weekday().num_days_from_monday() as usize],
            d.day(),
            MONTHS[d.month0() as usize],
            d.year(),
            d.hour(),
            d.minute(),
            d.second(),
            off / 3600,
            off / 60 % 60
        );
    }
    let mut s = String::with_capacity(32);
    let off = t.offset().local_minus_utc();
    let (sign, off) = if off < 0 { ('-', -off) } else { ('+', off) };
    // The local date and time worked out once (each of chrono's accessors
    // would add the offset again); at the very end of its range, the accessors.
    match t.naive_utc().checked_add_offset(*t.offset()) {
        // By hand in the common case (every message gets a Received: field).
        Some(n) if (1000..=9999).contains(&n.year()) => {
            s.push_str(DAYS[n.weekday().num_days_from_monday() as usize]);
            s.push_str(", ");
            let day = n.day();
            if day >= 10 {
                s.push(char::from(b'0' + (day / 10) as u8));
            }
            s.push(char::from(b'0' + (day % 10) as u8));
            s.push(' ');
            s.push_str(MONTHS[n.month0() as usize]);
            s.push(' ');
            let y = n.year() as u32;
            two(&mut s, y / 100);
            two(&mut s, y % 100);
            s.push(' ');
            two(&mut s, n.hour());
            s.push(':');
            two(&mut s, n.minute());
            s.push(':');
            two(&mut s, n.second());
            s.push(' ');
            s.push(sign);
            two(&mut s, (off / 3600) as u32);
            two(&mut s, (off / 60 % 60) as u32);
        }
        Some(n) => put(&mut s, &n, sign, off),
        None => put(&mut s, &t, sign, off),
    }
    s
}

/// Syslog's timestamp: `Apr  1 10:00:00`.
pub fn syslog_time(t: DateTime<FixedOffset>) -> String {
    let mut s = String::with_capacity(16);
    push_syslog_time(&mut s, t);
    s
}

/// [`syslog_time`], written onto the end of `s` (every maillog line starts with one).
/// Lines come many to a second: the text of the last second is kept (per thread) and copied.
pub fn push_syslog_time(s: &mut String, t: DateTime<FixedOffset>) {
    let key = (t.timestamp(), t.offset().local_minus_utc());
    LAST_SYSLOG_TIME.with_borrow_mut(|(last, text)| {
        if *last != Some(key) {
            text.clear();
            write_syslog_time(text, t);
            *last = Some(key);
        }
        s.push_str(text);
    });
}

thread_local! {
    /// The (second, offset) and text of the last syslog time written on this thread.
    static LAST_SYSLOG_TIME: std::cell::RefCell<(Option<(i64, i32)>, String)> =
        const { std::cell::RefCell::new((None, String::new())) };
}

fn write_syslog_time(s: &mut String, t: DateTime<FixedOffset>) {
    // The local date and time worked out once (each accessor would add the
    // offset again); at the very end of chrono's range, the accessors.
    let Some(n) = t.naive_utc().checked_add_offset(*t.offset()) else {
        let _ = write!(
            s,
            "{} {:>2} {:02}:{:02}:{:02}",
            MONTHS[t.month0() as usize],
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        return;
    };
    s.push_str(MONTHS[n.month0() as usize]);
    s.push(' ');
    let day = n.day();
    s.push(if day < 10 { ' ' } else { char::from(b'0' + (day / 10) as u8) });
    s.push(char::from(b'0' + (day % 10) as u8));
    s.push(' ');
    two(s, n.hour());
    s.push(':');
    two(s, n.minute());
    s.push(':');
    two(s, n.second());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_chronos_range_does_not_panic() {
        // The local time of the last UTC instant is past chrono's range east of Greenwich.
        let t = DateTime::<chrono::Utc>::MAX_UTC.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("offset"));
        assert!(syslog_time(t).ends_with(":59"), "{}", syslog_time(t));
        assert!(rfc5322(t).ends_with(":59 +0900"), "{}", rfc5322(t));
    }

    #[test]
    fn written_as_chrono_writes_them() {
        let zones = [0, 9 * 3600, -5 * 3600, 5 * 3600 + 30 * 60, -(3 * 3600 + 30 * 60), 45 * 60];
        let times = [
            -2_208_988_800i64,
            -1,
            0,
            86_399,
            951_782_400,
            1_712_000_000,
            1_796_000_000,
            4_102_444_799,
            33_000_000_000,
        ];
        for secs in times {
            for off in zones {
                for extra in [0, 3_600 * 24 * 17 + 61, 3_600 * 24 * 200 + 7] {
                    let Some(tz) = FixedOffset::east_opt(off) else { continue };
                    let Some(t) = DateTime::from_timestamp(secs + extra, 0) else { continue };
                    let t = t.with_timezone(&tz);
                    assert_eq!(rfc5322(t), t.format("%a, %-d %b %Y %H:%M:%S %z").to_string());
                    assert_eq!(syslog_time(t), t.format("%b %e %H:%M:%S").to_string());
                    // Again (the kept text), a fraction later (the same second) and a second later.
                    assert_eq!(syslog_time(t), t.format("%b %e %H:%M:%S").to_string());
                    let frac = t + chrono::Duration::milliseconds(999);
                    assert_eq!(syslog_time(frac), frac.format("%b %e %H:%M:%S").to_string());
                    let next = t + chrono::Duration::seconds(1);
                    assert_eq!(syslog_time(next), next.format("%b %e %H:%M:%S").to_string());
                }
                // The same instant at the next zone (not the kept text).
                if let (Some(tz), Some(t)) = (FixedOffset::east_opt(3_600), DateTime::from_timestamp(secs, 0)) {
                    let (a, b) = (t.with_timezone(&tz), t.fixed_offset());
                    assert_eq!(syslog_time(a), a.format("%b %e %H:%M:%S").to_string());
                    assert_eq!(syslog_time(b), b.format("%b %e %H:%M:%S").to_string());
                }
            }
        }
    }
}
