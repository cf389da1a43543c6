//! Every statement the store runs. Each is prepared once per connection
//! (`prepare_cached`) and reused.

/// The columns `rows::photo_view` reads, for `photos p`; `$viewer` is the
/// parameter number of the viewer.
macro_rules! photo_columns {
    ($viewer:literal) => {
        concat!(
            "p.id, p.author_id, p.author_username, p.caption, p.media_key, p.content_type, ",
            "p.width, p.height, p.created_at, p.like_count, ",
            "EXISTS (SELECT 1 FROM likes l WHERE l.photo_id = p.id AND l.user_id = $",
            $viewer,
            ") AS liked"
        )
    };
}

/// With `$6`, the new user's timeline too (empty, exact), in the same
/// statement.
pub(super) const CREATE_USER: &str = "\
WITH next AS (UPDATE id_counters SET last_id = last_id + 1 WHERE name = 'users' RETURNING last_id),
ins AS (
    INSERT INTO users (id, username, username_key, email, password_hash, created_at)
    SELECT last_id, $1, $2, $3, $4, $5 FROM next
    RETURNING id
),
timeline AS (INSERT INTO timeline_meta (user_id) SELECT id FROM ins WHERE $6)
SELECT id FROM ins";

pub(super) const USERNAME_TAKEN: &str =
    "SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1)";

pub(super) const USER: &str = "SELECT id, username, email, created_at FROM users WHERE id = $1";

pub(super) const CREDENTIALS: &str =
    "SELECT id, username, email, created_at, password_hash FROM users WHERE username_key = $1";

/// No row when the author does not exist (and then no id is used up).
/// With `$8`, the photo's fan-out job too, in the same statement: the
/// transactional outbox; with `$9` (hybrid) not for an author already
/// merged at read time (their photos need no fan-out).
pub(super) const CREATE_PHOTO: &str = "\
WITH author AS (SELECT id, username FROM users WHERE id = $1),
next AS (
    UPDATE id_counters SET last_id = last_id + 1
    WHERE name = 'photos' AND EXISTS (SELECT 1 FROM author)
    RETURNING last_id
),
ins AS (
    INSERT INTO photos (id, author_id, author_username, caption, media_key, content_type, width, height, created_at)
    SELECT next.last_id, author.id, author.username, $2, $3, $4, $5, $6, $7 FROM next, author
    RETURNING id, author_id, author_username, created_at
),
job AS (
    INSERT INTO fanout_jobs (photo_id, author_id, enqueued_at)
    SELECT id, author_id, created_at FROM ins
    WHERE $8 AND NOT ($9 AND EXISTS (SELECT 1 FROM read_time_authors r WHERE r.author_id = ins.author_id))
)
SELECT id, author_username FROM ins";

/// Deletes a photo if `$2` is its author; its likes go by the foreign
/// key's `ON DELETE CASCADE`, its timeline entries must be gone already
/// (`timeline_sql::REMOVE_PHOTO`). The columns are those of
/// `rows::photo_view` (`liked` is always false).
pub(super) const DELETE_PHOTO: &str = "\
DELETE FROM photos p WHERE p.id = $1 AND p.author_id = $2
RETURNING p.id, p.author_id, p.author_username, p.caption, p.media_key, p.content_type,
          p.width, p.height, p.created_at, p.like_count, false AS liked";

/// A photo's author, the photo locked until the deleting transaction ends:
/// from then on no fan-out batch can insert it into a timeline.
pub(super) const LOCK_PHOTO_FOR_DELETE: &str =
    "SELECT author_id FROM photos WHERE id = $1 FOR UPDATE";

/// An index lookup on `photos_media_key_idx`.
pub(super) const MEDIA_IN_USE: &str = "SELECT EXISTS (SELECT 1 FROM photos WHERE media_key = $1)";

pub(super) const PHOTO: &str = concat!(
    "SELECT ",
    photo_columns!("2"),
    " FROM photos p WHERE p.id = $1"
);

/// Inserts the like and bumps the count in one statement (one implicit
/// transaction). Returns whether the user exists and the count (NULL when
/// the photo does not exist).
pub(super) const LIKE: &str = "\
WITH ins AS (
    INSERT INTO likes (photo_id, user_id)
    SELECT $1, $2
    WHERE EXISTS (SELECT 1 FROM users WHERE id = $2) AND EXISTS (SELECT 1 FROM photos WHERE id = $1)
    ON CONFLICT ON CONSTRAINT likes_pkey DO NOTHING
    RETURNING 1
),
upd AS (
    UPDATE photos SET like_count = like_count + 1
    WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)
    RETURNING like_count
)
SELECT EXISTS (SELECT 1 FROM users WHERE id = $2),
       COALESCE((SELECT like_count FROM upd), (SELECT like_count FROM photos WHERE id = $1))";

