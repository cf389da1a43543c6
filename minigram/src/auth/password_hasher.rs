use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::Params;
use argon2::password_hash::phc::SaltString;
use tokio::sync::Semaphore;

use super::hash_memory;
use crate::domain::Password;

/// argon2id parameters and how many hashes may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherConfig {
    /// Memory cost in KiB (OWASP: 19,456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes over memory (OWASP: 2).
    pub iterations: u32,
    /// Lanes (OWASP: 1).
    pub parallelism: u32,
    /// Most hashes running at once; more wait their turn. Defaults to the
    /// number of cores, since each hash keeps one core busy.
    pub max_concurrent: usize,
}

impl Default for HasherConfig {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

impl HasherConfig {
    /// The cheapest parameters argon2 allows. For tests only: far too weak
    /// for real passwords.
    pub fn insecure_fast_for_tests() -> Self {
        Self {
            memory_kib: Params::MIN_M_COST.max(8),
            iterations: 1,
            parallelism: 1,
            ..Self::default()
        }
    }
}

/// Why hashing or verification could not run.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HashingError {
    /// The parameters are outside argon2's limits.
    #[error("invalid password-hash parameters: {0}")]
    InvalidParameters(String),
    /// argon2 failed, or the hashing task was lost.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Figures about the hashing pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherStats {
    /// Hashes or verifications running now.
    pub running: usize,
    /// Callers waiting for a slot.
    pub waiting: u64,
    /// Slots (`max_concurrent`).
    pub capacity: usize,
    /// Hashes and verifications completed.
    pub completed: u64,
    /// Total time spent hashing, in microseconds.
    pub busy_micros: u64,
}

/// Hashes and verifies passwords with argon2id, off the async runtime.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    params: Params,
    config: HasherConfig,
    /// `max_concurrent` dedicated threads. Dedicated rather than tokio's
    /// blocking pool (up to 512 threads): each thread that ever hashed keeps
    /// argon2's 19 MiB work area in its malloc arena, so the number of
    /// hashing threads bounds the memory hashing can hold.
    threads: rayon::ThreadPool,
    slots: Semaphore,
    /// A hash of a random password, verified against when the user is
    /// unknown so that unknown users cost the same time as known ones.
    dummy_hash: std::sync::OnceLock<String>,
    waiting: AtomicU64,
    completed: AtomicU64,
    busy_micros: AtomicU64,
}

impl PasswordHasher {
    /// Builds a hasher: starts its threads and computes the dummy hash on
    /// them (one hash's time).
    pub async fn new(config: HasherConfig) -> Result<Self, HashingError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| HashingError::InvalidParameters(e.to_string()))?;
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(config.max_concurrent.max(1))
            .thread_name(|i| format!("minigram-hash-{i}"))
            .build()
            .map_err(|e| HashingError::Failed(format!("starting the hashing threads: {e}")))?;
        let hasher = Self {
            inner: Arc::new(Inner {
                params,
                config,
                threads,
                slots: Semaphore::new(config.max_concurrent.max(1)),
                dummy_hash: std::sync::OnceLock::new(),
                waiting: AtomicU64::new(0),
                completed: AtomicU64::new(0),
                busy_micros: AtomicU64::new(0),
            }),
        };
        let dummy_hash = hasher
            .run(|params| {
                let random = SaltString::generate();
                hash_memory::hash(params, random.as_ref().as_bytes())
            })
            .await?;
        let _ = hasher.inner.dummy_hash.set(dummy_hash);
        Ok(hasher)
    }

    fn dummy_hash(&self) -> String {
        // Set in `new` before the hasher is handed out.
        self.inner.dummy_hash.get().cloned().unwrap_or_default()
    }

    /// The parameters in use.
    pub fn config(&self) -> HasherConfig {
        self.inner.config
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=...`).
    pub async fn hash(&self, password: &Password) -> Result<String, HashingError> {
        let password = password.clone();
        self.run(move |params| hash_memory::hash(params, password.expose().as_bytes()))
            .await
    }

    /// Whether `password` matches `phc`. With `phc` `None` (unknown user) it
    /// verifies against the dummy hash, taking the same time, and returns
    /// `false`. The parameters come from the PHC string, so hashes made with
    /// older parameters still verify.
    pub async fn verify(
        &self,
        password: &Password,
        phc: Option<String>,
    ) -> Result<bool, HashingError> {
        let password = password.clone();
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy_hash());
        self.run(move |_| {
            let matches = hash_memory::verify(&phc, password.expose().as_bytes())?;
            Ok(known && matches)
        })
        .await
    }

    /// Verifies a password with nobody's hash, for a username that cannot
    /// exist; takes one hash's time and returns `false`.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, HashingError> {
        let dummy = self.dummy_hash();
        // Bounded like real passwords (at most 4 bytes a character), so
        // huge input cannot buy extra work.
        let end = (0..=password.len().min(4 * Password::MAX_CHARS))
            .rev()
            .find(|&i| password.is_char_boundary(i))
            .unwrap_or(0);
        let password = password[..end].to_owned();
        self.run(move |_| {
            let _ = hash_memory::verify(&dummy, password.as_bytes());
            Ok(false)
        })
        .await
    }

    /// Pool figures for metrics.
    pub fn stats(&self) -> HasherStats {
        let capacity = self.inner.config.max_concurrent.max(1);
        HasherStats {
            running: capacity - self.inner.slots.available_permits(),
            waiting: self.inner.waiting.load(Ordering::Relaxed),
            capacity,
            completed: self.inner.completed.load(Ordering::Relaxed),
            busy_micros: self.inner.busy_micros.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` on a hashing thread once a slot is free. The semaphore
    /// queues callers on the async side (and measures the wait); the slot is
    /// held until the work is done, so the pool never has a backlog.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Params) -> Result<T, HashingError> + Send + 'static,
    ) -> Result<T, HashingError> {
        self.inner.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.inner.slots.acquire().await;
        self.inner.waiting.fetch_sub(1, Ordering::Relaxed);
        let _permit = permit.map_err(|e| HashingError::Failed(e.to_string()))?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let inner = Arc::clone(&self.inner);
        self.inner.threads.spawn(move || {
            let started = Instant::now();
            let result = work(&inner.params);
            inner.completed.fetch_add(1, Ordering::Relaxed);
            inner
                .busy_micros
                .fetch_add(duration_micros(started.elapsed()), Ordering::Relaxed);
            let _ = reply.send(result);
        });
        answer
            .await
            .map_err(|_| HashingError::Failed("the hashing thread stopped".into()))?
    }
}

fn duration_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
