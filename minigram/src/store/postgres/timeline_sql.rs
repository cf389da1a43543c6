//! The statements of home timelines and the fan-out queue (schema and
//! locking protocol: `migrations/V3__timelines.sql`). Prepared once per
//! connection like those of `sql`.

/// The timelines of users `$1` that exist, locked in id order (a fan-out
/// batch).
pub(super) const LOCK_TIMELINES: &str =
    "SELECT user_id FROM timeline_meta WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE";

/// The timelines holding photo `$1`, locked in id order (a delete).
pub(super) const LOCK_TIMELINES_HOLDING: &str = "\
SELECT user_id FROM timeline_meta
WHERE user_id IN (SELECT user_id FROM timelines WHERE photo_id = $1)
ORDER BY user_id FOR UPDATE";

/// Drops the timelines of users `$1` (locked) not seen for `$2`
/// milliseconds: a fan-out skips them, so they would no longer be exact.
/// Their entries go by the foreign key's cascade.
pub(super) const DROP_INACTIVE: &str = "\
DELETE FROM timeline_meta
WHERE user_id = ANY($1) AND active_at < now() - $2::float8 * interval '1 millisecond'
RETURNING user_id";

pub(super) const MARK_ACTIVE: &str =
    "UPDATE timeline_meta SET active_at = now() WHERE user_id = $1";

/// Inserts `(user, photo, author)` triples into the timelines that exist
/// and are not exact already at that photo (`complete_above` below it),
/// idempotently, keeping `entries` true.
pub(super) const INSERT_ENTRIES: &str = "\
WITH ins AS (
    INSERT INTO timelines (user_id, photo_id, author_id)
    SELECT x.u, x.p, x.a
    FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(u, p, a)
    JOIN timeline_meta m ON m.user_id = x.u
    WHERE x.p > m.complete_above
    ON CONFLICT ON CONSTRAINT timelines_pkey DO NOTHING
    RETURNING user_id
)
UPDATE timeline_meta m SET entries = m.entries + c.n
FROM (SELECT user_id, count(*)::int AS n FROM ins GROUP BY user_id) c
WHERE m.user_id = c.user_id";

/// Trims the timelines of users `$1` to `$2` entries, oldest first, and
/// raises `complete_above` to the newest photo trimmed (the pull path
/// serves what is below).
pub(super) const TRIM_TO_CAP: &str = "\
WITH over AS (
    SELECT user_id, entries - $2 AS excess FROM timeline_meta
    WHERE user_id = ANY($1) AND entries > $2
),
victims AS (
    SELECT v.user_id, v.photo_id FROM over o CROSS JOIN LATERAL (
        SELECT t.user_id, t.photo_id FROM timelines t
        WHERE t.user_id = o.user_id ORDER BY t.photo_id LIMIT o.excess
    ) v
),
gone AS (
    DELETE FROM timelines t USING victims v
    WHERE t.user_id = v.user_id AND t.photo_id = v.photo_id
    RETURNING t.user_id, t.photo_id
)
UPDATE timeline_meta m
SET entries = m.entries - g.n, complete_above = GREATEST(m.complete_above, g.newest)
FROM (SELECT user_id, count(*)::int AS n, max(photo_id) AS newest FROM gone GROUP BY user_id) g
WHERE m.user_id = g.user_id";

/// Removes photo `$1` from every timeline (whose rows the caller locked).
pub(super) const REMOVE_PHOTO: &str = "\
WITH gone AS (DELETE FROM timelines WHERE photo_id = $1 RETURNING user_id)
UPDATE timeline_meta m SET entries = m.entries - 1 FROM gone WHERE m.user_id = gone.user_id";

/// Removes author `$2`'s photos from user `$1`'s timeline (an unfollow).
pub(super) const REMOVE_AUTHOR: &str = "\
WITH gone AS (DELETE FROM timelines WHERE user_id = $1 AND author_id = $2 RETURNING 1)
UPDATE timeline_meta SET entries = entries - (SELECT count(*)::int FROM gone) WHERE user_id = $1";

/// Raises a timeline's exact boundary (a follow merge that did not take
/// all of the followee's photos).
pub(super) const RAISE_COMPLETE_ABOVE: &str =
    "UPDATE timeline_meta SET complete_above = GREATEST(complete_above, $2) WHERE user_id = $1";

/// The newest `$2` photos of author `$1`, locked against deletion until
/// the merging transaction ends (a deleted one is skipped).
pub(super) const NEWEST_OF_AUTHOR: &str = "\
SELECT id FROM photos WHERE author_id = $1 ORDER BY id DESC LIMIT $2 FOR KEY SHARE";

/// A user, its row locked so that fan-out batches of this author wait
/// (a follow or unfollow of them). No row: unknown user.
pub(super) const LOCK_FOLLOWEE: &str = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE";

/// The author's row, shared-locked by a fan-out batch (see
/// [`LOCK_FOLLOWEE`]).
pub(super) const LOCK_AUTHOR: &str = "SELECT id FROM users WHERE id = $1 FOR SHARE";

pub(super) const USER_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)";

/// A follow; a row when it is new.
pub(super) const INSERT_FOLLOW: &str = "\
INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2)
ON CONFLICT ON CONSTRAINT follows_pkey DO NOTHING RETURNING 1";

