//! maillab: a teaching lab for e-mail systems.
//!
//! See ARCHITECTURE.md for the parts and the rules between them. The
//! modules, lowest layer first; each uses only the ones above it in this list.

pub mod authoring;
pub mod base;
#[doc(hidden)]
pub mod fuzz_harness;
pub mod host;
pub mod lab;
pub mod lesson;
pub mod listserv;
pub mod net;
pub mod proto;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod store;
pub mod trace;
pub mod web;
