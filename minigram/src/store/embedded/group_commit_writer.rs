//! The single writer: one thread owns every write transaction.
//!
//! Callers enqueue commands on a bounded channel. The writer takes the first
//! waiting command, drains whatever else is already queued (up to
//! `max_batch`), applies them all in ONE write transaction, commits it with
//! `Durability::Immediate` (one fsync for the whole batch) and only then
//! answers every caller. This is group commit: under load the cost of the
//! fsync is shared, and no caller is ever acknowledged before its data is
//! durable. A full queue makes callers wait (backpressure); a caller that
//! cannot enqueue within `enqueue_timeout` gets `StoreError::Overloaded`, and
//! nothing of its is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redb::{Database, Durability};
use tokio::sync::{mpsc, oneshot};

use super::storage_context::StorageContext as _;
use super::write_ops::WriteTables;
use crate::error::StoreError;

/// One queued write: applied inside the batch transaction, answered after
/// the commit.
trait WriteCommand: Send {
    /// Applies the write; `Err` is a storage failure that aborts the batch.
    fn apply(&mut self, tables: &mut WriteTables<'_>) -> Result<(), StoreError>;
    /// Sends the recorded outcome (after a successful commit).
    fn acknowledge(self: Box<Self>);
    /// Answers with a storage failure (the batch did not commit).
    fn fail(self: Box<Self>, error: StoreError);
}

type Operation<T, E> =
    Box<dyn FnOnce(&mut WriteTables<'_>) -> Result<Result<T, E>, StoreError> + Send>;

struct Command<T, E> {
    operation: Option<Operation<T, E>>,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T: Send, E: From<StoreError> + Send> WriteCommand for Command<T, E> {
    fn apply(&mut self, tables: &mut WriteTables<'_>) -> Result<(), StoreError> {
        if let Some(operation) = self.operation.take() {
            self.outcome = Some(operation(tables)?);
        }
        Ok(())
    }

    fn acknowledge(self: Box<Self>) {
        let outcome = self.outcome.unwrap_or_else(|| {
            Err(StoreError::Unavailable {
                reason: "the write was not applied".into(),
            }
            .into())
        });
        // The caller may have gone away (request cancelled); the write is
        // durable regardless.
        let _ = self.reply.send(outcome);
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error.into()));
    }
}

enum Message {
    Write(Box<dyn WriteCommand>),
    /// Commit what is queued, stop accepting, then answer.
    Shutdown(oneshot::Sender<()>),
}

/// Tuning for the writer.
#[derive(Debug, Clone, Copy)]
pub(super) struct WriterSettings {
    pub queue_capacity: usize,
    pub max_batch: usize,
    pub enqueue_timeout: Duration,
}

/// Figures about the writer, updated by the writer thread.
#[derive(Debug, Default)]
pub(super) struct WriterStats {
    pub batches: AtomicU64,
    pub writes: AtomicU64,
    pub failed_batches: AtomicU64,
    pub last_batch_size: AtomicU64,
    pub max_batch_size: AtomicU64,
    pub commit_micros_total: AtomicU64,
    pub overloaded: AtomicU64,
}

/// Handle to the writer thread.
#[derive(Debug)]
pub(super) struct GroupCommitWriter {
    sender: mpsc::Sender<Message>,
    enqueue_timeout: Duration,
    stats: Arc<WriterStats>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Write(_) => "Write",
            Self::Shutdown(_) => "Shutdown",
        })
    }
}

impl GroupCommitWriter {
    /// Starts the writer thread over `db`.
    pub(super) fn start(db: Arc<Database>, settings: WriterSettings) -> Result<Self, StoreError> {
        let (sender, receiver) = mpsc::channel(settings.queue_capacity.max(1));
        let stats = Arc::new(WriterStats::default());
        let thread_stats = Arc::clone(&stats);
        let max_batch = settings.max_batch.max(1);
        std::thread::Builder::new()
            .name("minigram-writer".into())
            .spawn(move || run(db, receiver, max_batch, &thread_stats))
            .map_err(|e| StoreError::backend("starting the writer thread", e))?;
        Ok(Self {
            sender,
            enqueue_timeout: settings.enqueue_timeout,
            stats,
        })
    }

