//! The parser's own defaults, so that code needing a default configuration
//! (tests, front ends that fix a group) never retypes them.

use clap::{Args, Command};

/// `T` as its flags parse from an empty command line, ignoring the
/// environment (a `MINIGRAM_*` variable in the shell running the tests
/// must not change what "the defaults" are).
///
/// # Panics
///
/// If a flag of `T` is required. None is: every flag has a default or is
/// optional (`tests::every_group_parses_from_its_defaults` holds
/// them to it), which is what lets this return `T` rather than a `Result`.
pub(crate) fn parser_defaults<T: Args>() -> T {
    let command = T::augment_args(Command::new("defaults")).mut_args(|arg| arg.env(None));
    match command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches))
    {
        Ok(defaults) => defaults,
        Err(e) => panic!("a configuration flag has no default: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        AccountFlags, CacheFlags, DataDirFlags, HashingFlags, HttpFlags, LoggingFlags,
        RateLimitFlags, ServerConfig, StoreFlags, TokenFlags, WorkerFlags,
    };

    #[test]
    fn every_group_parses_from_its_defaults() {
        let _: ServerConfig = parser_defaults();
        let _: HttpFlags = parser_defaults();
        let _: DataDirFlags = parser_defaults();
        let _: StoreFlags = parser_defaults();
        let _: CacheFlags = parser_defaults();
        let _: RateLimitFlags = parser_defaults();
        let _: TokenFlags = parser_defaults();
        let _: HashingFlags = parser_defaults();
        let _: LoggingFlags = parser_defaults();
        let _: AccountFlags = parser_defaults();
        let _: WorkerFlags = parser_defaults();
    }
}
