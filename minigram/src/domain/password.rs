use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::ValidationError;

/// A password as typed by the user: at least 8 characters, at most 1,024
/// bytes (so hashing cost stays bounded). Never printed: `Debug` shows a
/// placeholder and there is no `Display`.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Fewest characters accepted.
    pub const MIN_CHARS: usize = 8;
    /// Most bytes accepted.
    pub const MAX_BYTES: usize = 1024;

    /// Checks and wraps a password.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                "password",
                format!("must be at most {} bytes", Self::MAX_BYTES),
            ));
        }
        Ok(Self(SecretString::from(input)))
    }

    /// The password itself, for hashing only.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_checked_and_never_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        let password = Password::parse("correct horse").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }
}
