use minigram::{
    Caption, DeletePhotoError, LikeError, PageLimit, PageRequest, PhotoId, ReadError, UserId,
};

use crate::contract::harness::{Harness, png};

/// Every photo id on every page of `viewer`'s home feed, paging to the end.
async fn home_feed_ids(h: &Harness, viewer: UserId) -> Vec<PhotoId> {
    let mut ids = Vec::new();
    let mut page = PageRequest::first(PageLimit::new(2).unwrap());
    loop {
        h.settle().await;
        let feed = h.app.home_feed(viewer, page).await.unwrap();
        ids.extend(feed.items.iter().map(|view| view.photo.id));
        match feed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return ids,
        }
    }
}

pub async fn a_deleted_photo_is_gone_from_every_read(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    h.app.follow(bob, ada).await.unwrap();
    let [first, doomed, last] = [
        h.post(ada, "one").await.id,
        h.post(ada, "two").await.id,
        h.post(ada, "three").await.id,
    ];
    h.app.like(bob, doomed).await.unwrap();
    // Push and hybrid: the followers' timelines hold every post once the
    // in-process workers are done (the read would race them otherwise).
    h.app.drain_fanout().await.unwrap();
    // Read everything once first, so cached stores hold it.
    assert_eq!(home_feed_ids(h, bob).await, [last, doomed, first]);
    assert!(h.app.photo(doomed, bob).await.unwrap().liked_by_viewer);
    assert_eq!(h.app.profile(ada, bob).await.unwrap().photos, 3);

    h.app.delete_photo(ada, doomed).await.unwrap();

    for viewer in [ada, bob] {
        let err = h.app.photo(doomed, viewer).await.unwrap_err();
        assert!(
            matches!(err, ReadError::PhotoNotFound(id) if id == doomed),
            "{err:?}"
        );
        assert_eq!(home_feed_ids(h, viewer).await, [last, first]);
        let global = h.app.global_feed(viewer, Default::default()).await.unwrap();
        let ids: Vec<_> = global.items.iter().map(|v| v.photo.id).collect();
        assert_eq!(ids, [last, first]);
        let own = h.app.user_photos(ada, viewer, Default::default()).await;
        let ids: Vec<_> = own.unwrap().items.iter().map(|v| v.photo.id).collect();
        assert_eq!(ids, [last, first]);
        assert_eq!(h.app.profile(ada, viewer).await.unwrap().photos, 2);
    }
    let err = h.app.like(bob, doomed).await.unwrap_err();
    assert!(matches!(err, LikeError::PhotoNotFound(_)), "{err:?}");
    // The other photos keep their likes and counts.
    assert_eq!(h.app.like(bob, first).await.unwrap(), 1);
}

pub async fn only_the_author_may_delete_and_only_once(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let photo = h.post(ada, "mine").await.id;
    let err = h.app.delete_photo(bob, photo).await.unwrap_err();
    assert!(
        matches!(err, DeletePhotoError::NotAuthor { photo: p, requester } if p == photo && requester == bob),
        "{err:?}"
    );
    assert_eq!(h.app.photo(photo, bob).await.unwrap().photo.id, photo);
    h.app.delete_photo(ada, photo).await.unwrap();
    let err = h.app.delete_photo(ada, photo).await.unwrap_err();
    assert!(
        matches!(err, DeletePhotoError::PhotoNotFound(id) if id == photo),
        "{err:?}"
    );
    let never = PhotoId::new(99).unwrap();
    let err = h.app.delete_photo(ada, never).await.unwrap_err();
    assert!(
        matches!(err, DeletePhotoError::PhotoNotFound(id) if id == never),
        "{err:?}"
    );
}

pub async fn ids_of_deleted_photos_are_never_reused(h: &Harness) {
    let ada = h.user("ada").await;
    let first = h.post(ada, "one").await.id;
    let second = h.post(ada, "two").await.id;
    // The newest photo: a store that took the next id from the largest
    // one still present would hand `second` out again.
    h.app.delete_photo(ada, second).await.unwrap();
    let third = h.post(ada, "three").await.id;
    assert!(third > second, "{third} reuses an id at or below {second}");
    h.app.delete_photo(ada, first).await.unwrap();
    h.app.delete_photo(ada, third).await.unwrap();
    let fourth = h.post(ada, "four").await.id;
    assert!(fourth > third, "{fourth} after {third}");
}

pub async fn the_media_file_goes_with_its_last_photo(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let caption = || Caption::parse("same bytes").unwrap();
    let shared = h.app.post_photo(ada, caption(), png(3, 3)).await.unwrap();
    let twin = h.app.post_photo(bob, caption(), png(3, 3)).await.unwrap();
    let other = h.app.post_photo(ada, caption(), png(4, 4)).await.unwrap();
    assert_eq!(shared.media_key, twin.media_key);
    let media = h.app.media();

    h.app.delete_photo(ada, shared.id).await.unwrap();
    assert!(
        media.get(&twin.media_key).await.unwrap().is_some(),
        "bob's photo still uses these bytes"
    );
    h.app.delete_photo(bob, twin.id).await.unwrap();
    assert!(
        media.get(&twin.media_key).await.unwrap().is_none(),
        "no photo uses these bytes any more"
    );
    assert!(media.get(&other.media_key).await.unwrap().is_some());
    // Posting the same bytes again brings the file back.
    let again = h.app.post_photo(ada, caption(), png(3, 3)).await.unwrap();
    assert_eq!(again.media_key, twin.media_key);
    assert_eq!(media.get(&again.media_key).await.unwrap(), Some(png(3, 3)));
}

/// Posts of the same bytes racing deletions of photos with those bytes:
/// every photo that still exists afterwards has its file.
pub async fn concurrent_posts_and_deletes_of_the_same_bytes_keep_every_file(h: &Harness) {
    let ada = h.user("ada").await;
    let mut tasks = Vec::new();
    for round in 0..8 {
        let app = h.app.clone();
        tasks.push(tokio::spawn(async move {
            let caption = Caption::parse(&format!("round {round}")).unwrap();
            let photo = app
                .post_photo(ada, caption.clone(), png(2, 2))
                .await
                .unwrap();
            app.delete_photo(ada, photo.id).await.unwrap();
            app.post_photo(ada, caption, png(2, 2)).await.unwrap()
        }));
    }
    for task in tasks {
        let kept = task.await.unwrap();
        assert_eq!(
            h.app.media().get(&kept.media_key).await.unwrap(),
            Some(png(2, 2)),
            "photo {} lost its file",
            kept.id
        );
    }
}
