use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A photo caption: at most 2,200 characters (may be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Caption(String);

impl Caption {
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 2200;

    /// Checks and wraps a caption.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "caption",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The caption text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Caption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Caption {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Caption> for String {
    fn from(value: Caption) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_are_bounded_in_characters() {
        assert!(Caption::parse(&"é".repeat(2200)).is_ok());
        assert!(Caption::parse(&"a".repeat(2201)).is_err());
    }
}
