use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{PhotoId, PhotoView, ValidationError};

/// Where the next page of a feed starts: an opaque token for clients.
///
/// Feeds are ordered by photo id, newest (highest) first; a cursor means
/// "photos with an id strictly below this one". Because new photos always get
/// higher ids, paging with cursors neither repeats nor skips photos while new
/// ones are being posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    before: PhotoId,
}

impl Cursor {
    /// Encoding version, the first byte of every cursor.
    const VERSION: u8 = 1;

    /// A cursor for the page that follows the photo `last`.
    pub fn after(last: PhotoId) -> Self {
        Self { before: last }
    }

    /// Pages from this cursor hold only photos with an id below this one.
    pub fn before(self) -> PhotoId {
        self.before
    }

    /// Decodes a cursor given back by a client.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("cursor", "is not a cursor this server issued");
        let bytes = URL_SAFE_NO_PAD.decode(input).map_err(|_| invalid())?;
        match bytes.split_first() {
            Some((&Self::VERSION, rest)) => {
                let raw: [u8; 8] = rest.try_into().map_err(|_| invalid())?;
                let before = PhotoId::new(u64::from_be_bytes(raw)).ok_or_else(invalid)?;
                Ok(Self { before })
            }
            _ => Err(invalid()),
        }
    }

    /// The opaque form handed to clients.
    pub fn encode(self) -> String {
        let mut bytes = Vec::with_capacity(9);
        bytes.push(Self::VERSION);
        bytes.extend_from_slice(&self.before.get().to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// How many items a page holds: 1-100, 20 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageLimit(usize);

impl PageLimit {
    /// Items per page when the client does not say.
    pub const DEFAULT: PageLimit = PageLimit(20);
    /// Most items a page may hold.
    pub const MAX: usize = 100;

    /// Checks a requested limit: 1-100.
    pub fn new(limit: usize) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }

    /// A limit clamped into 1-100, for callers who prefer capping to refusing.
    pub fn clamped(limit: usize) -> Self {
        Self(limit.clamp(1, Self::MAX))
    }

    /// The number of items.
    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items.
    pub limit: PageLimit,
    /// Start after this cursor; `None` for the newest page.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page with `limit` items.
    pub fn first(limit: PageLimit) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }

    /// Whether a photo id falls on or after this page's start.
    pub(crate) fn admits(&self, id: PhotoId) -> bool {
        self.cursor.is_none_or(|c| id < c.before())
    }
}

/// One page of photos, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedPage {
    /// The photos on this page.
    pub items: Vec<PhotoView>,
    /// Present when more photos follow; pass it back for the next page.
    pub next_cursor: Option<Cursor>,
}

impl FeedPage {
    /// Builds a page from up to `limit + 1` candidates in feed order: the
    /// extra one, when present, only signals that a next page exists.
    pub(crate) fn from_candidates(mut candidates: Vec<PhotoView>, limit: PageLimit) -> Self {
        let more = candidates.len() > limit.get();
        candidates.truncate(limit.get());
        Self::of(candidates, more)
    }

    /// A page of `items` (in feed order), with a cursor after the last one
    /// when `more` says older items exist.
    pub(crate) fn of(items: Vec<PhotoView>, more: bool) -> Self {
        let next_cursor = if more {
            items.last().map(|v| Cursor::after(v.photo.id))
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let cursor = Cursor::after(PhotoId::new(1234).expect("nonzero"));
        assert_eq!(Cursor::parse(&cursor.encode()), Ok(cursor));
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse("not base64!").is_err());
        assert!(Cursor::parse(&URL_SAFE_NO_PAD.encode([2u8; 9])).is_err());
        assert!(Cursor::parse(&URL_SAFE_NO_PAD.encode([1u8, 0, 0, 0, 0, 0, 0, 0, 0])).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert!(PageLimit::new(0).is_err());
        assert!(PageLimit::new(101).is_err());
        assert_eq!(PageLimit::clamped(1000).get(), 100);
        assert_eq!(PageLimit::default().get(), 20);
    }
}
