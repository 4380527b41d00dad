//! Small helpers with no dependency on the rest of the crate, usable from
//! every layer (`proto/` and `listserv/` included).

pub mod rfc2047;
pub mod sync;
