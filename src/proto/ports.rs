//! Well-known ports of the protocols the lab speaks (IANA service names).

/// SMTP relay between MTAs (RFC 5321).
pub const SMTP: u16 = 25;
/// DNS over UDP and TCP (RFC 1035).
pub const DNS: u16 = 53;
/// HTTP (the autoconfig service).
pub const HTTP: u16 = 80;
/// POP3 (RFC 1939).
pub const POP3: u16 = 110;
/// IMAP (RFC 3501).
pub const IMAP: u16 = 143;
/// SMTP submission over implicit TLS (RFC 8314).
pub const SUBMISSIONS: u16 = 465;
/// Message submission (RFC 6409).
pub const SUBMISSION: u16 = 587;
/// IMAP over implicit TLS (RFC 8314).
pub const IMAPS: u16 = 993;
/// POP3 over implicit TLS (RFC 8314).
pub const POP3S: u16 = 995;
