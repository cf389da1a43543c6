//! Property test: random operation sequences applied to the embedded store
//! and to the memory reference model give the same result after every step,
//! including when the embedded database is closed and reopened mid-way.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{DateTime, Utc};
use minigram::media::{ImageType, MediaKey, StoredMedia};
use minigram::store::{EmbeddedConfig, EmbeddedStore, MemoryStore, NewPhoto, NewUser, Store};
use minigram::{Caption, Cursor, Email, PageLimit, PageRequest, PhotoId, UserId, Username};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Register {
        name: u8,
        email: u8,
    },
    Post {
        author: u8,
    },
    Delete {
        requester: u8,
        photo: u8,
    },
    MediaInUse {
        key: u8,
    },
    Like {
        user: u8,
        photo: u8,
    },
    Unlike {
        user: u8,
        photo: u8,
    },
    Follow {
        follower: u8,
        followee: u8,
    },
    Unfollow {
        follower: u8,
        followee: u8,
    },
    HomeFeed {
        viewer: u8,
        limit: u8,
        before: Option<u8>,
    },
    GlobalFeed {
        viewer: u8,
        limit: u8,
        before: Option<u8>,
    },
    Profile {
        user: u8,
        viewer: u8,
    },
    Photo {
        photo: u8,
        viewer: u8,
    },
    Credentials {
        name: u8,
    },
    Revoke {
        token: u8,
    },
    IsRevoked {
        token: u8,
    },
    Reopen,
}

/// Posts cycle through this many media keys, so several photos share one
/// (as posts of the same bytes do) and deletes exercise the reference count.
const MEDIA_KEYS: u8 = 5;

fn media_key(n: u8) -> MediaKey {
    MediaKey::parse(&format!("{n:064x}.png")).unwrap()
}

fn op() -> impl Strategy<Value = Op> {
    // Small id ranges so operations hit existing and missing ids alike.
    let user = 1u8..8;
    let photo = 1u8..12;
    prop_oneof![
        3 => (0u8..10, 0u8..10).prop_map(|(name, email)| Op::Register { name, email }),
        3 => user.clone().prop_map(|author| Op::Post { author }),
        1 => (user.clone(), photo.clone()).prop_map(|(requester, photo)| Op::Delete { requester, photo }),
        1 => (0u8..MEDIA_KEYS).prop_map(|key| Op::MediaInUse { key }),
        3 => (user.clone(), photo.clone()).prop_map(|(user, photo)| Op::Like { user, photo }),
        1 => (user.clone(), photo.clone()).prop_map(|(user, photo)| Op::Unlike { user, photo }),
        2 => (user.clone(), user.clone()).prop_map(|(follower, followee)| Op::Follow { follower, followee }),
        1 => (user.clone(), user.clone()).prop_map(|(follower, followee)| Op::Unfollow { follower, followee }),
        2 => (user.clone(), 1u8..6, proptest::option::of(photo.clone()))
            .prop_map(|(viewer, limit, before)| Op::HomeFeed { viewer, limit, before }),
        1 => (user.clone(), 1u8..6, proptest::option::of(photo.clone()))
            .prop_map(|(viewer, limit, before)| Op::GlobalFeed { viewer, limit, before }),
        1 => (user.clone(), user.clone()).prop_map(|(user, viewer)| Op::Profile { user, viewer }),
        1 => (photo, user).prop_map(|(photo, viewer)| Op::Photo { photo, viewer }),
        1 => (0u8..10).prop_map(|name| Op::Credentials { name }),
        1 => (0u8..4).prop_map(|token| Op::Revoke { token }),
        1 => (0u8..4).prop_map(|token| Op::IsRevoked { token }),
        1 => Just(Op::Reopen),
    ]
}

fn time(step: usize) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000 + step as i64 * 1_001).unwrap()
}

fn uid(n: u8) -> UserId {
    UserId::new(n.into()).unwrap()
}

fn pid(n: u8) -> PhotoId {
    PhotoId::new(n.into()).unwrap()
}

fn page(limit: u8, before: Option<u8>) -> PageRequest {
    PageRequest {
        limit: PageLimit::new(limit.into()).unwrap(),
        cursor: before.map(|b| Cursor::after(pid(b))),
    }
}

