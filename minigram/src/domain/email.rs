use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// An email address, normalised: surrounding whitespace removed and
/// lower-cased, so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Checks, normalises and wraps an email address.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let normalised = input.trim().to_lowercase();
        if normalised.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                "email",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        // The syntax check is the `email_address` crate's (RFC 5322), limited
        // to what deliverable addresses look like: a dotted domain name, no
        // display text, no IP literal.
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            // RFC 5321's 64-octet limit on the local part stays enforced.
            ..email_address::Options::default()
        };
        email_address::EmailAddress::parse_with_options(&normalised, options)
            .map_err(|_| ValidationError::new("email", "must look like name@example.com"))?;
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let email = Email::parse("  Jane.Doe@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "jane.doe@example.com");
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@localhost",
            "a b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
