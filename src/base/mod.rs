//! Small helpers with no dependency on the rest of the crate, usable from
//! every layer (`proto/` and `listserv/` included): diagnostics, decimal numbers, reading
//! message headers, RFC 2047, a poison-tolerant lock, header and log
//! time formats, how wide a text is drawn in an SVG, the regular expressions people write; the lessons and
//! scenarios built into the binary.

pub mod decimal;
pub mod diag;
pub mod message;
pub mod pattern;
pub mod rfc2047;
pub mod seed;
pub mod shipped;
pub mod sync;
pub mod textwidth;
pub mod time;
pub mod yaml_tree;