/// Applies one operation and renders its result for comparison. (`Debug`
/// output is compared because store errors carry non-comparable sources.)
async fn apply(store: &dyn Store, op: &Op, step: usize) -> String {
    match op.clone() {
        Op::Register { name, email } => {
            // Names differing only in case exercise case-insensitivity.
            let username = if name % 2 == 0 {
                format!("user{}", name / 2)
            } else {
                format!("USER{}", name / 2)
            };
            let new = NewUser {
                username: Username::parse(&username).unwrap(),
                email: Email::parse(&format!("e{email}@example.com")).unwrap(),
                password_hash: format!("hash-{step}"),
                created_at: time(step),
            };
            format!("{:?}", store.create_user(new).await)
        }
        Op::Post { author } => {
            let media = StoredMedia {
                key: media_key((step % usize::from(MEDIA_KEYS)) as u8),
                content_type: ImageType::Png,
                width: step as u32 + 1,
                height: 3,
            };
            let new = NewPhoto {
                author: uid(author),
                caption: Caption::parse(&format!("caption {step}")).unwrap(),
                media,
                created_at: time(step),
            };
            format!("{:?}", store.create_photo(new).await)
        }
        Op::Delete { requester, photo } => {
            format!("{:?}", store.delete_photo(pid(photo), uid(requester)).await)
        }
        Op::MediaInUse { key } => format!("{:?}", store.media_in_use(&media_key(key)).await),
        Op::Like { user, photo } => format!("{:?}", store.like(uid(user), pid(photo)).await),
        Op::Unlike { user, photo } => format!("{:?}", store.unlike(uid(user), pid(photo)).await),
        Op::Follow { follower, followee } => {
            format!("{:?}", store.follow(uid(follower), uid(followee)).await)
        }
        Op::Unfollow { follower, followee } => {
            format!("{:?}", store.unfollow(uid(follower), uid(followee)).await)
        }
        Op::HomeFeed {
            viewer,
            limit,
            before,
        } => {
            let mut authors = store.followees(uid(viewer)).await.unwrap();
            authors.push(uid(viewer));
            let page = store
                .photos_by_authors(&authors, uid(viewer), page(limit, before))
                .await;
            format!("{authors:?} {page:?}")
        }
        Op::GlobalFeed {
            viewer,
            limit,
            before,
        } => {
            format!(
                "{:?}",
                store.global_photos(uid(viewer), page(limit, before)).await
            )
        }
        Op::Profile { user, viewer } => {
            format!("{:?}", store.profile(uid(user), uid(viewer)).await)
        }
        Op::Photo { photo, viewer } => format!("{:?}", store.photo(pid(photo), uid(viewer)).await),
        Op::Credentials { name } => {
            let username = Username::parse(&format!("User{}", name / 2)).unwrap();
            format!("{:?}", store.credentials(&username).await)
        }
        Op::Revoke { token } => {
            format!(
                "{:?}",
                // Far-future expiry: stores may forget expired revocations.
                store
                    .revoke_token(
                        &format!("t{token}"),
                        time(step) + chrono::Duration::days(36_500)
                    )
                    .await
            )
        }
        Op::IsRevoked { token } => {
            format!("{:?}", store.is_token_revoked(&format!("t{token}")).await)
        }
        Op::Reopen => String::new(),
    }
}

async fn open(path: &Path) -> EmbeddedStore {
    EmbeddedStore::open(path, EmbeddedConfig::default())
        .await
        .unwrap()
}

/// Applies `ops` to the memory model and to the store `open` gives,
/// comparing the answers after every step; `Reopen` closes the store and
/// opens it again. With `apply_twice`, each step is applied a second time to
/// both, so a cache's second answer (from the cache) is compared too.
async fn compare_with_model(
    ops: &[Op],
    open: impl AsyncFn() -> Box<dyn Store>,
    apply_twice: bool,
) -> Result<(), TestCaseError> {
    let model = MemoryStore::new();
    let mut store = open().await;
    for (step, op) in ops.iter().enumerate() {
        if let Op::Reopen = op {
            store.close().await.unwrap();
            drop(store);
            store = open().await;
            continue;
        }
        let expected = apply(&model, op, step).await;
        let actual = apply(store.as_ref(), op, step).await;
        prop_assert_eq!(actual, expected, "step {} {:?}", step, op);
        if apply_twice {
            let again = apply(store.as_ref(), op, step).await;
            let model_again = apply(&model, op, step).await;
            prop_assert_eq!(again, model_again, "repeat of step {} {:?}", step, op);
        }
    }
    store.close().await.unwrap();
    Ok(())
}

/// Runs one proptest case on its own runtime.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn embedded_store_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("model.redb");
            compare_with_model(&ops, async || Box::new(open(&path).await) as Box<dyn Store>, false).await
        })?;
    }
}

/// The same model test on PostgreSQL: [`PostgresStore`] and the
/// [`ReplicaRouter`] over two streaming replicas, each case on its own
/// database of one shared dev cluster. `Reopen` drops the pool (or the
/// router) and connects again.
///
/// [`PostgresStore`]: minigram::store::PostgresStore
/// [`ReplicaRouter`]: minigram::store::ReplicaRouter
#[cfg(feature = "postgres")]
use crate::common::pg_cluster;

