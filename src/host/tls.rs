//! TLS for the lab: a lab CA made per scenario, a certificate for each server
//! host, and rustls configurations whose randomness comes from the run's
//! seeded streams.
//!
//! Everything is derived from the scenario seed, so two runs of a scenario
//! put the same bytes on the wire:
//!
//! - **Keys**: the CA's Ed25519 key is 32 octets derived from (seed,
//!   `"(lab-ca)"`, [`Purpose::TlsKey`]); each server's key from (seed, its
//!   host name, `TlsKey`) — derived afresh each time, so every host computes
//!   the same CA. Ed25519 signatures are deterministic (RFC 8032), so the
//!   certificates (fixed serial numbers, validity 2020–2049) and every
//!   handshake signature are too. A certificate names its host's name; under
//!   `maillab serve` also the real address the host listens on.
//! - **Handshake randomness**: rustls asks its `CryptoProvider` for the
//!   client and server randoms, session ids and the ephemeral key-exchange
//!   keys. maillab's provider is ring's (cipher suites, signature checks,
//!   key loading) with two parts replaced: [`SeededRandom`], which fills
//!   rustls's random octets from the host's stream (host, [`Purpose::Tls`]),
//!   and [`SeededX25519`], an X25519 key exchange (x25519-dalek) whose
//!   private key comes from the same stream. ring's own key exchange cannot
//!   be used: it draws from the operating system and its random trait is
//!   sealed.
//! - **Time**: certificate checks use the scenario clock, not the system's.
//!
//! rustls wants `&'static` random and key-exchange objects, so each provider
//! leaks two small objects (a handle on the run's streams): one provider per
//! server host, and one per client connection that uses TLS.

use super::env::{HostCtx, Purpose, Rng};
use crate::net::clock::Clock;
pub use crate::proto::tls::TlsInfo;
use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, SecureRandom, SharedSecret, SupportedKxGroup,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, NamedGroup, RootCertStore, ServerConfig};
use std::sync::Arc;

/// The stream name of the lab CA's key.
const CA_STREAM: &str = "(lab-ca)";

/// The lab's certificate authority: its certificate, and the key that signs
/// the servers' certificates.
pub struct LabCa {
    pub cert: CertificateDer<'static>,
    pub pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A PKCS #8 v1 document for an Ed25519 private key (RFC 8410).
fn ed25519_pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut v = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    v.extend_from_slice(seed);
    v
}

fn key_from(ctx: &HostCtx, stream: &str) -> Result<(rcgen::KeyPair, Vec<u8>), rcgen::Error> {
    let mut seed = [0u8; 32];
    ctx.env.rng.derive(stream, Purpose::TlsKey, &mut seed);
    let der = ed25519_pkcs8(&seed);
    let key =
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der.clone()), &rcgen::PKCS_ED25519)?;
    Ok((key, der))
}

fn validity(p: &mut rcgen::CertificateParams) {
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2049, 12, 31);
}

impl LabCa {
    /// The CA of the run whose streams `ctx` has (the same for every host).
    pub fn of(ctx: &HostCtx) -> Result<LabCa, rcgen::Error> {
        let (key, _) = key_from(ctx, CA_STREAM)?;
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::OrganizationName, "maillab");
        p.distinguished_name.push(rcgen::DnType::CommonName, "maillab lab CA");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&[1]));
        validity(&mut p);
        let cert = p.self_signed(&key)?;
        Ok(LabCa { pem: cert.pem(), cert: cert.der().clone(), issuer: rcgen::Issuer::new(p, key) })
    }

    /// A certificate for `hostname`, with its key, derived from `host`'s stream.
    ///
    /// On real sockets (`maillab serve`) it also names the address the host
    /// listens on (an iPAddress subjectAltName, RFC 5280 §4.2.1.6): serve
    /// prints that address as the server of the client settings and the
    /// autoconfig file, and a client that checks names (Python's default
    /// context, `openssl s_client -verify_ip`) checks the address it
    /// connected to. A simulation's certificates name the host only (its
    /// clients connect by name), so its captures keep their bytes.
    fn issue(&self, ctx: &HostCtx) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
        let (key, der) = key_from(ctx, &ctx.name)?;
        let mut p = rcgen::CertificateParams::new(vec![ctx.hostname.clone()])?;
        if let Some(ip) = ctx.env.net.real_ip_of(ctx.ip).filter(|ip| !ip.is_unspecified()) {
            p.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::IpAddr::V4(ip)));
        }
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, ctx.hostname.clone());
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&u32::from(ctx.ip).to_be_bytes()));
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut p);
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok((vec![cert.der().clone(), self.cert.clone()], PrivateKeyDer::Pkcs8(der.into())))
    }
}

/// Why TLS could not be set up on a host (a bug rather than a peer's doing).
#[derive(Debug)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS setup failed: {}", self.0)
    }
}

fn err(e: impl std::fmt::Display) -> SetupError {
    SetupError(e.to_string())
}

