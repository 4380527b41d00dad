//! What a protocol core knows of TLS: whether it is offered or required,
//! and what a finished handshake agreed on. The handshake itself is the
//! session driver's (host/session.rs); a core only says when to start it.

/// How a server treats TLS (a scenario's `tls:` setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS: STARTTLS/STLS is not offered.
    #[default]
    Off,
    /// STARTTLS/STLS is offered; clients may go on in the clear.
    Offered,
    /// Nothing but the greeting, EHLO/CAPA, NOOP, QUIT and the command that
    /// starts TLS before TLS (RFC 3207 §4, RFC 2595 §3.3's LOGINDISABLED).
    Required,
}

/// What a finished handshake agreed on, for the trace and `Received:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`, as OpenSSL names them.
    pub version: String,
    /// The IANA name of the cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The symmetric key's bits.
    pub bits: u16,
    /// The server certificate's subject common name.
    pub subject: String,
    /// The key exchange group, e.g. `X25519`.
    pub group: String,
    /// The server's signature scheme, e.g. `ED25519`.
    pub signature: String,
}
