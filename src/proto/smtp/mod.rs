//! SMTP (RFC 5321): addresses, replies, the server and client cores, and the
//! persona of each MTA flavour (everything a sendmail or Postfix host says).

pub mod address;
pub mod auth;
pub mod client;
pub mod envelope;
pub mod persona;
pub mod received;
pub mod reply;
pub mod server;

pub use address::{Mailbox, Path};
pub use persona::{Flavour, Persona};
pub use reply::Reply;

#[cfg(test)]
mod tests;
