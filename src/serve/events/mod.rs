//! Changes: after every committed write the kernel publishes one
//! [`Change`] here; realtime subscribers, webhooks and after-hooks read
//! them from a [`Subscription`].
//!
//! The channel is a bounded broadcast: publishing never waits, and a
//! subscriber that falls more than [`CAPACITY`] changes behind is told how
//! many it missed ([`Received::Lagged`]) instead of making the writer wait
//! or memory grow.

use serde::Serialize;
use tokio::sync::broadcast;

use super::store::Row;

/// Changes kept for subscribers that have not read them yet.
pub const CAPACITY: usize = 4096;

/// The kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

/// One committed write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The tenant the write ran for, when the deployment has tenants.
    pub tenant: Option<String>,
    pub entity: String,
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    /// The primary key values of the row, in key order.
    pub key: Vec<serde_json::Value>,
    /// The row before the write (update, delete).
    pub old: Option<Row>,
    /// The row after the write (create, update).
    pub new: Option<Row>,
}

/// The in-process change channel.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<std::sync::Arc<Change>>,
}

impl Default for Events {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }
}

impl Events {
    /// Sends `change` to every current subscriber; with none it is dropped.
    pub fn publish(&self, change: Change) {
        // An error only means nobody is subscribed.
        let _ = self.sender.send(std::sync::Arc::new(change));
    }

    /// Changes published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.sender.subscribe(),
        }
    }
}

/// One subscriber's view of the channel.
pub struct Subscription {
    receiver: broadcast::Receiver<std::sync::Arc<Change>>,
}

/// What [`Subscription::next`] gives.
#[derive(Debug)]
pub enum Received {
    Change(std::sync::Arc<Change>),
    /// The subscriber was too slow: this many changes were dropped for it.
    Lagged(u64),
    /// The server is shutting down.
    Closed,
}

impl Subscription {
    pub async fn next(&mut self) -> Received {
        match self.receiver.recv().await {
            Ok(change) => Received::Change(change),
            Err(broadcast::error::RecvError::Lagged(missed)) => Received::Lagged(missed),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: i64) -> Change {
        Change {
            tenant: None,
            entity: "book".into(),
            kind: ChangeKind::Create,
            key: vec![serde_json::json!(n)],
            old: None,
            new: None,
        }
    }

    #[tokio::test]
    async fn subscribers_receive_changes_in_order() {
        let events = Events::default();
        let mut first = events.subscribe();
        let mut second = events.subscribe();
        events.publish(change(1));
        events.publish(change(2));
        for subscription in [&mut first, &mut second] {
            for n in [1, 2] {
                match subscription.next().await {
                    Received::Change(c) => assert_eq!(c.key, vec![serde_json::json!(n)]),
                    other => panic!("expected change {n}, got {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_what_it_missed_and_the_writer_never_waits() {
        let events = Events::default();
        let mut slow = events.subscribe();
        let extra = 10;
        for n in 0..(CAPACITY as i64 + extra) {
            events.publish(change(n));
        }
        match slow.next().await {
            Received::Lagged(missed) => assert_eq!(missed, extra as u64),
            other => panic!("expected a lag report, got {other:?}"),
        }
        match slow.next().await {
            Received::Change(c) => assert_eq!(c.key, vec![serde_json::json!(extra)]),
            other => panic!("expected the oldest kept change, got {other:?}"),
        }
    }
}
