//! Image type and dimension sniffing (`minigram::media::inspect_image`, what
//! every media store runs on an upload) on any bytes.
//!
//! Invariants: it never panics; an accepted upload is within the byte
//! limit, has nonzero dimensions, starts with its format's signature, and
//! gets a media key that parses and names that format; a limit below the
//! length always refuses it as too large.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minigram::media::{ImageType, MediaError, MediaKey, inspect_image};

/// The limit the target applies: above libFuzzer's default input size, so
/// most inputs are judged on their bytes.
const LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    match inspect_image(data, LIMIT) {
        Ok(media) => {
            assert!(data.len() <= LIMIT);
            assert!(media.width > 0 && media.height > 0, "{media:?}");
            assert!(has_signature(data, media.content_type), "{media:?}");
            assert_eq!(media.key.content_type(), media.content_type);
            assert_eq!(MediaKey::parse(media.key.as_str()), Ok(media.key.clone()));
            let again = inspect_image(data, LIMIT).expect("the same bytes are accepted again");
            assert_eq!(again, media);
        }
        Err(MediaError::TooLarge { limit }) => {
            assert_eq!(limit, LIMIT);
            assert!(data.len() > LIMIT);
        }
        Err(MediaError::UnsupportedType) => {}
        Err(other) => panic!("sniffing bytes did I/O: {other}"),
    }
    if let Some(limit) = data.len().checked_sub(1) {
        assert!(matches!(
            inspect_image(data, limit),
            Err(MediaError::TooLarge { .. })
        ));
    }
});

/// The first bytes each accepted format starts with.
fn has_signature(data: &[u8], format: ImageType) -> bool {
    match format {
        ImageType::Jpeg => data.starts_with(&[0xFF, 0xD8, 0xFF]),
        ImageType::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        ImageType::Gif => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
        ImageType::Webp => data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP"),
        _ => false,
    }
}
