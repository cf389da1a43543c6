//! The data directory and what lives under it.

use std::path::PathBuf;

use clap::Args;

/// The `--data-dir` flag. A group of its own (not part of [`StoreFlags`])
/// because every store keeps its media there, so a front end that fixes
/// the store (`examples/single_server.rs`) still takes it.
///
/// [`StoreFlags`]: super::StoreFlags
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct DataDirFlags {
    /// Directory for the database file (minigram.redb), uploaded media (media/) and,
    /// with --replicas, the PostgreSQL dev cluster (postgres/).
    #[arg(
        id = "data_dir",
        long = "data-dir",
        value_name = "DATA_DIR",
        env = "MINIGRAM_DATA_DIR",
        default_value = "./minigram-data"
    )]
    pub path: PathBuf,
}

impl DataDirFlags {
    /// The embedded store's database file.
    pub fn database_path(&self) -> PathBuf {
        self.path.join("minigram.redb")
    }

    /// The media directory (every store keeps media on local disk).
    pub fn media_dir(&self) -> PathBuf {
        self.path.join("media")
    }

    /// The directory of the local PostgreSQL dev cluster (`--replicas`).
    pub fn postgres_dir(&self) -> PathBuf {
        self.path.join("postgres")
    }

    /// Where `--ha` keeps its etcd and Patroni-managed PostgreSQL nodes.
    pub fn postgres_ha_dir(&self) -> PathBuf {
        self.path.join("postgres-ha")
    }
}
