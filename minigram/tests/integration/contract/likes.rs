use minigram::{LikeError, PhotoId};

use crate::contract::harness::Harness;

pub async fn like_is_idempotent_and_counts_distinct_likers(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let photo = h.post(ada, "p").await.id;
    assert_eq!(h.app.like(ada, photo).await.unwrap(), 1);
    assert_eq!(h.app.like(ada, photo).await.unwrap(), 1);
    assert_eq!(h.app.like(bob, photo).await.unwrap(), 2);
    assert_eq!(h.app.photo(photo, ada).await.unwrap().photo.like_count, 2);
}

pub async fn unlike_is_idempotent(h: &Harness) {
    let ada = h.user("ada").await;
    let photo = h.post(ada, "p").await.id;
    assert_eq!(h.app.unlike(ada, photo).await.unwrap(), 0);
    assert_eq!(h.app.like(ada, photo).await.unwrap(), 1);
    assert_eq!(h.app.unlike(ada, photo).await.unwrap(), 0);
    assert_eq!(h.app.unlike(ada, photo).await.unwrap(), 0);
    assert_eq!(h.app.photo(photo, ada).await.unwrap().photo.like_count, 0);
}

pub async fn liking_unknown_photo_is_not_found(h: &Harness) {
    let ada = h.user("ada").await;
    let missing = PhotoId::new(9).unwrap();
    let err = h.app.like(ada, missing).await.unwrap_err();
    assert!(
        matches!(err, LikeError::PhotoNotFound(id) if id == missing),
        "{err:?}"
    );
    let err = h.app.unlike(ada, missing).await.unwrap_err();
    assert!(matches!(err, LikeError::PhotoNotFound(_)), "{err:?}");
}

pub async fn reads_say_whether_the_viewer_liked(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    h.app.follow(bob, ada).await.unwrap();
    let photo = h.post(ada, "p").await.id;
    h.app.like(bob, photo).await.unwrap();
    assert!(h.app.photo(photo, bob).await.unwrap().liked_by_viewer);
    assert!(!h.app.photo(photo, ada).await.unwrap().liked_by_viewer);
    h.settle().await;
    let bobs_feed = h.app.home_feed(bob, Default::default()).await.unwrap();
    assert!(bobs_feed.items[0].liked_by_viewer);
    h.settle().await;
    let adas_feed = h.app.home_feed(ada, Default::default()).await.unwrap();
    assert!(!adas_feed.items[0].liked_by_viewer);
    assert_eq!(adas_feed.items[0].photo.like_count, 1);
}
