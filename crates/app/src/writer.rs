//! The group-commit writer for flag lookups: one task that writes many lookups' records in one
//! transaction, so one durable commit (one fsync on SQLite, one WAL flush on PostgreSQL) covers
//! every lookup that arrived while the previous commit was on disk.
//!
//! A lookup does its reads on a read-only snapshot, then hands its write set (the access, the
//! LA notifications, the workers' notifications, the chronology line and the audit event) to the
//! writer and waits. The writer drains what is queued (up to [`MAX_BATCH`]), writes it in arrival
//! order in one transaction, appending the audit events to the hash chain in that order, commits,
//! and only then answers each waiter. So no lookup is answered before its audit row is durable,
//! and nothing of a lookup is ever half-written: a batch that fails is retried one lookup per
//! transaction, and each waiter hears its own outcome.

use std::sync::Arc;

use safeguard_domain::{AccessNotification, ChronologyEntry, FlagAccess};
use safeguard_store::{AuditEvent, Notification, Store, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// Most lookups written in one transaction.
pub const MAX_BATCH: usize = 1024;
/// Lookups that may wait for the writer before callers wait to queue (back-pressure).
const QUEUE: usize = 8192;

/// What one lookup writes, all or nothing.
#[derive(Debug, Clone)]
pub(crate) struct WriteSet {
    /// The access, when an unscheduled lookup found flags.
    pub access: Option<FlagAccess>,
    /// One per responsible LA.
    pub notices: Vec<AccessNotification>,
    /// To the allocated workers.
    pub notifications: Vec<Notification>,
    /// The child's chronology.
    pub chronology: Vec<ChronologyEntry>,
    /// The lookup's audit event.
    pub audit: AuditEvent,
}

impl WriteSet {
    /// A write set that is only an audit event (a miss, a scheduled lookup, a refusal).
    pub fn audit_only(audit: AuditEvent) -> Self {
        Self {
            access: None,
            notices: Vec::new(),
            notifications: Vec::new(),
            chronology: Vec::new(),
            audit,
        }
    }
}

type Job = (WriteSet, oneshot::Sender<StoreResult<()>>);

/// The handle lookups send their write sets to. Cloning shares the one writer task, which ends
/// when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    jobs: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer task over the store. Needs a tokio runtime.
    pub fn spawn(store: Arc<dyn Store>) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx));
        Self { jobs }
    }

    /// Queues the write set and returns once the transaction holding it has committed.
    pub async fn write(&self, set: WriteSet) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the audit writer has stopped".into());
        self.jobs.send((set, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let sets: Vec<&WriteSet> = batch.iter().map(|(s, _)| s).collect();
        let started = std::time::Instant::now();
        match write_sets(store.as_ref(), &sets).await {
            Ok(()) => {
                tracing::debug!(
                    lookups = batch.len(),
                    duration_ms = started.elapsed().as_secs_f64() * 1e3,
                    "lookup batch committed"
                );
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::warn!(lookups = batch.len(), error = %e, "lookup batch failed; writing one by one");
                for (set, reply) in batch.drain(..) {
                    let _ = reply.send(write_sets(store.as_ref(), &[&set]).await);
                }
            }
        }
    }
}

/// Writes the sets in one transaction and commits: every access, then every LA notification
/// (multi-row statements), the workers' notifications and chronology lines, then the audit
/// events appended to the chain in the sets' order.
pub(crate) async fn write_sets(store: &dyn Store, sets: &[&WriteSet]) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let accesses: Vec<&FlagAccess> = sets.iter().filter_map(|s| s.access.as_ref()).collect();
    let notices: Vec<&AccessNotification> = sets.iter().flat_map(|s| &s.notices).collect();
    tx.insert_flag_accesses(&accesses, &notices).await?;
    for set in sets {
        for n in &set.notifications {
            tx.insert_notification(n).await?;
        }
        for entry in &set.chronology {
            tx.add_chronology(entry).await?;
        }
    }
    let events: Vec<AuditEvent> = sets.iter().map(|s| s.audit.clone()).collect();
    tx.append_audit_batch(&events).await?;
    tx.commit().await
}
