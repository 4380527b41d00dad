//! Maillog lines in the two styles the lecture compares (the words are the
//! persona's, [`crate::proto::smtp::persona`]; this file writes them as events).
//!
//! sendmail writes one program name (`sendmail[PID]`), a PID per SMTP
//! session, and queue ids made from the time; Postfix splits the work among
//! `postfix/smtpd`, `cleanup`, `qmgr`, `smtp` and `local`, with hexadecimal
//! queue ids. Both are rendered as syslog lines so a student can compare
//! them with a real `/var/log/maillog`.

use crate::base::time::push_syslog_time;
use crate::host::env::HostCtx;
pub use crate::proto::smtp::persona::Program;
use crate::proto::smtp::{Flavour, Persona};
use crate::trace::{Field, Kind};
use chrono::{DateTime, FixedOffset};

/// Writes `log` events for one MTA host.
#[derive(Clone)]
pub struct Maillog {
    pub ctx: HostCtx,
    pub flavour: Flavour,
    /// Fixed PIDs of the long-running Postfix daemons and of sendmail's queue runner.
    pub daemon_pid: u32,
}

impl Maillog {
    fn persona(&self) -> &'static dyn Persona {
        self.flavour.persona()
    }

    pub fn line(&self, prog: Program, pid: u32, msg: &str) -> String {
        self.line_at(self.ctx.now(), prog, pid, msg)
    }

    fn line_at(&self, t: DateTime<FixedOffset>, prog: Program, pid: u32, msg: &str) -> String {
        let p = self.persona();
        self.syslog_line(t, p.program_name(prog), p.log_pid(prog, pid, self.daemon_pid), msg)
    }

    /// `Apr  1 10:00:00 host program[pid]: msg`, the host's short name, written once.
    fn syslog_line(&self, t: DateTime<FixedOffset>, program: &str, pid: u32, msg: &str) -> String {
        let short = self.ctx.hostname.split('.').next().unwrap_or(&self.ctx.hostname);
        // `Apr  1 10:00:00 host program[pid]: msg`, pieced together (one line per delivery and more).
        let mut l = String::with_capacity(32 + short.len() + program.len() + msg.len());
        push_syslog_time(&mut l, t);
        l.push(' ');
        l.push_str(short);
        l.push(' ');
        l.push_str(program);
        l.push('[');
        crate::base::decimal::push_u64(&mut l, u64::from(pid));
        l.push_str("]: ");
        l.push_str(msg);
        l
    }

    /// A line from another program on the same host (e.g. the POP3/IMAP server).
    pub fn log_as(&self, program: &str, pid: u32, msg: &str) {
        // One clock reading for the line and its event.
        let t = self.ctx.now();
        let l = self.syslog_line(t, program, pid, msg);
        self.ctx.emit(self.ctx.ev_at(t, Kind::Log).line(l).field(Field::Program, program));
    }

    pub fn log(&self, prog: Program, pid: u32, msg: &str) {
        let t = self.ctx.now();
        let l = self.line_at(t, prog, pid, msg);
        self.ctx.emit(self.ctx.ev_at(t, Kind::Log).line(l).field(Field::Flavour, self.flavour.name()));
    }

    /// Several lines of one event, as the persona words them.
    pub fn log_lines(&self, pid: u32, lines: impl IntoIterator<Item = (Program, String)>) {
        for (prog, msg) in lines {
            self.log(prog, pid, &msg);
        }
    }
}
