use super::{Password, ValidationError};

/// Which new passwords registration accepts: at least
/// [`min_chars`](Self::min_chars) characters (default 8, never below 6)
/// and at most [`Password::MAX_CHARS`].
///
/// Only registration applies it. Login verifies whatever password it is
/// given against the stored hash, so changing the minimum never locks out
/// an account made under another one.
///
/// ```
/// use minigram::PasswordPolicy;
///
/// let origin_compatible = PasswordPolicy::with_min_chars(6).expect("6 is allowed");
/// assert!(origin_compatible.parse("test123").is_ok());
/// assert!(PasswordPolicy::default().parse("test123").is_err());
/// assert!(PasswordPolicy::with_min_chars(5).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordPolicy {
    /// Invariant: within `LOWEST_MIN_CHARS..=HIGHEST_MIN_CHARS`.
    min_chars: usize,
}

impl PasswordPolicy {
    /// The default minimum, in characters.
    pub const DEFAULT_MIN_CHARS: usize = 8;
    /// The lowest minimum a policy may have: below 6 characters a password
    /// falls to online guessing too easily, rate limits or not.
    pub const LOWEST_MIN_CHARS: usize = 6;
    /// The highest minimum a policy may have: a longer minimum could never
    /// be met, since no password has more than [`Password::MAX_CHARS`].
    pub const HIGHEST_MIN_CHARS: usize = Password::MAX_CHARS;

    /// A policy requiring at least `min_chars` characters, or `None` when
    /// `min_chars` is outside
    /// [`LOWEST_MIN_CHARS`](Self::LOWEST_MIN_CHARS)..=[`HIGHEST_MIN_CHARS`](Self::HIGHEST_MIN_CHARS).
    pub const fn with_min_chars(min_chars: usize) -> Option<Self> {
        if min_chars < Self::LOWEST_MIN_CHARS || min_chars > Self::HIGHEST_MIN_CHARS {
            return None;
        }
        Some(Self { min_chars })
    }

    /// Fewest characters a new password must have.
    pub const fn min_chars(self) -> usize {
        self.min_chars
    }

    /// Checks a new password against this policy and wraps it; the error
    /// names the field `password`.
    pub fn parse(self, input: &str) -> Result<Password, ValidationError> {
        Password::parse_with_min(input, self.min_chars)
    }

    /// Whether an already parsed password meets this policy (it may have
    /// been parsed under another one).
    pub fn check(self, password: &Password) -> Result<(), ValidationError> {
        if password.char_count() < self.min_chars {
            return Err(Password::too_short(self.min_chars));
        }
        Ok(())
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: Self::DEFAULT_MIN_CHARS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_eight_characters() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.min_chars(), 8);
        assert!(policy.parse("1234567").is_err());
        assert!(policy.parse("12345678").is_ok());
    }

    #[test]
    fn minimums_below_six_or_above_the_byte_limit_are_refused() {
        assert_eq!(PasswordPolicy::with_min_chars(5), None);
        assert_eq!(PasswordPolicy::with_min_chars(0), None);
        assert_eq!(PasswordPolicy::with_min_chars(1025), None);
        assert_eq!(
            PasswordPolicy::with_min_chars(6).map(PasswordPolicy::min_chars),
            Some(6)
        );
        assert_eq!(
            PasswordPolicy::with_min_chars(1024).map(PasswordPolicy::min_chars),
            Some(1024)
        );
    }

    #[test]
    fn a_lower_minimum_admits_the_origins_test_password() {
        let six = PasswordPolicy::with_min_chars(6).expect("allowed");
        assert!(six.parse("test123").is_ok());
        assert!(six.parse("12345").is_err());
        let error = PasswordPolicy::default()
            .parse("test123")
            .expect_err("too short by default");
        assert_eq!(error.field(), "password");
        assert_eq!(error.reason(), "must be at least 8 characters");
    }

    #[test]
    fn check_applies_the_policy_to_a_password_parsed_under_another() {
        let twelve = PasswordPolicy::with_min_chars(12).expect("allowed");
        let ten = Password::parse("0123456789").expect("meets the default");
        let error = twelve.check(&ten).expect_err("too short for 12");
        assert_eq!(error.field(), "password");
        assert_eq!(error.reason(), "must be at least 12 characters");
        assert!(PasswordPolicy::default().check(&ten).is_ok());
    }
}
