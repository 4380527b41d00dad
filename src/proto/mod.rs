//! Protocol cores: parsers and state machines with no I/O, clocks or tasks.

pub mod dns;
pub mod fetch;
pub mod imap;
pub mod mailauth;
pub mod pop3;
pub mod ports;
pub mod smtp;
pub mod tls;
