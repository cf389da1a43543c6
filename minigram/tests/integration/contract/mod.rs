//! The store contract, written once and run against every store.
//!
//! Each topic module holds `async fn`s taking a fresh [`Harness`]; the
//! `on_every_store!` macro turns each into one `#[tokio::test]` per backend.
//! Adding a backend means adding one constructor to `Harness` and one line
//! to the macro.
mod accounts;
mod concurrency;
mod deletes;
mod feeds;
mod follows;
mod harness;
mod likes;
mod photos;
mod timelines;
mod tokens;

macro_rules! on_every_store {
    ($($module:ident :: $test:ident),* $(,)?) => {
        on_every_store!(@backend memory, $($module::$test),*);
        on_every_store!(@backend memory_push, $($module::$test),*);
        on_every_store!(@backend memory_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "embedded")] embedded_push, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "embedded")] embedded_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "embedded", feature = "redis"))] embedded_tiered_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "embedded")] embedded, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres_push, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres_router, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres_router_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(feature = "postgres")] postgres_ha, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "embedded", feature = "moka"))] embedded_l1, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "embedded", feature = "redis"))] embedded_l2, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "embedded", feature = "redis"))] embedded_tiered, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "postgres", feature = "redis"))] postgres_tiered, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "postgres", feature = "redis"))] postgres_redis_push, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "postgres", feature = "redis"))] postgres_redis_hybrid, $($module::$test),*);
        on_every_store!(@backend #[cfg(all(feature = "postgres", feature = "redis"))] postgres_router_redis_hybrid, $($module::$test),*);
    };
    (@backend $(#[$attr:meta])* $backend:ident, $($module:ident :: $test:ident),*) => {
        $(#[$attr])*
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let harness = crate::contract::harness::Harness::$backend().await;
                    crate::contract::$module::$test(&harness).await;
                    harness.close().await;
                }
            )*
        }
    };
}

on_every_store!(
    accounts::register_returns_a_session_whose_token_authenticates,
    accounts::user_ids_increase_from_one,
    accounts::duplicate_username_is_rejected_case_insensitively,
    accounts::duplicate_email_is_rejected_case_insensitively,
    accounts::wrong_password_and_unknown_user_give_the_same_error,
    accounts::login_finds_the_username_case_insensitively,
    tokens::logout_revokes_the_token_and_is_idempotent,
    tokens::expired_tokens_are_rejected,
    tokens::forged_tokens_are_rejected,
    tokens::tokens_from_another_secret_are_rejected,
    photos::posted_photo_records_type_dimensions_and_author,
    photos::unknown_photo_is_not_found,
    photos::non_images_and_oversized_uploads_are_refused,
    photos::unknown_author_cannot_post,
    likes::like_is_idempotent_and_counts_distinct_likers,
    likes::unlike_is_idempotent,
    likes::liking_unknown_photo_is_not_found,
    likes::reads_say_whether_the_viewer_liked,
    follows::follow_is_idempotent_and_counted,
    follows::self_follow_is_rejected,
    follows::following_unknown_user_is_not_found,
    follows::profile_says_whether_the_viewer_follows,
    feeds::home_feed_holds_own_and_followed_photos_newest_first,
    feeds::home_feed_merges_a_hundred_followees,
    feeds::pages_cover_every_photo_exactly_once,
    feeds::paging_neither_repeats_nor_skips_while_photos_are_posted,
    feeds::global_feed_holds_everyone_newest_first,
    feeds::user_photos_of_unknown_user_is_not_found,
    feeds::empty_feed_has_no_cursor,
    concurrency::concurrent_registrations_of_one_username_have_one_winner,
    concurrency::concurrent_likes_are_all_counted,
    timelines::home_feeds_equal_the_pull_feed_after_the_queue_drains,
    timelines::the_author_sees_a_new_photo_at_once,
    timelines::concurrent_writes_keep_timelines_exact,
    deletes::a_deleted_photo_is_gone_from_every_read,
    deletes::only_the_author_may_delete_and_only_once,
    deletes::ids_of_deleted_photos_are_never_reused,
    deletes::the_media_file_goes_with_its_last_photo,
    deletes::concurrent_posts_and_deletes_of_the_same_bytes_keep_every_file,
);
