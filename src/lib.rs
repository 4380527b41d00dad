//! maillab: a teaching lab for e-mail systems.
//!
//! See ARCHITECTURE.md for the parts and the rules between them.

pub mod autoconfig;
pub mod base;
pub mod clock;
pub mod diag;
pub mod env;
pub mod expect;
#[doc(hidden)]
pub mod fuzz_harness;
pub mod graph;
pub mod host;
pub mod lab;
pub mod lesson;
pub mod listserv;
pub mod message;
pub mod net;
pub mod proto;
pub mod scenario;
pub mod schema;
pub mod serve;
pub mod store;
pub mod templates;
pub mod trace;