/// The inverse of [`LIKE`], with the same result columns.
pub(super) const UNLIKE: &str = "\
WITH del AS (
    DELETE FROM likes WHERE photo_id = $1 AND user_id = $2
    RETURNING 1
),
upd AS (
    UPDATE photos SET like_count = like_count - 1
    WHERE id = $1 AND EXISTS (SELECT 1 FROM del)
    RETURNING like_count
)
SELECT EXISTS (SELECT 1 FROM users WHERE id = $2),
       COALESCE((SELECT like_count FROM upd), (SELECT like_count FROM photos WHERE id = $1))";

/// Returns whether the follower and the followee exist.
pub(super) const FOLLOW: &str = "\
WITH ins AS (
    INSERT INTO follows (follower_id, followee_id)
    SELECT $1, $2
    WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)
    ON CONFLICT ON CONSTRAINT follows_pkey DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1), EXISTS (SELECT 1 FROM users WHERE id = $2)";

/// The inverse of [`FOLLOW`], with the same result columns.
pub(super) const UNFOLLOW: &str = "\
WITH del AS (DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2)
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1), EXISTS (SELECT 1 FROM users WHERE id = $2)";

pub(super) const PROFILE: &str = "\
SELECT u.username,
       (SELECT count(*) FROM follows WHERE followee_id = u.id),
       (SELECT count(*) FROM follows WHERE follower_id = u.id),
       (SELECT count(*) FROM photos WHERE author_id = u.id),
       EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND followee_id = u.id)
FROM users u WHERE u.id = $1";

pub(super) const FOLLOWEES: &str =
    "SELECT followee_id FROM follows WHERE follower_id = $1 ORDER BY followee_id";

/// The home-feed merge: for each author, a backward range scan of
/// `photos_author_id_id_idx` reading at most `$3` rows, then the newest
/// `$3` of those. Cost O(authors × (log n + page)), whatever the number of
/// photos. `$1` must hold distinct ids.
pub(super) const PHOTOS_BY_AUTHORS: &str = concat!(
    "SELECT ",
    photo_columns!("4"),
    " FROM unnest($1::int8[]) AS a(author_id) ",
    "CROSS JOIN LATERAL (",
    "SELECT * FROM photos q WHERE q.author_id = a.author_id AND q.id < $2 ORDER BY q.id DESC LIMIT $3",
    ") p ORDER BY p.id DESC LIMIT $3"
);

/// A backward scan of `photos_pkey`.
pub(super) const GLOBAL_PHOTOS: &str = concat!(
    "SELECT ",
    photo_columns!("3"),
    " FROM photos p WHERE p.id < $1 ORDER BY p.id DESC LIMIT $2"
);

pub(super) const REVOKE_TOKEN: &str = "\
INSERT INTO revoked_tokens (token_id, expires_at) VALUES ($1, $2)
ON CONFLICT ON CONSTRAINT revoked_tokens_pkey DO NOTHING";

pub(super) const IS_TOKEN_REVOKED: &str =
    "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = $1)";

/// Inserts unless present; no row when another value was there first.
pub(super) const INSERT_SETTING: &str = "\
INSERT INTO settings (key, value) VALUES ($1, $2)
ON CONFLICT ON CONSTRAINT settings_pkey DO NOTHING
RETURNING value";

/// Run as a separate statement after [`INSERT_SETTING`] found a conflict,
/// so that its snapshot sees the row that won.
pub(super) const SETTING: &str = "SELECT value FROM settings WHERE key = $1";

pub(super) const PROBE: &str = "SELECT 1";

pub(super) const CURRENT_WAL_LSN: &str = "SELECT pg_current_wal_lsn()";

/// On a replica: the replay position, and seconds since the last replayed
/// transaction committed on the primary (NULL before any).
pub(super) const REPLAY_STATUS: &str = "\
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8";

/// The home feed in one statement (one snapshot): the viewer's followees
/// and the viewer, then the same per-author merge as [`PHOTOS_BY_AUTHORS`].
pub(super) const FOLLOWED_PHOTOS: &str = concat!(
    "SELECT ",
    photo_columns!("1"),
    " FROM (SELECT followee_id AS author_id FROM follows WHERE follower_id = $1 ",
    "UNION SELECT $1) AS a ",
    "CROSS JOIN LATERAL (",
    "SELECT * FROM photos q WHERE q.author_id = a.author_id AND q.id < $2 ORDER BY q.id DESC LIMIT $3",
    ") p ORDER BY p.id DESC LIMIT $3"
);
