//! SMTP (RFC 5321): addresses, replies, and the server and client cores.

pub mod address;
pub mod auth;
pub mod client;
pub mod reply;
pub mod server;
pub mod style;

pub use address::{Mailbox, Path};
pub use reply::Reply;
pub use style::Flavour;

#[cfg(test)]
mod tests;
