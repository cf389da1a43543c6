//! Property test of push and hybrid home feeds: random posts, deletes,
//! follows, unfollows and likes applied through the facade to a pull feed
//! over the memory model and to push and hybrid feeds over the embedded
//! store (a small timeline cap, a low hybrid threshold, small fan-out
//! batches, the process reopened now and then); at each check, after the
//! fan-out queue drains, every page of the viewer's home feed matches the
//! model's, item for item and cursor for cursor.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use std::path::Path;

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{EmbeddedConfig, EmbeddedStore, MemoryStore, Store};
use minigram::{Caption, Minigram, PageLimit, PageRequest, PhotoId, UserId};
use proptest::prelude::*;

use crate::common::fixtures::new_user;
use crate::model::block_on;

const USERS: u8 = 6;
const CAP: usize = 3;
const CELEBRITY_FOLLOWERS: u64 = 2;

#[derive(Debug, Clone)]
enum Op {
    Post { author: u8 },
    Delete { author: u8, photo: u8 },
    Follow { follower: u8, followee: u8 },
    Unfollow { follower: u8, followee: u8 },
    Like { user: u8, photo: u8 },
    Check { viewer: u8, limit: u8 },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1u8..=USERS;
    let photo = 1u8..40;
    prop_oneof![
        4 => user.clone().prop_map(|author| Op::Post { author }),
        1 => (user.clone(), photo.clone()).prop_map(|(author, photo)| Op::Delete { author, photo }),
        3 => (user.clone(), user.clone()).prop_map(|(follower, followee)| Op::Follow { follower, followee }),
        1 => (user.clone(), user.clone()).prop_map(|(follower, followee)| Op::Unfollow { follower, followee }),
        1 => (user.clone(), photo).prop_map(|(user, photo)| Op::Like { user, photo }),
        2 => (user, 1u8..5).prop_map(|(viewer, limit)| Op::Check { viewer, limit }),
        1 => Just(Op::Reopen),
    ]
}

fn uid(n: u8) -> UserId {
    UserId::new(u64::from(n)).unwrap()
}

async fn build(store: impl Store + 'static, media: &Path, feed: FeedStrategy) -> Minigram {
    Minigram::builder()
        .store(store)
        .media_dir(media)
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(feed)
        .timeline_cap(CAP)
        .fanout_batch(2)
        // Half the checks find jobs still queued for the drain to apply.
        .fanout_workers(1)
        .build()
        .await
        .unwrap()
}

async fn open_embedded(dir: &Path, feed: FeedStrategy) -> Minigram {
    let store = EmbeddedStore::open(dir.join("feed.redb"), EmbeddedConfig::default())
        .await
        .unwrap();
    build(store, &dir.join("media"), feed).await
}

/// Every page of `viewer`'s home feed as (ids, like counts, liked) and the
/// cursors, from `app`.
async fn pages(app: &Minigram, viewer: UserId, limit: usize) -> Vec<String> {
    let mut page = PageRequest::first(PageLimit::new(limit).unwrap());
    let mut out = Vec::new();
    loop {
        let feed = app.home_feed(viewer, page).await.unwrap();
        let items: Vec<_> = feed
            .items
            .iter()
            .map(|v| (v.photo.id, v.photo.like_count, v.liked_by_viewer))
            .collect();
        out.push(format!("{items:?} next {:?}", feed.next_cursor));
        match feed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return out,
        }
    }
}

/// One write applied through `app`, its outcome as text.
async fn apply(app: &Minigram, op: &Op, step: usize) -> String {
    match *op {
        Op::Post { author } => {
            let caption = Caption::parse(&format!("step {step}")).unwrap();
            let bytes = crate::common::fixtures::png(step as u32 + 1, 1);
            format!(
                "{:?}",
                app.post_photo(uid(author), caption, bytes)
                    .await
                    .map(|p| p.id)
            )
        }
        Op::Delete { author, photo } => {
            let photo = PhotoId::new(u64::from(photo)).unwrap();
            format!("{:?}", app.delete_photo(uid(author), photo).await)
        }
        Op::Follow { follower, followee } => {
            format!("{:?}", app.follow(uid(follower), uid(followee)).await)
        }
        Op::Unfollow { follower, followee } => {
            format!("{:?}", app.unfollow(uid(follower), uid(followee)).await)
        }
        Op::Like { user, photo } => {
            let photo = PhotoId::new(u64::from(photo)).unwrap();
            format!("{:?}", app.like(uid(user), photo).await)
        }
        Op::Check { .. } | Op::Reopen => String::new(),
    }
}

async fn compare(ops: &[Op], feed: FeedStrategy) -> Result<(), TestCaseError> {
    let model_dir = tempfile::tempdir().unwrap();
    let model = build(MemoryStore::new(), model_dir.path(), FeedStrategy::Pull).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = open_embedded(dir.path(), feed).await;
    for n in 0..USERS {
        let name = format!("user{n}");
        model.store().create_user(new_user(&name)).await.unwrap();
        app.store().create_user(new_user(&name)).await.unwrap();
    }
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Reopen => {
                app.close().await.unwrap();
                app = open_embedded(dir.path(), feed).await;
            }
            Op::Check { viewer, limit } => {
                app.drain_fanout().await.unwrap();
                let expected = pages(&model, uid(viewer), limit.into()).await;
                let actual = pages(&app, uid(viewer), limit.into()).await;
                prop_assert_eq!(actual, expected, "step {} {:?}", step, op);
            }
            _ => {
                let expected = apply(&model, op, step).await;
                let actual = apply(&app, op, step).await;
                // Error texts name the failing call the same way on both.
                prop_assert_eq!(actual, expected, "step {} {:?}", step, op);
            }
        }
    }
    app.close().await.unwrap();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn push_feeds_equal_the_pull_model(ops in proptest::collection::vec(op(), 1..50)) {
        block_on(compare(&ops, FeedStrategy::Push))?;
    }

    #[test]
    fn hybrid_feeds_equal_the_pull_model(ops in proptest::collection::vec(op(), 1..50)) {
        block_on(compare(&ops, FeedStrategy::Hybrid { celebrity_followers: CELEBRITY_FOLLOWERS }))?;
    }
}
