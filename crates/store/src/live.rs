//! The live bus. Alone, an in-process broadcast. On PostgreSQL, every node LISTENs on one
//! channel and publishes with NOTIFY, so a message committed through one node reaches the
//! sockets held by all of them (its own included, through the same path).

use std::sync::Arc;

use async_trait::async_trait;
use spreekuur_domain::StoreError;
use spreekuur_domain::live::{LiveBus, LiveEvent, LiveSubscription};
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::{Db, db_err};

const CHANNEL: &str = "spreekuur_live";
/// Events a slow socket may fall behind before it is told to resynchronise.
const BACKLOG: usize = 4096;

pub struct Live {
    local: broadcast::Sender<LiveEvent>,
    /// Publishes through PostgreSQL when set.
    pg: Option<Arc<Db>>,
}

impl Live {
    /// One process: events go straight to this process's sockets.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: broadcast::channel(BACKLOG).0,
            pg: None,
        })
    }

    /// Several processes on one PostgreSQL database: LISTEN on a connection of its own (kept
    /// open, reconnected when lost), NOTIFY through the pool.
    pub async fn postgres(db: Arc<Db>, url: &str) -> Result<Arc<Self>, StoreError> {
        let mut listener = PgListener::connect(url).await.map_err(db_err)?;
        listener.listen(CHANNEL).await.map_err(db_err)?;
        let local = broadcast::channel(BACKLOG).0;
        let tx = local.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match LiveEvent::decode(n.payload()) {
                        Some(e) => {
                            let _ = tx.send(e);
                        }
                        None => tracing::warn!("unreadable live event ignored"),
                    },
                    // The connection was lost and is being re-established: notifications in
                    // between are gone, so every socket re-reads from its last position.
                    Ok(None) => {
                        tracing::warn!("live bus reconnecting to PostgreSQL");
                        let _ = tx.send(LiveEvent::Resync);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "live bus listener");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Arc::new(Self {
            local,
            pg: Some(db),
        }))
    }
}

#[async_trait]
impl LiveBus for Live {
    async fn publish(&self, event: &LiveEvent) -> Result<(), StoreError> {
        match &self.pg {
            Some(db) => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(event.encode())
                    .execute(&db.pool)
                    .await
                    .map_err(db_err)?;
            }
            None => {
                // No subscriber (no socket open) is not an error.
                let _ = self.local.send(event.clone());
            }
        }
        Ok(())
    }

    fn subscribe(&self) -> Box<dyn LiveSubscription> {
        Box::new(Subscription(self.local.subscribe()))
    }
}

struct Subscription(broadcast::Receiver<LiveEvent>);

#[async_trait]
impl LiveSubscription for Subscription {
    async fn next(&mut self) -> Option<LiveEvent> {
        match self.0.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(LiveEvent::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}
