//! Hosts: the virtual machines of a scenario, built from the protocol cores
//! and run as tokio tasks over [`crate::net::Net`].

pub mod dns;
pub mod dsn;
pub mod env;
pub mod fetch;
pub mod list;
pub mod listen;
pub mod mailauth;
pub mod maillog;
pub mod mailstore;
pub mod mta;
pub mod mua;
pub mod penalty;
pub mod queue;
pub mod resolver;
pub mod session;
pub mod smtp_client;
pub mod spool;
pub mod tls;
