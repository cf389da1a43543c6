use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::{PasswordPolicy, ValidationError};

/// A password as typed by the user: never empty, at most 1,024 characters
/// (so hashing cost stays bounded: at most 4 KiB of UTF-8; counted in
/// characters, as JSON Schema's `maxLength` and people count). Never printed: `Debug` shows a placeholder
/// and there is no `Display`.
///
/// How long it must be is a [`PasswordPolicy`]'s business, and only for new
/// passwords: [`Password::parse`] checks the default policy (at least 8
/// characters), [`PasswordPolicy::parse`] a configured one, and
/// [`Minigram::register`](crate::Minigram::register) checks the policy it
/// was built with again. Login checks no minimum (see
/// [`Minigram::login`](crate::Minigram::login)).
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Fewest characters [`Password::parse`] accepts: the default
    /// policy's minimum.
    pub const MIN_CHARS: usize = PasswordPolicy::DEFAULT_MIN_CHARS;
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 1024;

    /// Checks a new password against the default [`PasswordPolicy`] (at
    /// least [`MIN_CHARS`](Self::MIN_CHARS) characters) and wraps it.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        PasswordPolicy::default().parse(input)
    }

    /// Checks a password of at least `min_chars` characters (and at least
    /// one, whatever `min_chars` says) and at most
    /// [`MAX_CHARS`](Self::MAX_CHARS) characters. The policy floor is not
    /// checked here: [`PasswordPolicy`] never holds a minimum below it.
    pub(crate) fn parse_with_min(input: &str, min_chars: usize) -> Result<Self, ValidationError> {
        let min_chars = min_chars.max(1);
        // Counted in characters, as people count them, not bytes. The
        // byte length bounds the count, so huge input is refused unread.
        let chars = if input.len() > 4 * Self::MAX_CHARS {
            usize::MAX
        } else {
            input.chars().count()
        };
        if chars < min_chars {
            return Err(Self::too_short(min_chars));
        }
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "password",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(SecretString::from(input)))
    }

    /// A password offered at login: any non-empty one up to
    /// [`MAX_CHARS`](Self::MAX_CHARS) characters. No minimum, so an account keeps
    /// working when the policy's minimum changes after it was made.
    pub(crate) fn parse_for_login(input: &str) -> Result<Self, ValidationError> {
        Self::parse_with_min(input, 1)
    }

    /// The error for a password under `min_chars` characters.
    pub(crate) fn too_short(min_chars: usize) -> ValidationError {
        ValidationError::new(
            "password",
            format!("must be at least {min_chars} characters"),
        )
    }

    /// Its length in characters, as the policy counts it.
    pub(crate) fn char_count(&self) -> usize {
        self.0.expose_secret().chars().count()
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
        // The maximum is in characters too (JSON Schema's `maxLength`):
        // 1,024 two-byte characters are allowed, one more is not.
        assert!(Password::parse(&"é".repeat(1024)).is_ok());
        assert!(Password::parse(&"é".repeat(1025)).is_err());
        assert!(Password::parse(&"€".repeat(4096)).is_err());
        let password = Password::parse("correct horse").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn the_default_minimum_is_eight_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        // Characters, not bytes: 8 two-byte characters are enough.
        assert!(Password::parse(&"é".repeat(8)).is_ok());
        assert!(Password::parse(&"é".repeat(7)).is_err());
    }

    #[test]
    fn login_passwords_need_only_be_non_empty_and_bounded() {
        assert!(Password::parse_for_login("").is_err());
        assert!(Password::parse_for_login("x").is_ok());
        assert!(Password::parse_for_login(&"x".repeat(1024)).is_ok());
        assert!(Password::parse_for_login(&"x".repeat(1025)).is_err());
    }
}
