//! The accept loop of `baas serve`: connections on hyper with a header-read
//! timeout (which also closes idle keep-alive connections), a cap on open
//! connections, and graceful shutdown.
//!
//! axum's own `serve` has no header timeout and no connection cap, so a few
//! hundred half-sent requests could hold the server's file descriptors
//! until `accept` failed for everybody, `_health` included.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How connections are bounded (docs/api.md, "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A client must send a request's whole header within this time; an idle
    /// keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: default_max_connections(),
        }
    }
}

/// 1,024 connections, or fewer when the process may open fewer files (a
/// margin is kept for the database pools, the manifest watcher and logs).
fn default_max_connections() -> usize {
    const PREFERRED: usize = 1024;
    const MARGIN: usize = 128;
    match open_files_limit() {
        Some(limit) if limit <= MARGIN * 2 => (limit / 2).max(8),
        Some(limit) => PREFERRED.min(limit - MARGIN),
        None => PREFERRED,
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The answer to a connection over the cap: written raw, then closed.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/problem+json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 132\r\n\r\n\
{\"type\":\"urn:baas:problem:unavailable\",\"title\":\"Too many connections\",\"status\":503,\"detail\":\"the server is at its connection limit\"}";

/// Serves `router` on `listener` until `shutdown` completes, then waits
/// for requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let mut refused: u64 = 0;
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (or a connection reset before
                    // accept): wait a little rather than spin.
                    tracing::warn!(target: "baas::serve", "cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused += 1;
            if last_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(5)) {
                last_warning = Some(Instant::now());
                tracing::warn!(
                    target: "baas::serve",
                    "connection limit reached ({} open): refusing {peer} with 503 ({refused} refused so far; raise `max_connections` in [api] if this load is expected)",
                    limits.max_connections
                );
            }
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The client's address, for per-address limits.
        let service = TowerToHyperService::new(tower::util::MapRequest::new(
            router.clone(),
            move |mut request: axum::http::Request<_>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let builder = builder.clone();
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(target: "baas::serve", "connection from {peer} ended: {error}");
            }
            drop(slot);
        });
    }
    drop(listener);
    // Requests in flight get a moment to finish.
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!(target: "baas::serve", "requests still running after 10 s; stopping anyway");
        }
    }
    Ok(())
}

async fn refuse(mut stream: tokio::net::TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(OVER_CAPACITY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_over_capacity_answer_has_the_length_it_declares() {
        let text = std::str::from_utf8(OVER_CAPACITY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let declared: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(declared, body.len());
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 503);
    }

    #[test]
    fn the_connection_cap_stays_below_the_open_files_limit() {
        let cap = default_max_connections();
        if let Some(limit) = open_files_limit() {
            assert!(cap < limit, "cap {cap} must be below the limit {limit}");
        }
        assert!(cap >= 8);
    }
}
