//! This process's memory, in the shape of Node's `process.memoryUsage()`
//! (the origin reports it in `/api/metrics`).

use serde::Serialize;
use utoipa::ToSchema;

/// Where Linux reports this process's memory, in kB.
#[cfg(target_os = "linux")]
const STATUS_FILE: &str = "/proc/self/status";

/// Node's `process.memoryUsage()` fields, in bytes, mapped to what a Rust
/// process has (there is no JavaScript heap):
///
/// | field | here |
/// | --- | --- |
/// | `rss` | resident set size (`VmRSS`) |
/// | `heapTotal` | the resident set size again: all the memory the process holds, the most its heap could be |
/// | `heapUsed` | anonymous resident memory (`RssAnon`): what the allocator handed out plus thread stacks and anonymous maps, without mapped files (the binary, libraries) |
/// | `external` | 0: no memory is held outside a heap on behalf of heap objects |
///
/// So `heapUsed <= heapTotal == rss`, as in Node. Every field is 0 off
/// Linux, and when `/proc` cannot be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemoryUsage {
    /// Resident set size.
    pub rss: u64,
    /// All resident memory (= `rss`).
    pub heap_total: u64,
    /// Anonymous resident memory.
    pub heap_used: u64,
    /// Always 0.
    pub external: u64,
}

impl MemoryUsage {
    /// Reads the figures now.
    ///
    /// Through `tokio::fs`, which runs the read on the blocking pool: a
    /// `/proc` read is quick but still a system call that must not stall a
    /// runtime worker. Read per request rather than sampled by a
    /// background task: nothing to start and stop with the server, the
    /// figure is current, and `/api/metrics` is polled about once a second
    /// per watching client, not on a hot path.
    pub(crate) async fn sample() -> Self {
        #[cfg(target_os = "linux")]
        {
            match tokio::fs::read_to_string(STATUS_FILE).await {
                Ok(status) => Self::from_proc_status(&status),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot read {STATUS_FILE}");
                    Self::default()
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Self::default()
        }
    }

    /// The figures in the text of `/proc/<pid>/status`. Lines look like
    /// `VmRSS:\t   12345 kB`. `/proc/self/statm` would be shorter to read
    /// but counts pages, whose size only `sysconf` (unsafe FFI, which this
    /// workspace forbids) or a new dependency would tell. Kernels before 4.5
    /// lack `RssAnon`: `heapUsed` is then `VmRSS` too.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn from_proc_status(status: &str) -> Self {
        let bytes = |field: &str| {
            status.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                if name != field {
                    return None;
                }
                let mut words = value.split_whitespace();
                let amount: u64 = words.next()?.parse().ok()?;
                // The kernel writes every size in kB.
                (words.next() == Some("kB")).then_some(amount.saturating_mul(1024))
            })
        };
        let rss = bytes("VmRSS").unwrap_or(0);
        Self {
            rss,
            heap_total: rss,
            heap_used: bytes("RssAnon").unwrap_or(rss).min(rss),
            external: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tminigram-server\n\
        VmPeak:\t  812340 kB\n\
        VmRSS:\t   20480 kB\n\
        RssAnon:\t    8192 kB\n\
        RssFile:\t   12288 kB\n\
        RssShmem:\t       0 kB\n\
        Threads:\t17\n";

    #[test]
    fn status_sizes_are_read_in_bytes() {
        assert_eq!(
            MemoryUsage::from_proc_status(STATUS),
            MemoryUsage {
                rss: 20480 * 1024,
                heap_total: 20480 * 1024,
                heap_used: 8192 * 1024,
                external: 0,
            }
        );
    }

    #[test]
    fn missing_fields_fall_back_without_failing() {
        let old_kernel = "VmRSS:\t 100 kB\n";
        let usage = MemoryUsage::from_proc_status(old_kernel);
        assert_eq!((usage.rss, usage.heap_used), (102_400, 102_400));
        assert_eq!(MemoryUsage::from_proc_status(""), MemoryUsage::default());
        assert_eq!(
            MemoryUsage::from_proc_status("VmRSS: lots kB\n"),
            MemoryUsage::default()
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn this_process_uses_some_memory() {
        let usage = MemoryUsage::sample().await;
        assert!(usage.heap_used > 0, "{usage:?}");
        assert!(usage.heap_used <= usage.heap_total, "{usage:?}");
        assert_eq!(usage.heap_total, usage.rss);
    }
}
