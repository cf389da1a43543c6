//! Entry points for the fuzz targets in `fuzz/` (docs/fuzzing.md), and
//! nothing else: compiled only under `cfg(fuzzing)`, which cargo-fuzz sets,
//! so no normal build has them. Each is a thin call of a private decoder
//! (or, for the seeds, encoder), so the targets exercise the code the store
//! and the cache really run.

#[cfg(feature = "redis")]
pub use crate::cache::fuzzing::{
    reencode_for_fuzzing as reencode_cached_value, sample_cached_values,
};
#[cfg(feature = "embedded")]
pub use crate::store::embedded_fuzzing::{photo_row, sample_rows, user_row};
