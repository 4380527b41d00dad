//! Maillog lines in the two styles the lecture compares.
//!
//! sendmail writes one program name (`sendmail[PID]`), a PID per SMTP
//! session, and queue ids made from the time; Postfix splits the work among
//! `postfix/smtpd`, `cleanup`, `qmgr`, `smtp` and `local`, with hexadecimal
//! queue ids. Both are rendered as syslog lines so a student can compare
//! them with a real `/var/log/maillog`.

use crate::env::{HostCtx, syslog_time};
use crate::proto::smtp::Flavour;
use crate::trace::{Field, Kind};
use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// The SMTP server process of a session (sendmail's child, Postfix's smtpd).
    Smtpd,
    Cleanup,
    Qmgr,
    /// Outbound SMTP delivery.
    Smtp,
    Local,
    Bounce,
    /// Postfix's pickup: mail submitted on the host itself.
    Pickup,
}

/// Writes `log` events for one MTA host.
#[derive(Clone)]
pub struct Maillog {
    pub ctx: HostCtx,
    pub flavour: Flavour,
    /// Fixed PIDs of the long-running Postfix daemons and of sendmail's queue runner.
    pub daemon_pid: u32,
}

impl Maillog {
    pub fn line(&self, prog: Program, pid: u32, msg: &str) -> String {
        let t = self.ctx.now();
        let short = self.ctx.hostname.split('.').next().unwrap_or(&self.ctx.hostname).to_string();
        let name = match (self.flavour, prog) {
            (Flavour::Sendmail, _) => "sendmail".to_string(),
            (Flavour::Postfix, Program::Smtpd) => "postfix/smtpd".into(),
            (Flavour::Postfix, Program::Cleanup) => "postfix/cleanup".into(),
            (Flavour::Postfix, Program::Qmgr) => "postfix/qmgr".into(),
            (Flavour::Postfix, Program::Smtp) => "postfix/smtp".into(),
            (Flavour::Postfix, Program::Local) => "postfix/local".into(),
            (Flavour::Postfix, Program::Bounce) => "postfix/bounce".into(),
            (Flavour::Postfix, Program::Pickup) => "postfix/pickup".into(),
        };
        // sendmail delivers in the same process that received the message.
        let pid = match (self.flavour, prog) {
            (Flavour::Sendmail, Program::Smtpd) | (Flavour::Postfix, Program::Smtpd) => pid,
            (Flavour::Sendmail, _) => pid,
            (Flavour::Postfix, p) => self.daemon_pid + p as u32,
        };
        format!("{} {short} {name}[{pid}]: {msg}", syslog_time(t))
    }

    /// A line from another program on the same host (e.g. the POP3/IMAP server).
    pub fn log_as(&self, program: &str, pid: u32, msg: &str) {
        let t = self.ctx.now();
        let short = self.ctx.hostname.split('.').next().unwrap_or(&self.ctx.hostname).to_string();
        let l = format!("{} {short} {program}[{pid}]: {msg}", syslog_time(t));
        self.ctx.emit(self.ctx.ev(Kind::Log).line(l).field(Field::Program, program));
    }

    pub fn log(&self, prog: Program, pid: u32, msg: &str) {
        let l = self.line(prog, pid, msg);
        self.ctx.emit(self.ctx.ev(Kind::Log).line(l).field(Field::Flavour, self.flavour.name()));
    }
}

const QID_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";

/// A sendmail queue id: time in base 60 (UTC), a sequence, and the PID.
pub fn sendmail_qid(t: DateTime<FixedOffset>, seq: u32, pid: u32) -> String {
    let u = t.with_timezone(&Utc);
    let c = |n: u32| QID_CHARS[(n % 60) as usize] as char;
    let year = (u.year() - 1900).max(0) as u32;
    format!(
        "{}{}{}{}{}{}{}{}{:06}",
        c(year),
        c(u.month0()),
        c(u.day()),
        c(u.hour()),
        c(u.minute()),
        c(u.second()),
        c(seq / 60),
        c(seq),
        pid % 1_000_000
    )
}

/// A Postfix (short format) queue id: ten hexadecimal digits.
pub fn postfix_qid(r: u64) -> String {
    format!("{:010X}", r & 0xFF_FFFF_FFFF)
}

/// sendmail's `delay=` form: `HH:MM:SS`, with `D+` for days.
pub fn sendmail_delay(d: Duration) -> String {
    let s = d.as_secs();
    let (days, s) = (s / 86400, s % 86400);
    let hms = format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60);
    if days > 0 { format!("{days}+{hms}") } else { hms }
}

/// Postfix's `delay=` form: seconds, two decimals below 10 s.
pub fn postfix_delay(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        let t = format!("{s:.2}");
        let t = t.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() { "0".into() } else { t.to_string() }
    } else {
        format!("{}", s.round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qid_shapes() {
        let t = DateTime::parse_from_rfc3339("2002-05-08T16:33:45+09:00").unwrap();
        let q = sendmail_qid(t, 1, 15258);
        assert_eq!(q.len(), 14);
        // Year 102 -> 'g', May -> '4', day 8, 07 UTC -> '7'.
        assert!(q.starts_with("g487X"), "{q}");
        assert!(q.ends_with("015258"), "{q}");
        assert_eq!(postfix_qid(0x3F2A41C0B5).len(), 10);
    }

    #[test]
    fn delays() {
        assert_eq!(sendmail_delay(Duration::from_secs(3661)), "01:01:01");
        assert_eq!(sendmail_delay(Duration::from_secs(86400 + 5)), "1+00:00:05");
        assert_eq!(postfix_delay(Duration::from_millis(520)), "0.52");
        assert_eq!(postfix_delay(Duration::from_millis(0)), "0");
        assert_eq!(postfix_delay(Duration::from_secs(7200)), "7200");
    }
}
