//! DKIM (RFC 6376) signing with Ed25519 keys (RFC 8463), through Stalwart's
//! `mail-auth` crate: its canonicalization and signature header, our key
//! and our clock. The signing time is passed in (the scenario's clock), so
//! a run signs the same octets every time; `mail-auth`'s own `sign()` reads
//! the wall clock, which is why this builds the signature from the crate's
//! parts instead.
//!
//! The key is 32 octets of seed the host derives from the scenario seed
//! (see `host::mailauth`); ring (inside `mail-auth`) turns it into the key
//! pair, read as a PKCS#8 v1 document (RFC 8410: a fixed prefix, then the seed).

use mail_auth::common::crypto::{Ed25519Key, SigningKey};
use mail_auth::common::headers::{HeaderStream, HeaderWriter, Writable, Writer};
use mail_auth::dkim::{Canonicalization, Signature};

/// The header fields a signature covers when the message has them
/// (RFC 6376 §5.4.1's recommendation, less the ones the lab never writes).
pub const SIGNED_HEADERS: &[&str] =
    &["From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version", "Content-Type"];

/// RFC 8410 §7: an Ed25519 private key as PKCS#8 v1, before its 32 octets.
const PKCS8_ED25519_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// A domain's signing key.
pub struct DkimKey {
    key: Ed25519Key,
    public: Vec<u8>,
}

impl DkimKey {
    /// The key pair of a 32-octet seed (RFC 8032's private key).
    pub fn from_seed(seed: [u8; 32]) -> Result<DkimKey, String> {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        let key = Ed25519Key::from_pkcs8_maybe_unchecked_der(&der).map_err(|e| e.to_string())?;
        let public = key.public_key();
        Ok(DkimKey { key, public })
    }

    /// The TXT record to publish at `SELECTOR._domainkey.DOMAIN` (RFC 8463 §4.2).
    pub fn txt_record(&self) -> String {
        use base64::Engine;
        format!("v=DKIM1; k=ed25519; p={}", base64::engine::general_purpose::STANDARD.encode(&self.public))
    }

    /// Sign `message` (header and body, CRLF lines) for `domain` with
    /// `selector` at `now` (seconds since 1970): the `DKIM-Signature:` field
    /// to put on top, with its CRLF, relaxed/relaxed canonicalization.
    pub fn sign(&self, domain: &str, selector: &str, message: &[u8], now: u64) -> Result<String, String> {
        let key = &self.key;
        let template = Signature {
            v: 1,
            a: key.algorithm(),
            d: domain.to_string(),
            s: selector.to_string(),
            h: SIGNED_HEADERS.iter().map(|h| h.to_string()).collect(),
            ch: Canonicalization::Relaxed,
            cb: Canonicalization::Relaxed,
            ..Default::default()
        };
        // RFC 6376 §5.4: From: must be signed; a message without one is not signed at all.
        if crate::base::message::first_quick(message, "From").is_none() {
            return Err("the message has no From: field".into());
        }
        let (_len, headers, signed, body) = template.canonicalize(Fields::new(message));
        let mut sig = template.clone();
        sig.bh = base64(key.hash(body).as_ref());
        sig.t = now;
        sig.h = signed;
        let b = key.sign(Signable { headers, signature: &sig }).map_err(|e| e.to_string())?;
        sig.b = base64(&b);
        Ok(format!("{}\r\n", sig.to_header().trim_end()))
    }
}

/// The header fields of a message as the crate's canonicalization reads
/// them (its own iterator is private): the name before the colon, the value
/// after it up to and including the line end of the field's last line; then
/// the body after the empty line.
struct Fields<'x> {
    msg: &'x [u8],
    pos: usize,
    body: Option<usize>,
}

impl<'x> Fields<'x> {
    fn new(msg: &'x [u8]) -> Self {
        Fields { msg, pos: 0, body: None }
    }
}

impl<'x> HeaderStream<'x> for Fields<'x> {
    fn next_header(&mut self) -> Option<(&'x [u8], &'x [u8])> {
        if self.body.is_some() {
            return None;
        }
        let rest = self.msg.get(self.pos..).unwrap_or_default();
        // The empty line (or the end) ends the header section.
        let blank = if rest.starts_with(b"\r\n") {
            Some(2)
        } else if rest.starts_with(b"\n") {
            Some(1)
        } else if rest.is_empty() {
            Some(0)
        } else {
            None
        };
        if let Some(n) = blank {
            self.body = Some(self.pos + n);
            return None;
        }
        // The field ends at a line end not followed by a space or tab.
        let mut end = rest.len();
        let mut i = 0;
        while let Some(off) = rest.get(i..).and_then(|r| r.iter().position(|&b| b == b'\n')) {
            let nl = i + off;
            if !matches!(rest.get(nl + 1), Some(b' ' | b'\t')) {
                end = nl + 1;
                break;
            }
            i = nl + 1;
        }
        let field = rest.get(..end).unwrap_or_default();
        self.pos += end;
        Some(match field.iter().position(|&b| b == b':') {
            Some(c) => (field.get(..c).unwrap_or_default(), field.get(c + 1..).unwrap_or_default()),
            None => (field, &b""[..]),
        })
    }

    fn body(&mut self) -> &'x [u8] {
        while self.next_header().is_some() {}
        self.msg.get(self.body.unwrap_or(self.msg.len())..).unwrap_or_default()
    }
}

fn base64(b: &[u8]) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b).into_bytes()
}

/// What is signed: the canonical header fields, then the signature's own
/// field with an empty `b=` (RFC 6376 §3.7).
struct Signable<'a, H: Writable> {
    headers: H,
    signature: &'a Signature,
}

impl<H: Writable> Writable for Signable<'_, H> {
    fn write(self, writer: &mut impl Writer) {
        self.headers.write(writer);
        self.signature.write(writer, false);
    }
}
