use minigram::{FollowError, UserId};

use crate::contract::harness::Harness;

pub async fn follow_is_idempotent_and_counted(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let cy = h.user("cyd").await;
    h.app.follow(bob, ada).await.unwrap();
    h.app.follow(bob, ada).await.unwrap();
    h.app.follow(cy, ada).await.unwrap();
    let profile = h.app.profile(ada, ada).await.unwrap();
    assert_eq!((profile.followers, profile.following), (2, 0));
    assert_eq!(h.app.profile(bob, bob).await.unwrap().following, 1);
    h.app.unfollow(bob, ada).await.unwrap();
    h.app.unfollow(bob, ada).await.unwrap();
    assert_eq!(h.app.profile(ada, ada).await.unwrap().followers, 1);
    assert_eq!(h.app.profile(bob, bob).await.unwrap().following, 0);
}

pub async fn self_follow_is_rejected(h: &Harness) {
    let ada = h.user("ada").await;
    let err = h.app.follow(ada, ada).await.unwrap_err();
    assert!(matches!(err, FollowError::SelfFollow), "{err:?}");
    // The store refuses it too, for callers that bypass the facade.
    let err = h.app.store().follow(ada, ada).await.unwrap_err();
    assert!(matches!(err, FollowError::SelfFollow), "{err:?}");
    assert_eq!(h.app.profile(ada, ada).await.unwrap().followers, 0);
}

pub async fn following_unknown_user_is_not_found(h: &Harness) {
    let ada = h.user("ada").await;
    let ghost = UserId::new(1000).unwrap();
    let err = h.app.follow(ada, ghost).await.unwrap_err();
    assert!(
        matches!(err, FollowError::UserNotFound(id) if id == ghost),
        "{err:?}"
    );
    let err = h.app.unfollow(ada, ghost).await.unwrap_err();
    assert!(matches!(err, FollowError::UserNotFound(_)), "{err:?}");
    assert_eq!(h.app.profile(ada, ada).await.unwrap().following, 0);
}

pub async fn profile_says_whether_the_viewer_follows(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    h.post(ada, "one").await;
    h.post(ada, "two").await;
    h.app.follow(bob, ada).await.unwrap();
    let seen_by_bob = h.app.profile(ada, bob).await.unwrap();
    assert!(seen_by_bob.followed_by_viewer);
    assert_eq!(seen_by_bob.photos, 2);
    assert_eq!(seen_by_bob.username.as_str(), "ada");
    assert!(!h.app.profile(bob, ada).await.unwrap().followed_by_viewer);
}
