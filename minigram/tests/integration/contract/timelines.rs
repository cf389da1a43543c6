//! Push and hybrid home feeds against the pull feed: after the fan-out
//! queue drains, every page is the pull page (same items, order and
//! cursors), past the timeline cap, through follows, unfollows, deletes
//! and authors crossing the hybrid threshold both ways. Under pull the
//! same checks hold trivially, so they run on every backend.

use minigram::{Caption, FeedPage, PageLimit, PageRequest, UserId};

use crate::contract::harness::{Harness, TEST_CELEBRITY_FOLLOWERS, TEST_TIMELINE_CAP, png};

/// Every page of `viewer`'s home feed at `limit`, through the facade.
async fn home_pages(h: &Harness, viewer: UserId, limit: usize) -> Vec<FeedPage> {
    let mut page = PageRequest::first(PageLimit::new(limit).unwrap());
    let mut pages = Vec::new();
    loop {
        let feed = h.app.home_feed(viewer, page).await.unwrap();
        let next = feed.next_cursor;
        pages.push(feed);
        match next {
            Some(cursor) => page.cursor = Some(cursor),
            None => return pages,
        }
    }
}

/// The same pages from the store's pull path.
async fn pull_pages(h: &Harness, viewer: UserId, limit: usize) -> Vec<FeedPage> {
    let mut page = PageRequest::first(PageLimit::new(limit).unwrap());
    let mut pages = Vec::new();
    loop {
        let feed = h.app.store().followed_photos(viewer, page).await.unwrap();
        let next = feed.next_cursor;
        pages.push(feed);
        match next {
            Some(cursor) => page.cursor = Some(cursor),
            None => return pages,
        }
    }
}

async fn assert_feeds_equal_pull(h: &Harness, users: &[UserId], when: &str) {
    h.settle().await;
    for &user in users {
        for limit in [1, 2, 5, 20] {
            let home = home_pages(h, user, limit).await;
            let pull = pull_pages(h, user, limit).await;
            assert_eq!(home, pull, "user {user}, limit {limit}, {when}");
        }
    }
}

pub async fn home_feeds_equal_the_pull_feed_after_the_queue_drains(h: &Harness) {
    let mut users = Vec::new();
    for name in ["ann", "ben", "cat", "dan", "eve", "fay"] {
        users.push(h.user(name).await);
    }
    let [ann, ben, cat, dan, eve, fay] = users[..] else {
        unreachable!()
    };
    for follower in [ben, cat, dan] {
        h.app.follow(follower, ann).await.unwrap();
    }
    h.app.follow(ann, ben).await.unwrap();
    h.app.follow(eve, ben).await.unwrap();
    // More photos than a timeline holds, from several authors.
    let mut posted = Vec::new();
    for round in 0..(TEST_TIMELINE_CAP + 4) {
        for author in [ann, ben, cat] {
            let caption = Caption::parse(&format!("{round}")).unwrap();
            let bytes = png(round as u32 + 1, 1);
            posted.push(h.app.post_photo(author, caption, bytes).await.unwrap());
        }
    }
    assert_feeds_equal_pull(h, &users, "after the posts").await;

    // A follow merges the followee's newest photos; older ones come from
    // pull. An unfollow takes the followee's photos out.
    h.app.follow(fay, cat).await.unwrap();
    h.app.follow(dan, ben).await.unwrap();
    h.app.unfollow(cat, ann).await.unwrap();
    assert_feeds_equal_pull(h, &users, "after follows and an unfollow").await;

    // Deletes leave every timeline, including from inside the cap.
    for photo in posted.iter().rev().step_by(4).take(5) {
        h.app.delete_photo(photo.author, photo.id).await.unwrap();
    }
    h.app.like(dan, posted[0].id).await.unwrap();
    assert_feeds_equal_pull(h, &users, "after deletes").await;

    // Ann crosses the hybrid threshold upwards (she has 2 followers left:
    // ben and dan), posts, then falls back under it and posts again.
    let mut followers = vec![ben, dan];
    for extra in [eve, fay] {
        if (followers.len() as u64) < TEST_CELEBRITY_FOLLOWERS + 1 {
            h.app.follow(extra, ann).await.unwrap();
            followers.push(extra);
        }
    }
    h.post(ann, "while popular").await;
    assert_feeds_equal_pull(h, &users, "while ann is over the threshold").await;
    h.app.unfollow(eve, ann).await.unwrap();
    h.app.unfollow(fay, ann).await.unwrap();
    h.post(ann, "back to normal").await;
    assert_feeds_equal_pull(h, &users, "after ann fell back under it").await;
    if h.app.feed_strategy().uses_timelines() {
        // The pages above really came from timelines and fan-out.
        let metrics = h.app.fanout_metrics().unwrap();
        assert!(metrics.jobs_done() > 0, "no fan-out job completed");
        assert!(
            metrics.timeline_hits() > 0,
            "no page was read from a timeline"
        );
        assert_eq!(h.app.store().fanout_queue_depth().await.unwrap(), 0);
    }
}

/// The author sees a new photo in their own home feed at once, before any
/// fan-out.
pub async fn the_author_sees_a_new_photo_at_once(h: &Harness) {
    let ann = h.user("ann").await;
    let ben = h.user("ben").await;
    h.app.follow(ann, ben).await.unwrap();
    h.post(ben, "older").await;
    let photo = h.post(ann, "mine").await;
    let feed = h.app.home_feed(ann, PageRequest::default()).await.unwrap();
    assert_eq!(feed.items.first().map(|v| v.photo.id), Some(photo.id));
}

/// Posts, deletes, follows and unfollows from four tasks at once while
/// the store's workers fan out: once the queue drains, every feed is the
/// pull feed. (On PostgreSQL this exercises the locking protocol between
/// concurrent transactions; the single-writer stores serialise anyway.)
pub async fn concurrent_writes_keep_timelines_exact(h: &Harness) {
    let mut users = Vec::new();
    for name in ["ann", "ben", "cat", "dan", "eve", "fay"] {
        users.push(h.user(name).await);
    }
    let tasks: Vec<_> = (0..4u32)
        .map(|task| {
            let app = h.app.clone();
            let users = users.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for step in 0..40u32 {
                    let pick = |salt: u32| users[((task * 7 + step * 13 + salt) % 6) as usize];
                    let (a, b) = (pick(0), pick(1 + step % 5));
                    match step % 4 {
                        0 | 1 => {
                            let caption = Caption::parse(&format!("{task}/{step}")).unwrap();
                            let photo = app
                                .post_photo(a, caption, png(task * 100 + step + 1, 3))
                                .await
                                .unwrap();
                            mine.push((a, photo.id));
                        }
                        2 if step % 8 == 2 => {
                            if let Some((author, photo)) = mine.pop() {
                                app.delete_photo(author, photo).await.unwrap();
                            }
                        }
                        2 => app.follow(a, b).await.unwrap(),
                        _ => app.unfollow(a, b).await.unwrap(),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_feeds_equal_pull(h, &users, "after concurrent writes").await;
}
