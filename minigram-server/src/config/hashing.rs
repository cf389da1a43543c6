//! Password hashing: the argon2id cost and how many hashes run at once.

use clap::Args;
use minigram::auth::HasherConfig;

/// The password-hashing flags (`--hash-*`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Password hashing")]
pub struct HashingFlags {
    /// argon2id memory cost in KiB (OWASP: 19456 = 19 MiB).
    #[arg(
        id = "hash_memory_kib",
        long = "hash-memory-kib",
        value_name = "HASH_MEMORY_KIB",
        env = "MINIGRAM_HASH_MEMORY_KIB",
        default_value_t = 19_456
    )]
    pub memory_kib: u32,

    /// argon2id passes over memory (OWASP: 2).
    #[arg(
        id = "hash_iterations",
        long = "hash-iterations",
        value_name = "HASH_ITERATIONS",
        env = "MINIGRAM_HASH_ITERATIONS",
        default_value_t = 2
    )]
    pub iterations: u32,

    /// argon2id lanes (OWASP: 1).
    #[arg(
        id = "hash_parallelism",
        long = "hash-parallelism",
        value_name = "HASH_PARALLELISM",
        env = "MINIGRAM_HASH_PARALLELISM",
        default_value_t = 1
    )]
    pub parallelism: u32,

    /// Most password hashes computed at once (default: number of cores); more wait.
    #[arg(
        id = "hash_max_concurrent",
        long = "hash-max-concurrent",
        value_name = "HASH_MAX_CONCURRENT",
        env = "MINIGRAM_HASH_MAX_CONCURRENT"
    )]
    pub max_concurrent: Option<usize>,
}

impl HashingFlags {
    /// The argon2id settings (`--hash-max-concurrent` defaults to the
    /// library's default, the number of cores).
    pub fn resolve(&self) -> HasherConfig {
        HasherConfig {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
            max_concurrent: self
                .max_concurrent
                .unwrap_or_else(|| HasherConfig::default().max_concurrent),
        }
    }

    /// Sets the cheapest cost argon2 allows, for tests.
    pub fn make_insecure_fast_for_tests(&mut self) {
        let fast = HasherConfig::insecure_fast_for_tests();
        self.memory_kib = fast.memory_kib;
        self.iterations = fast.iterations;
        self.parallelism = fast.parallelism;
    }
}
