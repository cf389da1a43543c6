//! What a cached value depends on, and what a write changes.

use crate::domain::{PhotoId, UserId};

/// One thing whose change makes cached values stale. Every cached value
/// records the version of each dependency it was read under; every write
/// bumps the dependencies it changes, after the store committed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dependency {
    /// Everything `user` does (likes, follows, posts): what `user` sees as a
    /// viewer (`liked_by_viewer`, `followed_by_viewer`, the home feed's
    /// author set, their `following` count). Also the read-your-writes key.
    Viewer(UserId),
    /// The photos `user` posted (feeds including them, the photo count).
    Posts(UserId),
    /// Who follows `user` (the `followers` count).
    Followers(UserId),
    /// The like count of one photo.
    Photo(PhotoId),
    /// Any photo posted by anyone (the global feed).
    AllPosts,
}

impl Dependency {
    /// A short, stable text form, used in Redis keys and in the pub/sub
    /// invalidation messages.
    pub(crate) fn code(self) -> String {
        match self {
            Self::Viewer(user) => format!("v{}", user.get()),
            Self::Posts(user) => format!("p{}", user.get()),
            Self::Followers(user) => format!("f{}", user.get()),
            Self::Photo(photo) => format!("l{}", photo.get()),
            Self::AllPosts => "g".to_owned(),
        }
    }

    #[cfg(feature = "redis")]
    /// The inverse of [`Dependency::code`]; `None` for anything else.
    pub(crate) fn parse(code: &str) -> Option<Self> {
        if code == "g" {
            return Some(Self::AllPosts);
        }
        let (kind, number) = code.split_at_checked(1)?;
        let number: u64 = number.parse().ok()?;
        Some(match kind {
            "v" => Self::Viewer(UserId::new(number)?),
            "p" => Self::Posts(UserId::new(number)?),
            "f" => Self::Followers(UserId::new(number)?),
            "l" => Self::Photo(PhotoId::new(number)?),
            _ => return None,
        })
    }
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let user = UserId::new(42).unwrap_or(UserId::MIN);
        let photo = PhotoId::new(7).unwrap_or(PhotoId::MIN);
        for dep in [
            Dependency::Viewer(user),
            Dependency::Posts(user),
            Dependency::Followers(user),
            Dependency::Photo(photo),
            Dependency::AllPosts,
        ] {
            assert_eq!(Dependency::parse(&dep.code()), Some(dep));
        }
        assert_eq!(Dependency::parse("x1"), None);
        assert_eq!(Dependency::parse("v0"), None);
    }
}
