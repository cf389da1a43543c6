//! Flag values that must not be shown: how they are parsed into
//! [`SecretString`]s. (URLs that may carry a password are shown in logs
//! and errors through `minigram::redacted_url`.)
//!
//! Secret flags are `SecretString` from the moment clap parses them, so
//! neither the parsed flags nor the settings print them in `Debug`; they
//! are exposed only where a connection is opened or a key is derived.

use std::convert::Infallible;

use secrecy::SecretString;

/// clap's value parser for a secret flag (`value_parser = parse_secret`).
pub(crate) fn parse_secret(value: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(value))
}