#[cfg(feature = "postgres")]
mod postgres {
    use minigram::store::{PostgresStore, Store};
    use minigram::store::{ReadConsistency, ReplicaRouter, RouterConfig};
    use proptest::prelude::*;

    use super::{Op, block_on, compare_with_model, op, pg_cluster};

    #[derive(Clone, Copy, Debug)]
    enum Backend {
        Postgres,
        Router,
    }

    async fn open(backend: Backend, database: &str) -> Box<dyn Store> {
        let cluster = &pg_cluster::shared().await.cluster();
        let primary = cluster.primary_url(database);
        match backend {
            Backend::Postgres => Box::new(
                PostgresStore::connect(&primary, pg_cluster::small_pool())
                    .await
                    .unwrap(),
            ),
            Backend::Router => Box::new(
                ReplicaRouter::connect(
                    &primary,
                    &cluster.replica_urls(database),
                    RouterConfig {
                        consistency: ReadConsistency::AllWritesThroughThisRouter,
                        pool: pg_cluster::small_pool(),
                        ..RouterConfig::default()
                    },
                )
                .await
                .unwrap(),
            ),
        }
    }

    fn check(backend: Backend, ops: &[Op]) -> Result<(), TestCaseError> {
        block_on(async {
            let database = pg_cluster::shared().await.fresh_database().await.unwrap();
            compare_with_model(ops, async || open(backend, &database).await, false).await
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn postgres_store_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(Backend::Postgres, &ops)?;
        }

        #[test]
        fn replica_router_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(Backend::Router, &ops)?;
        }
    }
}

/// The same model test through each cache tier over the embedded store:
/// the in-process tier, Redis alone, and both. `Reopen` also drops the
/// cache (a restarted instance) while Redis keeps its entries and versions.
#[cfg(all(feature = "moka", feature = "redis"))]
mod cached {
    use std::sync::Arc;

    use minigram::cache::{CacheConfig, CachedStore};

    use super::*;
    use crate::common::redis;

    #[derive(Debug, Clone, Copy)]
    enum Tier {
        Memory,
        Redis,
        Tiered,
    }

    async fn open_cached(path: &Path, tier: Tier, prefix: &str) -> CachedStore {
        let config = match tier {
            Tier::Memory => CacheConfig::memory(),
            Tier::Redis => redis::redis_only(&redis::shared().await.url(), prefix),
            Tier::Tiered => redis::tiered(&redis::shared().await.url(), prefix),
        };
        CachedStore::new(Arc::new(open(path).await), config)
            .await
            .unwrap()
    }

    fn check(tier: Tier, ops: &[Op]) -> Result<(), TestCaseError> {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("model.redb");
            let prefix = redis::fresh_prefix();
            let open = async || Box::new(open_cached(&path, tier, &prefix).await) as Box<dyn Store>;
            compare_with_model(ops, open, true).await
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn memory_tier_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(Tier::Memory, &ops)?;
        }

        #[test]
        fn redis_tier_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(Tier::Redis, &ops)?;
        }

        #[test]
        fn tiered_cache_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(Tier::Tiered, &ops)?;
        }
    }
}

/// The tiered cache (L1 + Redis) over PostgreSQL against the model; `Reopen`
/// drops the cache and the pool (a restarted instance) while PostgreSQL and
/// Redis keep their state.
#[cfg(all(feature = "postgres", feature = "moka", feature = "redis"))]
mod cached_postgres {
    use std::sync::Arc;

    use minigram::cache::CachedStore;
    use minigram::store::{PostgresStore, Store};
    use proptest::prelude::*;

    use super::{Op, block_on, compare_with_model, op, pg_cluster};
    use crate::common::redis;

    async fn open(database: &str, prefix: &str) -> CachedStore {
        let cluster = &pg_cluster::shared().await.cluster();
        let store =
            PostgresStore::connect(&cluster.primary_url(database), pg_cluster::small_pool())
                .await
                .unwrap();
        let config = redis::tiered(&redis::shared().await.url(), prefix);
        CachedStore::new(Arc::new(store), config).await.unwrap()
    }

    fn check(ops: &[Op]) -> Result<(), TestCaseError> {
        block_on(async {
            let database = pg_cluster::shared().await.fresh_database().await.unwrap();
            let prefix = redis::fresh_prefix();
            let open = async || Box::new(open(&database, &prefix).await) as Box<dyn Store>;
            compare_with_model(ops, open, true).await
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

        #[test]
        fn tiered_cache_over_postgres_behaves_like_the_memory_model(ops in proptest::collection::vec(op(), 1..60)) {
            check(&ops)?;
        }
    }
}
