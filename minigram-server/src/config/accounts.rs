//! Accounts: what new passwords must be.

use clap::Args;
use minigram::PasswordPolicy;

use super::config_error::ConfigError;

/// The account flags (`--password-min-length`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Accounts")]
pub struct AccountFlags {
    /// Fewest characters a new password must have (at least 6). Registration only:
    /// logins verify any password against its hash, so lowering or raising this
    /// locks no account out. 6 lets the origin's clients register (`test123`).
    #[arg(
        id = "password_min_length",
        long = "password-min-length",
        value_name = "PASSWORD_MIN_LENGTH",
        env = "MINIGRAM_PASSWORD_MIN_LENGTH",
        default_value_t = PasswordPolicy::DEFAULT_MIN_CHARS
    )]
    pub password_min_length: usize,
}

impl AccountFlags {
    /// The password policy these flags ask for, or why it cannot be had:
    /// below the library's floor ([`PasswordPolicy::LOWEST_MIN_CHARS`]),
    /// or above what any password could meet.
    pub fn resolve(&self) -> Result<PasswordPolicy, ConfigError> {
        let asked = self.password_min_length;
        PasswordPolicy::with_min_chars(asked).ok_or(if asked < PasswordPolicy::LOWEST_MIN_CHARS {
            ConfigError::PasswordMinLengthTooLow { asked }
        } else {
            ConfigError::PasswordMinLengthTooHigh { asked }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(password_min_length: usize) -> AccountFlags {
        AccountFlags {
            password_min_length,
        }
    }

    #[test]
    fn the_floor_and_the_ceiling_come_from_the_library() {
        assert_eq!(flags(6).resolve().map(PasswordPolicy::min_chars), Ok(6));
        assert_eq!(
            flags(1024).resolve().map(PasswordPolicy::min_chars),
            Ok(1024)
        );
        assert_eq!(
            flags(5).resolve(),
            Err(ConfigError::PasswordMinLengthTooLow { asked: 5 })
        );
        assert_eq!(
            flags(1025).resolve(),
            Err(ConfigError::PasswordMinLengthTooHigh { asked: 1025 })
        );
    }
}
