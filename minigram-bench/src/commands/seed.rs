//! `seed`: deterministic seed data through the API.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rand::SeedableRng as _;
use rand::distr::Distribution as _;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cli::SeedArgs;
use crate::client::{ApiClient, Session, tiny_png};

/// The follow graph: for each user (by index), the indexes they follow.
///
/// Each user follows between 1 and `max_follows` others; targets are drawn
/// with Zipf (s = 1) popularity by index, so user 0 is the most followed and
/// follower counts fall off as a power law. Deterministic for a seed.
pub fn follow_graph(users: usize, max_follows: usize, seed: u64) -> Vec<BTreeSet<usize>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut graph = vec![BTreeSet::new(); users];
    if users < 2 || max_follows == 0 {
        return graph;
    }
    let weights: Vec<f64> = (0..users).map(|k| 1.0 / (k as f64 + 1.0)).collect();
    let Ok(popularity) = WeightedIndex::new(&weights) else {
        return graph;
    };
    let most = max_follows.min(users - 1);
    for (user, follows) in graph.iter_mut().enumerate() {
        let wanted = rand::RngExt::random_range(&mut rng, 1..=most);
        // Bounded attempts: popular targets repeat often.
        for _ in 0..wanted * 20 {
            if follows.len() == wanted {
                break;
            }
            let target = popularity.sample(&mut rng);
            if target != user {
                follows.insert(target);
            }
        }
    }
    graph
}

/// Creates the users, photos and follows.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.target.url, Duration::from_secs(args.target.timeout_s))?;
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let progress = ProgressBar::new(args.users as u64);
    progress.set_message("registering");

    let mut tasks = JoinSet::new();
    for index in 0..args.users {
        let (client, permits, seed) = (client.clone(), Arc::clone(&permits), args.seed);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let name = format!("seed{seed}u{index}");
            let session = client
                .register(&name, &format!("{name}@seed.example"), "seed-password")
                .await
                .or(client.login(&name, "seed-password").await)
                .map_err(|e| anyhow::anyhow!("registering {name} failed: {}", e.failure))?;
            anyhow::Ok((index, session.value))
        });
    }
    let mut sessions: Vec<Option<Session>> = vec![None; args.users];
    while let Some(done) = tasks.join_next().await {
        let (index, session) = done??;
        sessions[index] = Some(session);
        progress.inc(1);
    }
    let sessions: Vec<Session> = sessions.into_iter().flatten().collect();
    progress.finish_and_clear();

    let mut tasks = JoinSet::new();
    for (index, session) in sessions.iter().enumerate() {
        for n in 0..args.photos_per_user {
            let (client, permits, token) =
                (client.clone(), Arc::clone(&permits), session.token.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let image = tiny_png(index as u32 + 1, n as u32 + 1);
                client
                    .upload(&token, &image, &format!("seed photo {n} of user {index}"))
                    .await
                    .map_err(|e| anyhow::anyhow!("posting a photo failed: {}", e.failure))
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }

    let graph = follow_graph(sessions.len(), args.max_follows, args.seed);
    let mut tasks = JoinSet::new();
    for (index, follows) in graph.iter().enumerate() {
        for &target in follows {
            let (client, permits) = (client.clone(), Arc::clone(&permits));
            let (token, target_id) = (sessions[index].token.clone(), sessions[target].user_id);
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                client
                    .follow(&token, target_id, true)
                    .await
                    .map_err(|e| anyhow::anyhow!("following failed: {}", e.failure))
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }

    let follows: usize = graph.iter().map(BTreeSet::len).sum();
    let mut followers = vec![0usize; sessions.len()];
    for target in graph.iter().flatten() {
        followers[*target] += 1;
    }
    followers.sort_unstable();
    println!(
        "seeded {} users, {} photos, {} follows (followers per user: median {}, max {}) in {:.1} s (seed {})",
        sessions.len(),
        sessions.len() * args.photos_per_user,
        follows,
        followers.get(followers.len() / 2).copied().unwrap_or(0),
        followers.last().copied().unwrap_or(0),
        started.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follow_graph_is_deterministic_and_skewed() {
        let a = follow_graph(200, 20, 7);
        assert_eq!(a, follow_graph(200, 20, 7));
        assert_ne!(a, follow_graph(200, 20, 8));
        let mut followers = vec![0usize; 200];
        for (user, follows) in a.iter().enumerate() {
            assert!(!follows.contains(&user), "self-follow in the graph");
            assert!((1..=20).contains(&follows.len()));
            for &t in follows {
                followers[t] += 1;
            }
        }
        // Power law: the most popular user has far more followers than the median.
        let top = followers[0];
        followers.sort_unstable();
        assert!(
            top > 5 * followers[100].max(1),
            "top {top}, median {}",
            followers[100]
        );
    }
}