/// The server side of a host: its certificate from the lab CA.
pub fn server_config(ctx: &HostCtx) -> Result<Arc<ServerConfig>, SetupError> {
    let ca = LabCa::of(ctx).map_err(err)?;
    let (chain, key) = ca.issue(ctx).map_err(err)?;
    let mut cfg = ServerConfig::builder_with_details(provider(ctx), Arc::new(ScenarioTime(ctx.env.clock.clone())))
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(err)?;
    // No session tickets: each connection stands alone, as in a trace.
    cfg.send_tls13_tickets = 0;
    cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    Ok(Arc::new(cfg))
}

/// The client side: trusts the lab CA only.
pub fn client_config(ctx: &HostCtx) -> Result<Arc<ClientConfig>, SetupError> {
    let ca = LabCa::of(ctx).map_err(err)?;
    let mut roots = RootCertStore::empty();
    roots.add(ca.cert).map_err(err)?;
    let mut cfg = ClientConfig::builder_with_details(provider(ctx), Arc::new(ScenarioTime(ctx.env.clock.clone())))
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::disabled();
    // SSLKEYLOGFILE=FILE: the session keys in NSS's key log format, so that
    // Wireshark/tshark can decrypt a `--pcap` capture (a teaching aid; the
    // clients write it, as browsers and curl do). Nothing is written without it.
    cfg.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(Arc::new(cfg))
}

/// The client side for a server known by its address only: an MTA sending
/// to an address literal (`user@[192.0.2.25]`) has no name to check the
/// certificate against. The chain must still lead to the lab CA; only the
/// name is not asked for. (Real MTAs ask less: Postfix's opportunistic
/// `smtp_tls_security_level = may` checks no certificate at all, and
/// sendmail goes on whatever its `${verify}` says.)
pub fn client_config_by_address(ctx: &HostCtx) -> Result<Arc<ClientConfig>, SetupError> {
    let ca = LabCa::of(ctx).map_err(err)?;
    let mut roots = RootCertStore::empty();
    roots.add(ca.cert).map_err(err)?;
    let provider = provider(ctx);
    let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(err)?;
    let mut cfg = ClientConfig::builder_with_details(provider, Arc::new(ScenarioTime(ctx.env.clock.clone())))
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::disabled();
    cfg.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(Arc::new(cfg))
}

/// A verifier that checks the chain (to the lab CA, valid at the scenario's
/// time) and the handshake's signatures, but takes a certificate whose
/// names do not include the address the client connected to.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        // webpki checks the chain first and the name last: a name error
        // means everything before it held.
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. })) => {
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The name a client checks the server's certificate against.
pub fn server_name(hostname: &str) -> Result<ServerName<'static>, SetupError> {
    ServerName::try_from(hostname.to_string()).map_err(err)
}

/// ring's provider with the randomness and the key exchange drawn from the
/// host's seeded stream (see the module text).
fn provider(ctx: &HostCtx) -> Arc<CryptoProvider> {
    let rng = ctx.rng(Purpose::Tls);
    let random: &'static SeededRandom = Box::leak(Box::new(SeededRandom(rng.clone())));
    let kx: &'static SeededX25519 = Box::leak(Box::new(SeededX25519(rng)));
    let ring = rustls::crypto::ring::default_provider();
    Arc::new(CryptoProvider { kx_groups: vec![kx], secure_random: random, ..ring })
}

/// rustls's random octets, from a seeded stream.
#[derive(Debug)]
struct SeededRandom(Rng);

impl SecureRandom for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        self.0.fill(buf);
        Ok(())
    }
}

/// X25519 (RFC 7748) with the private key from a seeded stream.
#[derive(Debug)]
struct SeededX25519(Rng);

impl SupportedKxGroup for SeededX25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let mut k = [0u8; 32];
        self.0.fill(&mut k);
        let secret = x25519_dalek::StaticSecret::from(k);
        let public = x25519_dalek::PublicKey::from(&secret);
        Ok(Box::new(X25519Exchange { secret, public: public.to_bytes() }))
    }
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let peer: [u8; 32] = peer.try_into().map_err(|_| rustls::PeerMisbehaved::InvalidKeyShare)?;
        let shared = self.secret.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(rustls::PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared.as_bytes()[..]))
    }
    fn pub_key(&self) -> &[u8] {
        &self.public
    }
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// Certificate validity is checked against the scenario's clock.
struct ScenarioTime(Clock);

impl std::fmt::Debug for ScenarioTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScenarioTime")
    }
}

impl rustls::time_provider::TimeProvider for ScenarioTime {
    fn current_time(&self) -> Option<UnixTime> {
        let secs = u64::try_from(self.0.now().timestamp()).ok()?;
        Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs)))
    }
}

/// What `conn`'s finished handshake agreed on; `subject` is the server certificate's name.
pub fn info(conn: &rustls::CommonState, subject: &str) -> TlsInfo {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown".into(),
    };
    let suite = conn.negotiated_cipher_suite();
    // rustls calls the TLS 1.3 suites TLS13_…; IANA and OpenSSL say TLS_….
    let cipher = suite.and_then(|s| s.suite().as_str()).unwrap_or("unknown").replace("TLS13_", "TLS_");
    let bits = if cipher.contains("AES_128") { 128 } else { 256 };
    let group = conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name())).unwrap_or_default();
    TlsInfo { version, cipher, bits, subject: subject.to_string(), group, signature: "ED25519".into() }
}
