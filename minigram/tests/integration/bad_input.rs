//! Bad input never panics: every parser and checker at the edge answers
//! arbitrary input with a value or an error.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use minigram::auth::TokenIssuer;
use minigram::media::{MediaKey, inspect_image};
use minigram::{Caption, Cursor, Email, PageLimit, Password, PhotoId, UserId, Username};
use proptest::prelude::*;
use secrecy::SecretSlice;

proptest! {
    #[test]
    fn text_parsers_never_panic(input in any::<String>()) {
        let _ = Username::parse(&input);
        let _ = Email::parse(&input);
        let _ = Password::parse(&input);
        let _ = Caption::parse(&input);
        let _ = Cursor::parse(&input);
        let _ = MediaKey::parse(&input);
        let _ = UserId::parse(&input);
        let _ = PhotoId::parse(&input);
    }

    #[test]
    fn accepted_usernames_keep_their_rules(input in "[A-Za-z0-9_.]{0,60}") {
        match Username::parse(&input) {
            Ok(name) => prop_assert!((3..=50).contains(&name.as_str().len())),
            Err(err) => prop_assert!(input.len() < 3 || input.len() > 50, "{err}"),
        }
    }

    #[test]
    fn image_inspection_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = inspect_image(&bytes, 256);
    }

    #[test]
    fn image_inspection_never_panics_on_damaged_headers(
        prefix in prop_oneof![
            Just(vec![0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            Just(vec![0xFFu8, 0xD8, 0xFF]),
            Just(b"GIF89a".to_vec()),
            Just(b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec()),
        ],
        rest in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = prefix;
        bytes.extend(rest);
        let _ = inspect_image(&bytes, 1 << 20);
    }

    #[test]
    fn token_verification_never_panics(input in any::<String>()) {
        let issuer = TokenIssuer::new(&SecretSlice::from(vec![1u8; 32]), Duration::from_secs(60))
            .expect("a valid key");
        prop_assert!(issuer.verify(&input).is_err());
    }

    #[test]
    fn page_limits_are_always_in_range(n in any::<usize>()) {
        let clamped = PageLimit::clamped(n).get();
        prop_assert!((1..=100).contains(&clamped));
        prop_assert_eq!(PageLimit::new(n).is_ok(), (1..=100).contains(&n));
    }
}
