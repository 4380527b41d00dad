//! How times are written in mail headers and logs.

use chrono::{DateTime, FixedOffset};

/// RFC 5322 date-time, as in Date: and Received: headers.
pub fn rfc5322(t: DateTime<FixedOffset>) -> String {
    t.format("%a, %-d %b %Y %H:%M:%S %z").to_string()
}

/// Syslog's timestamp: `Apr  1 10:00:00`.
pub fn syslog_time(t: DateTime<FixedOffset>) -> String {
    t.format("%b %e %H:%M:%S").to_string()
}
