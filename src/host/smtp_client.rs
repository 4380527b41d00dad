//! Driving the SMTP client core over a connection: used by MTAs to relay
//! and by MUAs to submit.

use super::session::{Core, Io, Lost, Session, Tls};
use crate::host::env::HostCtx;
use crate::net::Conn;
use crate::proto::smtp::client::{Client, ClientOutput, Job, Outcome};
use crate::trace::{Field, Kind};
use std::net::SocketAddrV4;
use std::time::Duration;

/// Open a connection to `to`, tracing it. `label` names the peer in the trace.
pub async fn connect(ctx: &HostCtx, to: SocketAddrV4, label: &str, step: Option<usize>) -> std::io::Result<Conn> {
    match ctx.env.net.connect(ctx.ip, to).await {
        Ok(c) => {
            let mut e = ctx.ev(Kind::TcpConnect).peer(label).session(c.session).line(format!(
                "connect to {label} [{}]:{} from port {}",
                to.ip(),
                to.port(),
                c.local.port()
            ));
            if let Some(s) = step {
                e = e.field(Field::Step, s);
            }
            ctx.emit(e);
            Ok(c)
        }
        Err(err) => {
            let mut e = ctx.ev(Kind::TcpError).peer(label).line(format!(
                "connect to {label} [{}]:{}: {err}",
                to.ip(),
                to.port()
            ));
            if let Some(s) = step {
                e = e.field(Field::Step, s);
            }
            ctx.emit(e);
            Err(err)
        }
    }
}

/// Run one SMTP transaction to its end. The client side traces nothing
/// of the conversation: the server traces every line.
///
/// STARTTLS is used when the job asks for it and the server offers it; the
/// server's certificate must be the lab CA's for `server_name`.
///
/// With `implicit_tls` (port 465, RFC 8314) the TLS handshake comes first.
pub async fn transact(
    ctx: &HostCtx,
    conn: Conn,
    label: &str,
    server_name: &str,
    implicit_tls: bool,
    mut job: Job,
) -> Outcome {
    let tls = (job.starttls || implicit_tls).then(|| Tls::Client(server_name.to_string()));
    job.starttls &= !implicit_tls;
    let mut core = Transaction { client: Client::new(job), outcome: None };
    let mut s = Session::new(ctx, conn.stream, conn.session, label).tls(tls);
    if !implicit_tls || s.handshake_first(&mut core).await {
        s.run(&mut core).await;
    }
    // The client always ends with an outcome; this is for the impossible case.
    core.outcome.unwrap_or_else(|| {
        core.client.connection_lost("the client stopped without a result");
        match core.client.poll() {
            Some(ClientOutput::Done(out)) => out,
            _ => Outcome { results: Vec::new(), dsn_offered: false },
        }
    })
}

/// The SMTP client core as the session driver runs it.
struct Transaction {
    client: Client,
    outcome: Option<Outcome>,
}

impl Core for Transaction {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.client.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        loop {
            match self.client.poll()? {
                ClientOutput::Send { bytes, .. } => return Some(Io::Send { bytes, notes: Vec::new() }),
                ClientOutput::Received(_) => {}
                ClientOutput::StartTls => return Some(Io::StartTls),
                ClientOutput::Done(out) => {
                    self.outcome = Some(out);
                    return Some(Io::Close);
                }
            }
        }
    }
    fn waiting(&mut self, now: Duration) {
        self.client.waiting(now);
    }
    fn tls_started(&mut self, _info: &crate::proto::tls::TlsInfo) {
        self.client.tls_started();
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.client.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.client.handle_timeout(now);
    }
    fn peer_closed(&mut self, how: Lost) {
        match how {
            Lost::Closed => self.client.connection_lost("Connection closed by the server"),
            Lost::Read(e) => self.client.connection_lost(&format!("read failed: {e}")),
            Lost::Write(e) => self.client.connection_lost(&format!("write failed: {e}")),
            Lost::Tls(e) => self.client.connection_lost(&format!("TLS handshake failed: {e}")),
        }
    }
}
