//! Thunderbird-style autoconfig: the `clientConfig` XML a mail client
//! fetches from `/mail/config-v1.1.xml` or
//! `/.well-known/autoconfig/mail/config-v1.1.xml` to fill in its account
//! settings, and a minimal HTTP/1.1 exchange to serve it.

/// How a client secures one server connection: Thunderbird's `<socketType>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socket {
    /// No TLS.
    Plain,
    /// TLS from the first byte (RFC 8314: 993, 995, 465); Thunderbird calls it `SSL`.
    Ssl,
    /// In the clear first, then STLS/STARTTLS (110, 143, 587, 25).
    StartTls,
}

impl Socket {
    /// The value of `<socketType>` (`plain`, `SSL`, `STARTTLS`).
    pub fn name(self) -> &'static str {
        match self {
            Socket::Plain => "plain",
            Socket::Ssl => "SSL",
            Socket::StartTls => "STARTTLS",
        }
    }

    /// The choice of "Connection security" in a mail client's manual setup
    /// (Thunderbird's None, STARTTLS, SSL/TLS), as `serve` prints it and
    /// writes it into the ready file.
    pub fn security(self) -> &'static str {
        match self {
            Socket::Plain => SECURITY_NONE,
            Socket::Ssl => "SSL/TLS",
            Socket::StartTls => "STARTTLS",
        }
    }
}

/// [`Socket::security`] of a connection without TLS.
pub const SECURITY_NONE: &str = "none";

/// One server a client may use: `imap`, `pop3` or `smtp`, where, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub kind: &'static str,
    pub host: String,
    pub port: u16,
    /// The port in the scenario (`port` is where it is served).
    pub scenario_port: u16,
    pub socket: Socket,
    /// `<authentication>`: `password-cleartext`, or for SMTP without AUTH `client-IP-address`.
    pub auth: &'static str,
}

/// One mail domain's servers, as a client must reach them, in the order a
/// client should prefer them (Thunderbird takes the first of each type and
/// offers the rest as alternatives).
#[derive(Clone, Debug)]
pub struct Provider {
    /// The scenario host (a mailstore) that serves the domain.
    pub store: String,
    pub domain: String,
    pub incoming: Vec<Server>,
    pub outgoing: Vec<Server>,
}

/// What a mailstore host offers, for [`Provider::of`].
pub struct Offer<'a> {
    /// The scenario host's name.
    pub store: &'a str,
    pub domain: &'a str,
    /// The address clients connect to.
    pub host: &'a str,
    /// The real port a scenario port is served on.
    pub port: &'a dyn Fn(u16) -> u16,
    /// The host has TLS (the lab CA's certificate).
    pub tls: bool,
    /// It serves submission on 587 (and 465 with TLS).
    pub submission: bool,
    /// Its SMTP server on port 25 offers AUTH.
    pub smtp_auth: bool,
}

