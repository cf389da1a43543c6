//! The domain parsers on any text (the input, as lossy UTF-8).
//!
//! Invariants: no parser panics; each accepts exactly what its documented
//! rule allows; what a parser accepts parses again to the same value (the
//! spelling a client gets back is one the server takes); a cursor has one
//! spelling, the one the server hands out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minigram::media::MediaKey;
use minigram::{
    Caption, Cursor, Email, PageLimit, Password, PasswordPolicy, PhotoId, UserId, Username,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let chars = text.chars().count();
    username(text, chars);
    email(text);
    password(text, chars);
    caption(text, chars);
    cursor(text, data);
    ids_and_limits(text, data);
    media_key(text);
});

/// 3-50 characters of `[A-Za-z0-9_.]`, kept as typed; the key is the
/// lower-cased spelling.
fn username(text: &str, chars: usize) {
    let allowed = (Username::MIN_LEN..=Username::MAX_LEN).contains(&chars)
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    match Username::parse(text) {
        Ok(name) => {
            assert!(allowed, "accepted {text:?}");
            assert_eq!(name.as_str(), text);
            assert_eq!(Username::parse(name.as_str()), Ok(name.clone()));
            let key = name.key();
            assert_eq!(key, text.to_ascii_lowercase());
            let by_key = Username::parse(&key).expect("a key is a valid username");
            assert_eq!(by_key.key(), key);
        }
        Err(error) => {
            assert!(!allowed, "refused {text:?}: {error}");
            assert_eq!(error.field(), "username");
        }
    }
}

/// Normalised (trimmed, lower-cased), at most 254 bytes; parsing the
/// normalised form again changes nothing.
fn email(text: &str) {
    if let Ok(email) = Email::parse(text) {
        let address = email.as_str();
        assert_eq!(address, text.trim().to_lowercase());
        assert!(address.len() <= Email::MAX_LEN, "{address:?}");
        assert!(address.contains('@'), "{address:?}");
        assert_eq!(Email::parse(address), Ok(email.clone()));
    }
}

/// At least the policy's minimum and at most 1,024, in characters; a
/// policy's `check` agrees with its `parse`.
fn password(text: &str, chars: usize) {
    let fits = |min: usize| chars >= min && chars <= Password::MAX_CHARS;
    let default = Password::parse(text);
    assert_eq!(default.is_ok(), fits(Password::MIN_CHARS), "{text:?}");
    for min in [
        PasswordPolicy::LOWEST_MIN_CHARS,
        12,
        PasswordPolicy::HIGHEST_MIN_CHARS,
    ] {
        let policy = PasswordPolicy::with_min_chars(min).expect("an allowed minimum");
        let parsed = policy.parse(text);
        assert_eq!(parsed.is_ok(), fits(min), "min {min}: {text:?}");
        if let Ok(password) = &default {
            assert_eq!(policy.check(password).is_ok(), chars >= min, "min {min}");
        }
        if let Err(error) = parsed {
            assert_eq!(error.field(), "password");
        }
    }
}

/// At most 2,200 characters, kept as typed.
fn caption(text: &str, chars: usize) {
    match Caption::parse(text) {
        Ok(caption) => {
            assert!(chars <= Caption::MAX_CHARS);
            assert_eq!(caption.as_str(), text);
        }
        Err(error) => {
            assert!(chars > Caption::MAX_CHARS);
            assert_eq!(error.field(), "caption");
        }
    }
}

/// A cursor parses only in the one spelling `encode` gives, and any photo
/// id makes a cursor that parses back to itself.
fn cursor(text: &str, data: &[u8]) {
    if let Ok(cursor) = Cursor::parse(text) {
        assert_eq!(cursor.encode(), text);
        assert_eq!(Cursor::after(cursor.before()), cursor);
    }
    if let Some(id) = first_u64(data).and_then(PhotoId::new) {
        let cursor = Cursor::after(id);
        assert_eq!(Cursor::parse(&cursor.encode()), Ok(cursor));
        assert_eq!(cursor.before(), id);
    }
}

/// Ids are positive and print as a spelling that parses back; page limits
/// are 1-100, and clamping lands in that range.
fn ids_and_limits(text: &str, data: &[u8]) {
    if let Ok(id) = UserId::parse(text) {
        assert!(id.get() >= 1);
        assert_eq!(UserId::parse(&id.to_string()), Ok(id));
    }
    if let Ok(id) = PhotoId::parse(text) {
        assert_eq!(PhotoId::parse(&id.to_string()), Ok(id));
    }
    if let Some(raw) = first_u64(data) {
        let raw = usize::try_from(raw).unwrap_or(usize::MAX);
        assert_eq!(
            PageLimit::new(raw).is_ok(),
            (1..=PageLimit::MAX).contains(&raw)
        );
        let clamped = PageLimit::clamped(raw).get();
        assert!((1..=PageLimit::MAX).contains(&clamped));
    }
}

/// A media key is a plain file name: 64 lowercase hex digits, a dot and a
/// known extension, never a path.
fn media_key(text: &str) {
    if let Ok(key) = MediaKey::parse(text) {
        assert_eq!(key.as_str(), text);
        assert!(!text.contains('/') && !text.contains('\\') && !text.contains(".."));
        assert_eq!(key.digest_hex().len(), 64);
        let extension = text.rsplit_once('.').map(|(_, ext)| ext);
        assert_eq!(extension, Some(key.content_type().extension()));
    }
}

fn first_u64(data: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = data.get(..8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}
