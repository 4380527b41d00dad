//! Transcript tests of the IMAP server core.