    /// Queues `operation` and waits until it is durably committed.
    pub(super) async fn submit<T, E>(
        &self,
        operation: impl FnOnce(&mut WriteTables<'_>) -> Result<Result<T, E>, StoreError>
        + Send
        + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let command = Command {
            operation: Some(Box::new(operation)),
            outcome: None,
            reply,
        };
        let started = Instant::now();
        match self
            .sender
            .send_timeout(Message::Write(Box::new(command)), self.enqueue_timeout)
            .await
        {
            Ok(()) => {}
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                self.stats.overloaded.fetch_add(1, Ordering::Relaxed);
                return Err(StoreError::Overloaded {
                    waited: started.elapsed(),
                }
                .into());
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => return Err(closed().into()),
        }
        answer.await.unwrap_or_else(|_| Err(closed().into()))
    }

    /// Commits everything queued, then stops the writer. Idempotent.
    pub(super) async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self.sender.send(Message::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
        // Already shut down, or shutting down: the channel is closed.
        self.sender.closed().await;
    }

    /// Whether the writer has stopped (closed, or its thread is gone).
    pub(super) fn is_stopped(&self) -> bool {
        self.sender.is_closed()
    }

    /// Writes waiting in the queue right now.
    pub(super) fn queue_depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    pub(super) fn stats(&self) -> &WriterStats {
        &self.stats
    }
}

fn closed() -> StoreError {
    StoreError::Unavailable {
        reason: "the embedded store is closed".into(),
    }
}

/// The writer thread's loop. Ends when every sender is gone or after a
/// shutdown, once the queue is drained.
fn run(
    db: Arc<Database>,
    mut receiver: mpsc::Receiver<Message>,
    max_batch: usize,
    stats: &WriterStats,
) {
    let mut shutdown_waiters = Vec::new();
    let mut batch: Vec<Box<dyn WriteCommand>> = Vec::with_capacity(max_batch);
    while let Some(first) = receiver.blocking_recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Write(command) => batch.push(command),
                Message::Shutdown(waiter) => {
                    // Stop accepting; what is already queued is still
                    // received (and committed) by this loop.
                    receiver.close();
                    shutdown_waiters.push(waiter);
                }
            }
            if batch.len() < max_batch {
                next = receiver.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            commit_batch(&db, &mut batch, stats);
        }
    }
    drop(db);
    for waiter in shutdown_waiters {
        let _ = waiter.send(());
    }
}

fn commit_batch(db: &Database, batch: &mut Vec<Box<dyn WriteCommand>>, stats: &WriterStats) {
    let started = Instant::now();
    let size = batch.len() as u64;
    match apply_and_commit(db, batch) {
        Ok(()) => {
            for command in batch.drain(..) {
                command.acknowledge();
            }
            stats.writes.fetch_add(size, Ordering::Relaxed);
        }
        Err(error) => {
            tracing::error!(%error, batch = size, "group commit failed; no write of the batch was applied");
            stats.failed_batches.fetch_add(1, Ordering::Relaxed);
            for command in batch.drain(..) {
                command.fail(error.clone());
            }
        }
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.last_batch_size.store(size, Ordering::Relaxed);
    stats.max_batch_size.fetch_max(size, Ordering::Relaxed);
    stats
        .commit_micros_total
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
}

fn apply_and_commit(db: &Database, batch: &mut [Box<dyn WriteCommand>]) -> Result<(), StoreError> {
    let mut txn = db.begin_write().during("starting a write transaction")?;
    txn.set_durability(Durability::Immediate)
        .during("setting durability")?;
    {
        let mut tables = WriteTables::open(&txn)?;
        for command in batch.iter_mut() {
            command.apply(&mut tables)?;
        }
    }
    txn.commit().during("committing a batch")?;
    Ok(())
}
