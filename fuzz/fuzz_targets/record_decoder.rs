//! The stored-record decoders on any bytes: the embedded store's user and
//! photo rows (a version byte, then postcard) and the Redis tier's cached
//! values (postcard), as a corrupted or older redb file or Redis entry
//! would hand them over.
//!
//! Invariants: decoding never panics, it answers a value or an error; a
//! decoded value, encoded again as the store would write it, decodes to
//! the same value and encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minigram::fuzzing::{photo_row, reencode_cached_value, user_row};

fuzz_target!(|data: &[u8]| {
    if let Ok((user, encoded)) = user_row(data) {
        let (again, reencoded) = user_row(&encoded).expect("a written user row decodes");
        assert_eq!(again, user);
        assert_eq!(reencoded, encoded);
    }
    if let Ok((photo, encoded)) = photo_row(data) {
        let (again, reencoded) = photo_row(&encoded).expect("a written photo row decodes");
        assert_eq!(again, photo);
        assert_eq!(reencoded, encoded);
    }
    if let Some(encoded) = reencode_cached_value(data) {
        assert_eq!(reencode_cached_value(&encoded).as_ref(), Some(&encoded));
    }
});
