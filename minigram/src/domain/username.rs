use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A username: 3-50 characters of `[A-Za-z0-9_.]`.
///
/// 50 is the origin's limit (its schema's `VARCHAR(50)`): its load clients
/// generate names such as `concurrent_user_12_1764618000000` (32
/// characters), which must register here too.
///
/// The spelling the user chose is kept for display; uniqueness is
/// case-insensitive, through [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Shortest allowed username, in characters.
    pub const MIN_LEN: usize = 3;
    /// Longest allowed username, in characters.
    pub const MAX_LEN: usize = 50;

    /// Checks and wraps a username.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let len = input.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(ValidationError::new(
                "username",
                format!(
                    "must be {}-{} characters long",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        if !input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(ValidationError::new(
                "username",
                "may contain only letters, digits, '_' and '.'",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The username as chosen.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity of this username: two usernames with the
    /// same key cannot both exist.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(51)).is_err());
        assert!(Username::parse(&"a".repeat(50)).is_ok());
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse("émile").is_err());
        assert!(Username::parse("../etc").is_err());
        let name = Username::parse("Jane.Doe_1").expect("valid");
        assert_eq!(name.as_str(), "Jane.Doe_1");
        assert_eq!(name.key(), "jane.doe_1");
    }

    /// The origin's concurrent client names its users
    /// `concurrent_user_<i>_<Date.now()>`: 31-32 characters.
    #[test]
    fn the_origins_generated_names_are_accepted() {
        let name = "concurrent_user_12_1764618000000";
        assert_eq!(name.len(), 32);
        assert!(Username::parse(name).is_ok());
    }
}
