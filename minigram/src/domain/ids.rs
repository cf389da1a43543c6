use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ValidationError;

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(NonZeroU64);

        impl $name {
            /// The smallest id, 1.
            pub const MIN: Self = Self(NonZeroU64::MIN);
            /// The largest id.
            pub const MAX: Self = Self(NonZeroU64::MAX);

            /// The id with this value; `None` for 0, which is never an id.
            pub fn new(value: u64) -> Option<Self> {
                NonZeroU64::new(value).map(Self)
            }

            /// The numeric value (always >= 1).
            pub fn get(self) -> u64 {
                self.0.get()
            }

            /// Parses a positive decimal integer, as ids appear in URL paths.
            pub fn parse(input: &str) -> Result<Self, ValidationError> {
                input
                    .parse::<u64>()
                    .ok()
                    .and_then(Self::new)
                    .ok_or_else(|| ValidationError::new($field, "must be a positive integer"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

positive_id!(
    /// Identifies a user. Assigned by the store in increasing order, starting at 1.
    UserId,
    "user_id"
);
positive_id!(
    /// Identifies a photo. Assigned by the store in increasing order, starting at 1,
    /// so a higher id is a newer photo: feeds are ordered by id.
    PhotoId,
    "photo_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_zero_negative_and_garbage() {
        assert!(UserId::parse("0").is_err());
        assert!(UserId::parse("-1").is_err());
        assert!(PhotoId::parse("abc").is_err());
        assert!(PhotoId::parse("").is_err());
        assert_eq!(PhotoId::parse("42").map(PhotoId::get), Ok(42));
    }
}
