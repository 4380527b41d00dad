//! SMTP AUTH (RFC 4954) mechanisms: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};

pub const MECHANISMS: &str = "PLAIN LOGIN CRAM-MD5";

pub fn b64(s: &[u8]) -> String {
    B64.encode(s)
}

pub fn unb64(s: &str) -> Result<Vec<u8>, String> {
    B64.decode(s.trim()).map_err(|_| "not valid base64".to_string())
}

/// HMAC-MD5 (RFC 2104), as CRAM-MD5 uses it.
pub fn hmac_md5(key: &[u8], msg: &[u8]) -> [u8; 16] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let ih = inner.finalize();
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(ih);
    outer.finalize().into()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Split a PLAIN response `authzid NUL authcid NUL passwd`.
pub fn parse_plain(raw: &[u8]) -> Result<(String, String), String> {
    let parts: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
    let [_authz, user, pass] = parts.as_slice() else {
        return Err("PLAIN wants three fields separated by NUL".into());
    };
    let user = String::from_utf8(user.to_vec()).map_err(|_| "user name is not UTF-8")?;
    let pass = String::from_utf8(pass.to_vec()).map_err(|_| "password is not UTF-8")?;
    Ok((user, pass))
}

/// The client's PLAIN initial response.
pub fn plain_response(user: &str, pass: &str) -> String {
    b64(format!("\0{user}\0{pass}").as_bytes())
}

/// The client's CRAM-MD5 answer to a (decoded) challenge.
pub fn cram_response(user: &str, pass: &str, challenge: &str) -> String {
    b64(format!("{user} {}", hex(&hmac_md5(pass.as_bytes(), challenge.as_bytes()))).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_example() {
        let d = hmac_md5(b"tanstaaftanstaaf", b"<1896.697170952@postoffice.reston.mci.net>");
        assert_eq!(hex(&d), "b913a602c7eda7a495b4e6e7334d3890");
        let r = cram_response("tim", "tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>");
        assert_eq!(unb64(&r).unwrap(), b"tim b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn rfc2104_long_key() {
        // RFC 2202 test case 6: an 80-byte key is hashed first.
        let d = hmac_md5(&[0xaa; 80], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex(&d), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
    }

    #[test]
    fn plain() {
        // RFC 4954's example: "\0bob\0secret".
        assert_eq!(plain_response("bob", "secret"), "AGJvYgBzZWNyZXQ=");
        assert_eq!(parse_plain(&unb64("AGJvYgBzZWNyZXQ=").unwrap()).unwrap(), ("bob".into(), "secret".into()));
        assert!(parse_plain(b"nonul").is_err());
        assert!(unb64("***").is_err());
    }
}
