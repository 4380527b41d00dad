//! Driving the SMTP client core over a connection: used by MTAs to relay
//! and by MUAs to submit.

use crate::env::HostCtx;
use crate::net::Conn;
use crate::proto::smtp::client::{Client, ClientOutput, Job, Outcome};
use crate::trace::{Field, Kind};
use std::net::SocketAddrV4;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the client waits for any one reply (RFC 5321 §4.5.3.2 allows
/// 2 to 10 minutes depending on the command; 5 is a fair middle).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(300);

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

/// Run one SMTP transaction to its end.
pub async fn transact(conn: Conn, job: Job) -> Outcome {
    let Conn { mut stream, .. } = conn;
    let mut client = Client::new(job);
    let mut buf = vec![0u8; 8192];
    loop {
        while let Some(o) = client.poll() {
            match o {
                ClientOutput::Send { bytes, .. } => {
                    if let Err(e) = stream.write_all(&bytes).await {
                        client.connection_lost(&format!("write failed: {e}"));
                    }
                }
                ClientOutput::Received(_) => {}
                ClientOutput::Done(out) => {
                    let _ = stream.shutdown().await;
                    return out;
                }
            }
        }
        match tokio::time::timeout(REPLY_TIMEOUT, stream.read(&mut buf)).await {
            Ok(Ok(0)) => client.connection_lost("Connection closed by the server"),
            Ok(Ok(n)) => client.feed(&buf[..n]),
            Ok(Err(e)) => client.connection_lost(&format!("read failed: {e}")),
            Err(_) => client.connection_lost("Timed out waiting for a reply"),
        }
    }
}