impl Provider {
    /// The servers of a host: with TLS, implicit TLS first (993, 995, 465),
    /// then STARTTLS (143, 110, 587, 25), as RFC 8314 §3 advises clients
    /// to prefer; without TLS, the plain ports. Submission (587, 465) comes
    /// before port 25, which is for mail between MTAs (RFC 6409 §1).
    /// This order is the one source of what `serve` recommends: its printed
    /// client settings are the first IMAP and the first SMTP server here.
    pub fn of(o: &Offer) -> Provider {
        use crate::proto::ports;
        let srv = |kind, port, socket, auth| Server {
            kind,
            host: o.host.to_string(),
            port: (o.port)(port),
            scenario_port: port,
            socket,
            auth,
        };
        let cleartext = "password-cleartext";
        let mut incoming = Vec::new();
        let mut outgoing = Vec::new();
        if o.tls {
            incoming.push(srv("imap", ports::IMAPS, Socket::Ssl, cleartext));
            incoming.push(srv("imap", ports::IMAP, Socket::StartTls, cleartext));
            incoming.push(srv("pop3", ports::POP3S, Socket::Ssl, cleartext));
            incoming.push(srv("pop3", ports::POP3, Socket::StartTls, cleartext));
        } else {
            incoming.push(srv("imap", ports::IMAP, Socket::Plain, cleartext));
            incoming.push(srv("pop3", ports::POP3, Socket::Plain, cleartext));
        }
        let tls_or_plain = if o.tls { Socket::StartTls } else { Socket::Plain };
        if o.submission {
            if o.tls {
                outgoing.push(srv("smtp", ports::SUBMISSIONS, Socket::Ssl, cleartext));
            }
            outgoing.push(srv("smtp", ports::SUBMISSION, tls_or_plain, cleartext));
        }
        let auth25 = if o.smtp_auth { cleartext } else { "client-IP-address" };
        outgoing.push(srv("smtp", ports::SMTP, tls_or_plain, auth25));
        Provider { store: o.store.to_string(), domain: o.domain.to_string(), incoming, outgoing }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn server_xml(x: &mut String, tag: &str, s: &Server) {
    x.push_str(&format!(
        "    <{tag} type=\"{}\">\n      <hostname>{}</hostname>\n      <port>{}</port>\n      <socketType>{}</socketType>\n      <authentication>{}</authentication>\n      <username>%EMAILADDRESS%</username>\n    </{tag}>\n",
        s.kind,
        esc(&s.host),
        s.port,
        s.socket.name(),
        s.auth
    ));
}

pub fn client_config(p: &Provider) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n");
    x.push_str(&format!("  <emailProvider id=\"{}\">\n    <domain>{}</domain>\n", esc(&p.domain), esc(&p.domain)));
    x.push_str(&format!(
        "    <displayName>maillab {}</displayName>\n    <displayShortName>maillab</displayShortName>\n",
        esc(&p.domain)
    ));
    for s in &p.incoming {
        server_xml(&mut x, "incomingServer", s);
    }
    for s in &p.outgoing {
        server_xml(&mut x, "outgoingServer", s);
    }
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

    fn offer(tls: bool) -> Provider {
        let port = |p: u16| p + 1000;
        Provider::of(&Offer {
            store: "mail",
            domain: "example.ac.jp",
            host: "127.0.2.25",
            port: &port,
            tls,
            submission: true,
            smtp_auth: false,
        })
    }

    fn lab() -> Vec<Provider> {
        vec![offer(false)]
    }

    /// (type, port, socketType) of each server, in order.
    fn servers(xml: &str) -> Vec<(String, String, String)> {
        let field = |part: &str, tag: &str| {
            let open = format!("<{tag}>");
            let close = format!("</{tag}>");
            part.split_once(&open)
                .and_then(|(_, r)| r.split_once(&close))
                .map(|(v, _)| v.to_string())
                .unwrap_or_default()
        };
        xml.split("Server type=\"")
            .skip(1)
            .map(|part| {
                let kind = part.split('"').next().unwrap_or_default().to_string();
                (kind, field(part, "port"), field(part, "socketType"))
            })
            .collect()
    }

    #[test]
    fn tls_hosts_offer_ssl_first_then_starttls() {
        let x = client_config(&offer(true));
        let want = [
            ("imap", "1993", "SSL"),
            ("imap", "1143", "STARTTLS"),
            ("pop3", "1995", "SSL"),
            ("pop3", "1110", "STARTTLS"),
            ("smtp", "1465", "SSL"),
            ("smtp", "1587", "STARTTLS"),
            ("smtp", "1025", "STARTTLS"),
        ];
        let want: Vec<(String, String, String)> =
            want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        assert_eq!(servers(&x), want);
        assert!(x.contains("<authentication>client-IP-address</authentication>"), "port 25 without AUTH");
        let x = client_config(&offer(false));
        let got = servers(&x);
        assert_eq!(got.len(), 4);
        assert!(got.iter().all(|(_, _, s)| s == "plain"), "{got:?}");
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