/// An unfollow; a row when there was a follow.
pub(super) const DELETE_FOLLOW: &str =
    "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING 1";

/// Serialises a follow's merge into user `$1`'s timeline with a rebuild
/// of it, until the transaction ends. A row lock cannot: the user may have
/// no `timeline_meta` row yet (a rebuild creates it, uncommitted, where
/// the follow's `LOCK_TIMELINE` does not see it and skips the merge). A
/// transaction-level advisory lock on (0x6d67, the id's low 31 bits): two
/// users sharing one only wait for each other.
pub(super) const LOCK_TIMELINE_BUILD: &str =
    "SELECT pg_advisory_xact_lock(28007, ($1::int8 & 2147483647)::int4)";

/// Whether user `$1` has a timeline, locking it.
pub(super) const LOCK_TIMELINE: &str =
    "SELECT complete_above FROM timeline_meta WHERE user_id = $1 FOR UPDATE";

/// The oldest job no live lease holds, claimed under a new token for `$1`
/// milliseconds. One statement: concurrent claimers skip each other's
/// locked rows; with nothing to claim it writes nothing (no WAL), so idle
/// workers polling cost the primary only a read.
pub(super) const CLAIM_JOB: &str = "\
UPDATE fanout_jobs SET claims = claims + 1, claim = nextval('fanout_claims'),
    lease_until = now() + $1::float8 * interval '1 millisecond'
WHERE id = (
    SELECT id FROM fanout_jobs WHERE lease_until <= now()
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, photo_id, author_id, enqueued_at, claims, claim";

/// The job if it is still under claim `$2`, locked for this batch.
pub(super) const LOCK_JOB: &str =
    "SELECT done_through FROM fanout_jobs WHERE id = $1 AND claim = $2 FOR UPDATE";

/// The photo, locked against deletion while its batch runs.
pub(super) const LOCK_PHOTO: &str = "SELECT id FROM photos WHERE id = $1 FOR KEY SHARE";

/// The followers of `$1`, counted up to `$2` (the hybrid threshold): a
/// celebrity's job costs a bounded index scan, not one over every follower.
pub(super) const FOLLOWERS_UP_TO: &str =
    "SELECT count(*) FROM (SELECT 1 FROM follows WHERE followee_id = $1 LIMIT $2) f";

pub(super) const MARK_READ_TIME: &str = "\
INSERT INTO read_time_authors (author_id) VALUES ($1)
ON CONFLICT ON CONSTRAINT read_time_authors_pkey DO NOTHING";

/// The next followers of `$1` after `$2`, at most `$3`
/// (`follows_followee_id_follower_id_idx`).
pub(super) const FOLLOWERS_AFTER: &str = "\
SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2
ORDER BY follower_id LIMIT $3";

pub(super) const ADVANCE_JOB: &str = "\
UPDATE fanout_jobs SET done_through = $2, lease_until = now() + $3::float8 * interval '1 millisecond'
WHERE id = $1";

pub(super) const DELETE_JOB: &str = "DELETE FROM fanout_jobs WHERE id = $1";

pub(super) const QUEUE_DEPTH: &str = "SELECT count(*) FROM fanout_jobs";

/// A rebuild: the user's timeline row, created if absent.
pub(super) const ENSURE_TIMELINE: &str = "\
INSERT INTO timeline_meta (user_id) VALUES ($1)
ON CONFLICT ON CONSTRAINT timeline_meta_pkey DO NOTHING";

pub(super) const CLEAR_TIMELINE: &str = "\
WITH gone AS (DELETE FROM timelines WHERE user_id = $1)
UPDATE timeline_meta SET entries = 0, complete_above = 0, active_at = now() WHERE user_id = $1";

/// The newest `$2` photos of everyone user `$1` follows (the per-followee
/// backward scans of the pull feed), newest first.
pub(super) const NEWEST_OF_FOLLOWEES: &str = "\
SELECT p.id, p.author_id FROM (SELECT followee_id FROM follows WHERE follower_id = $1) f
CROSS JOIN LATERAL (
    SELECT q.id, q.author_id FROM photos q WHERE q.author_id = f.followee_id
    ORDER BY q.id DESC LIMIT $2
) p ORDER BY p.id DESC LIMIT $2";

/// The rows of a timeline page, in one statement (one snapshot): the photo
/// columns of `rows::photo_view` (NULL when the page is empty), then
/// `complete_above` and the followed read-time authors. No row: no
/// timeline.
pub(super) const TIMELINE_PAGE: &str = concat!(
    "SELECT ",
    photo_columns!("1"),
    ", m.complete_above, ",
    // Celebrities are few: probe the viewer's follows for each of them.
    "ARRAY(SELECT r.author_id FROM read_time_authors r WHERE EXISTS (SELECT 1 FROM follows f ",
    "WHERE f.follower_id = $1 AND f.followee_id = r.author_id) ORDER BY 1) ",
    "FROM timeline_meta m ",
    "LEFT JOIN LATERAL (SELECT t.photo_id FROM timelines t WHERE t.user_id = $1 AND t.photo_id < $2 ",
    "ORDER BY t.photo_id DESC LIMIT $3) t ON true ",
    "LEFT JOIN photos p ON p.id = t.photo_id ",
    "WHERE m.user_id = $1 ORDER BY t.photo_id DESC"
);
