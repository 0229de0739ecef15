//! The one connect timeout every engine and command uses, and the quick
//! refusal of a port nothing listens on. The engines (introspect, migrate,
//! serve) import it; it imports nothing of the crate.

use std::time::Duration;

/// How long a database may take to accept a connection when
/// `BAAS_CONNECT_TIMEOUT` does not say.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long every command (introspect, diff, check, migrate, serve) and
/// every engine waits for a database to accept a connection:
/// `BAAS_CONNECT_TIMEOUT` seconds (fractions allowed), else 10 s. A refused
/// connection (nothing listening) fails at once, never after this wait.
pub fn connect_timeout() -> Duration {
    std::env::var("BAAS_CONNECT_TIMEOUT")
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
}

/// A connection attempt got no answer within [`connect_timeout`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("no answer after {} s (BAAS_CONNECT_TIMEOUT sets the wait)", .0.as_secs_f64())]
pub struct ConnectTimedOut(pub Duration);

/// Runs one connection attempt under [`connect_timeout`].
pub async fn within_connect_timeout<T>(
    attempt: impl std::future::Future<Output = T>,
) -> Result<T, ConnectTimedOut> {
    let timeout = connect_timeout();
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ConnectTimedOut(timeout))
}

/// Fails at once when every one of `addresses` (`host`, `port`) refuses a
/// TCP connection: nothing listens there. For drivers that would otherwise
/// retry a refused connection until [`connect_timeout`] (MongoDB's server
/// selection). Any other outcome (accepted, no answer, a name that does not
/// resolve) is left to the driver and its own message.
pub async fn refuse_closed_ports(addresses: &[(String, u16)]) -> Result<(), String> {
    if addresses.is_empty() {
        return Ok(());
    }
    let mut refused = Vec::new();
    for (host, port) in addresses {
        let attempt =
            within_connect_timeout(tokio::net::TcpStream::connect((host.as_str(), *port))).await;
        match attempt {
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                refused.push(format!("{host}:{port}"));
            }
            _ => return Ok(()),
        }
    }
    Err(format!(
        "connection refused at {} (is the server running, on that port?)",
        refused.join(", ")
    ))
}

/// The TCP addresses of a MongoDB connection string, for
/// [`refuse_closed_ports`] (`mongodb+srv://` hosts are resolved by then).
pub fn mongodb_addresses(options: &mongodb::options::ClientOptions) -> Vec<(String, u16)> {
    options
        .hosts
        .iter()
        .filter_map(|address| match address {
            mongodb::options::ServerAddress::Tcp { host, port } => {
                Some((host.clone(), port.unwrap_or(27017)))
            }
            _ => None,
        })
        .collect()
}
