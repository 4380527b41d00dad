//! Per-host fate of every recipient an MTA accepted, read from the trace.

use crate::trace::{Event, Field, Kind};

/// Per-host fate of every accepted recipient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    pub accepted: u64,
    pub delivered: u64,
    pub relayed: u64,
    pub bounced: u64,
    pub queued: u64,
    /// Of the delivered: handed to the list server rather than put in a mailbox.
    pub to_lists: u64,
}

impl Accounting {
    /// Nothing lost: every accepted recipient has exactly one end.
    pub fn balanced(&self) -> bool {
        self.accepted == self.delivered + self.relayed + self.bounced + self.queued
    }
}

pub fn accounting(events: &[Event], host: &str) -> Accounting {
    let mut a = Accounting::default();
    for e in events.iter().filter(|e| e.host == host) {
        match e.kind {
            Kind::QueueAdd => a.accepted += e.field_u64(Field::Rcpts).unwrap_or(0),
            // One alias becomes several recipients, each with its own end.
            Kind::AliasExpand => a.accepted += e.field_u64(Field::Added).unwrap_or(0),
            // A recipient reached twice is one recipient.
            Kind::RcptDuplicate => a.accepted = a.accepted.saturating_sub(1),
            // Into a mailbox, or piped to the list server, which then submits its own mail.
            Kind::Deliver => a.delivered += 1,
            Kind::ListReceive => {
                a.delivered += 1;
                a.to_lists += 1;
            }
            Kind::Relay => a.relayed += 1,
            Kind::Bounce => a.bounced += 1,
            Kind::QueueLeft => a.queued += e.field_u64(Field::Rcpts).unwrap_or(0),
            _ => {}
        }
    }
    a
}

/// What [`accounting`] reads of an event, or `None` if it reads nothing:
/// a streamed run keeps these small copies instead of the events.
pub fn slim(e: &Event) -> Option<Event> {
    let field = match e.kind {
        Kind::QueueAdd | Kind::QueueLeft => Some(Field::Rcpts),
        Kind::AliasExpand => Some(Field::Added),
        Kind::Deliver | Kind::ListReceive | Kind::Relay | Kind::Bounce | Kind::RcptDuplicate => None,
        _ => return None,
    };
    let mut s = crate::trace::ev(e.t, &e.host, e.kind);
    if let Some(f) = field
        && let Some(v) = e.field_u64(f)
    {
        s = s.field(f, v);
    }
    Some(s)
}
