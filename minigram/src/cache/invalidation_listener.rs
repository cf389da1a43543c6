//! Applies the other instances' invalidations to this instance's L1.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::cache_counters::{CacheCounters, add};
use super::dependency::Dependency;
use super::redis_tier::RedisTier;
use super::version_table::VersionTable;

/// Aborts the listener task when dropped.
#[derive(Debug)]
pub(crate) struct InvalidationListener {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for InvalidationListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl InvalidationListener {
    /// Subscribes to the tier's channel and keeps subscribing. Each message
    /// from another instance bumps its dependencies here. After the
    /// subscription was interrupted (messages may have been missed), `resync`
    /// runs once it is back.
    pub(crate) async fn spawn(
        tier: Arc<RedisTier>,
        table: Arc<VersionTable>,
        counters: Arc<CacheCounters>,
        resync: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (ready, subscribed) = tokio::sync::oneshot::channel::<()>();
        let wait = tier.config.timeout * 4;
        let task = tokio::spawn(async move {
            let mut ready = Some(ready);
            let channel = tier.channel();
            let mut interrupted = false;
            loop {
                let connected =
                    tokio::time::timeout(tier.config.timeout * 2, tier.client().get_async_pubsub())
                        .await;
                if let Ok(Ok(mut pubsub)) = connected
                    && pubsub.subscribe(&channel).await.is_ok()
                {
                    if interrupted {
                        resync();
                    }
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        let mut words = payload.split(' ');
                        if words.next() == Some(tier.instance.as_str()) {
                            continue;
                        }
                        let deps: Vec<Dependency> = words.filter_map(Dependency::parse).collect();
                        table.bump(&deps);
                        add(&counters.remote_invalidations);
                    }
                }
                interrupted = true;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        // Start serving once subscribed, or degraded when Redis is away.
        let _ = tokio::time::timeout(wait, subscribed).await;
        Self { task }
    }
}
