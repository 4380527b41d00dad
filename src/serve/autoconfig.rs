//! Thunderbird-style autoconfig: the `clientConfig` XML a mail client
//! fetches from `/mail/config-v1.1.xml` or
//! `/.well-known/autoconfig/mail/config-v1.1.xml` to fill in its account
//! settings, and a minimal HTTP/1.1 exchange to serve it.

/// One mail domain's servers, as a client must reach them.
#[derive(Clone, Debug)]
pub struct Provider {
    pub domain: String,
    pub imap: Option<(String, u16)>,
    pub pop3: Option<(String, u16)>,
    pub smtp: (String, u16),
    /// `password-cleartext` when the SMTP server offers AUTH, else `client-IP-address`.
    pub smtp_auth: &'static str,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn client_config(p: &Provider) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n");
    x.push_str(&format!("  <emailProvider id=\"{}\">\n    <domain>{}</domain>\n", esc(&p.domain), esc(&p.domain)));
    x.push_str(&format!(
        "    <displayName>maillab {}</displayName>\n    <displayShortName>maillab</displayShortName>\n",
        esc(&p.domain)
    ));
    for (kind, server) in [("imap", &p.imap), ("pop3", &p.pop3)] {
        if let Some((host, port)) = server {
            x.push_str(&format!(
                "    <incomingServer type=\"{kind}\">\n      <hostname>{}</hostname>\n      <port>{port}</port>\n      <socketType>plain</socketType>\n      <authentication>password-cleartext</authentication>\n      <username>%EMAILADDRESS%</username>\n    </incomingServer>\n",
                esc(host)
            ));
        }
    }
    x.push_str(&format!(
        "    <outgoingServer type=\"smtp\">\n      <hostname>{}</hostname>\n      <port>{}</port>\n      <socketType>plain</socketType>\n      <authentication>{}</authentication>\n      <username>%EMAILADDRESS%</username>\n    </outgoingServer>\n",
        esc(&p.smtp.0),
        p.smtp.1,
        p.smtp_auth
    ));
    x.push_str("  </emailProvider>\n</clientConfig>\n");
    x
}

/// Percent-decoding for the query string (`emailaddress=a%40b.example`).
fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Answer one HTTP request (the bytes up to the blank line) with a full response.
pub fn respond(request: &[u8], providers: &[Provider]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(request);
    let first = text.lines().next().unwrap_or("");
    let mut parts = first.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let reply = |code: u16, reason: &str, ctype: &str, body: String| {
        let head = format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        (code, [head.into_bytes(), body.into_bytes()].concat())
    };
    if method != "GET" && method != "HEAD" {
        return reply(405, "Method Not Allowed", "text/plain", "only GET is served here\n".into());
    }
    if path != "/mail/config-v1.1.xml" && path != "/.well-known/autoconfig/mail/config-v1.1.xml" {
        return reply(404, "Not Found", "text/plain", "try /mail/config-v1.1.xml?emailaddress=user@domain\n".into());
    }
    let email = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("emailaddress"))
        .map(|(_, v)| pct_decode(v));
    let domain = email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
    let p = match &domain {
        Some(d) => providers.iter().find(|p| &p.domain == d),
        None => providers.first(),
    };
    match p {
        Some(p) => reply(200, "OK", "text/xml; charset=utf-8", client_config(p)),
        None => reply(404, "Not Found", "text/plain", "no mail service for that domain in this lab\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Vec<Provider> {
        vec![Provider {
            domain: "example.ac.jp".into(),
            imap: Some(("127.0.2.25".into(), 1143)),
            pop3: Some(("127.0.2.25".into(), 1110)),
            smtp: ("127.0.2.25".into(), 2525),
            smtp_auth: "password-cleartext",
        }]
    }

    #[test]
    fn serves_client_config_for_the_address_domain() {
        let (code, out) =
            respond(b"GET /mail/config-v1.1.xml?emailaddress=taro%40example.ac.jp HTTP/1.1\r\nHost: x\r\n\r\n", &lab());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(code, 200);
        assert!(text.contains("<incomingServer type=\"imap\">"));
        assert!(text.contains("<port>1143</port>"));
        assert!(text.contains("<outgoingServer type=\"smtp\">"));
        let (code, _) = respond(
            b"GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a@nope.example HTTP/1.1\r\n\r\n",
            &lab(),
        );
        assert_eq!(code, 404);
        assert_eq!(respond(b"POST /mail/config-v1.1.xml HTTP/1.1\r\n\r\n", &lab()).0, 405);
        assert_eq!(respond(b"GET /other HTTP/1.1\r\n\r\n", &lab()).0, 404);
        assert_eq!(respond(b"\xff\xfe garbage", &lab()).0, 405);
        assert_eq!(pct_decode("a%40b%2"), "a@b%2");
    }
}
