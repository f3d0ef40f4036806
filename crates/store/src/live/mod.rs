//! The live bus. Within a process, a hub hands each event only to the sockets that follow its
//! conversation: a message wakes its members' sockets, not every socket of the node. On
//! PostgreSQL, every node also LISTENs on one channel and tells the others with NOTIFY, so a
//! message committed through one node reaches the sockets held by all of them. A node's own
//! events go straight to its own sockets (with a new message carried whole); the notifications
//! it sends name the node, and it skips its own when they come back. Notifications are sent by
//! one task, several events to a NOTIFY when they queue up, so a burst of messages costs
//! PostgreSQL one statement, not one each.

mod hub;
mod postgres;

use std::sync::Arc;

use async_trait::async_trait;
use spreekuur_domain::StoreError;
use spreekuur_domain::live::{LiveBus, LiveEvent, LiveSubscription};
use tokio::sync::mpsc;

use hub::Hub;

pub struct Live {
    local: Arc<Hub>,
    /// Events for the other nodes (PostgreSQL only), in their text form.
    remote: Option<mpsc::Sender<String>>,
}

impl Live {
    /// One process: events go straight to this process's sockets.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: Arc::new(Hub::default()),
            remote: None,
        })
    }
}

#[async_trait]
impl LiveBus for Live {
    async fn publish(&self, event: &LiveEvent) -> Result<(), StoreError> {
        self.local.deliver(event.clone());
        if let Some(remote) = &self.remote {
            remote
                .send(event.encode())
                .await
                .map_err(|_| StoreError("the live bus has stopped".into()))?;
        }
        Ok(())
    }

    fn subscribe(&self) -> Box<dyn LiveSubscription> {
        Box::new(self.local.subscribe())
    }
}
