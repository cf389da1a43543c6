use minigram::media::{ImageType, MediaError};
use minigram::{Caption, PhotoId, PostPhotoError, ReadError, UserId};

use crate::contract::harness::{Harness, png};

pub async fn posted_photo_records_type_dimensions_and_author(h: &Harness) {
    let ada = h.user("ada").await;
    let photo = h
        .app
        .post_photo(ada, Caption::parse("sunset").unwrap(), png(640, 480))
        .await
        .unwrap();
    assert_eq!(photo.id.get(), 1);
    assert_eq!(photo.author, ada);
    assert_eq!(photo.author_username.as_str(), "ada");
    assert_eq!(photo.content_type, ImageType::Png);
    assert_eq!((photo.width, photo.height), (640, 480));
    assert_eq!(photo.like_count, 0);
    assert!(photo.media_key.as_str().ends_with(".png"));
    let stored = h.app.media().get(&photo.media_key).await.unwrap().unwrap();
    assert_eq!(stored, png(640, 480));
    let read = h.app.photo(photo.id, ada).await.unwrap();
    assert_eq!(read.photo, photo);
    assert!(!read.liked_by_viewer);
}

pub async fn unknown_photo_is_not_found(h: &Harness) {
    let ada = h.user("ada").await;
    let missing = PhotoId::new(42).unwrap();
    let err = h.app.photo(missing, ada).await.unwrap_err();
    assert!(
        matches!(err, ReadError::PhotoNotFound(id) if id == missing),
        "{err:?}"
    );
}

pub async fn non_images_and_oversized_uploads_are_refused(h: &Harness) {
    let ada = h.user("ada").await;
    let err = h
        .app
        .post_photo(ada, Caption::default(), b"%PDF-1.7 not an image".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PostPhotoError::Media(MediaError::UnsupportedType)),
        "{err:?}"
    );
    let limit = h.app.media().max_bytes();
    let mut huge = png(10, 10);
    huge.resize(limit + 1, 0);
    let err = h
        .app
        .post_photo(ada, Caption::default(), huge)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PostPhotoError::Media(MediaError::TooLarge { .. })),
        "{err:?}"
    );
    let feed = h.app.global_feed(ada, Default::default()).await.unwrap();
    assert!(feed.items.is_empty(), "a refused upload left a photo");
}

pub async fn unknown_author_cannot_post(h: &Harness) {
    let ghost = UserId::new(77).unwrap();
    let err = h
        .app
        .post_photo(ghost, Caption::default(), png(1, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PostPhotoError::AuthorNotFound(id) if id == ghost),
        "{err:?}"
    );
}
