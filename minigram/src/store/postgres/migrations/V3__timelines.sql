-- Home timelines (push and hybrid feeds) and their fan-out queue. A
-- timeline is a rebuildable cache of follows and photos, never the source
-- of truth: dropping every row of these tables loses nothing.
--
-- Locking protocol (every statement is in postgres/timeline_ops.rs):
-- every change to a user's timeline first locks that user's
-- timeline_meta row (several rows: in ascending user id), so changes to
-- one timeline are serial; a fan-out batch locks its photo (KEY SHARE)
-- and its author's users row (SHARE) before reading the followers, and a
-- follow or unfollow locks the followee's users row (NO KEY UPDATE)
-- first, so a batch either sees a new follow or the follow's merge sees
-- the batch's photo; a delete locks its photo (UPDATE) before removing it
-- from timelines, so no batch inserts it afterwards.

-- One row per user who has a timeline (absent: not built yet, or dropped
-- because its user was inactive; read with pull, rebuilt). The timeline is
-- exact for photo ids above complete_above; entries is kept equal to its
-- number of rows, to trim to the cap without counting; active_at is when
-- its user last logged in or read their feed (Store::mark_active).
CREATE TABLE timeline_meta (
    user_id bigint CONSTRAINT timeline_meta_pkey PRIMARY KEY
        CONSTRAINT timeline_meta_user_id_fkey REFERENCES users (id),
    complete_above bigint NOT NULL DEFAULT 0,
    entries integer NOT NULL DEFAULT 0 CONSTRAINT timeline_meta_entries_check CHECK (entries >= 0),
    active_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE timelines (
    user_id bigint NOT NULL CONSTRAINT timelines_user_id_fkey
        REFERENCES timeline_meta (user_id) ON DELETE CASCADE,
    -- No cascade: a delete removes its photo from timelines first (and
    -- keeps entries true); the key makes a missed removal an error.
    photo_id bigint NOT NULL CONSTRAINT timelines_photo_id_fkey REFERENCES photos (id),
    author_id bigint NOT NULL,
    -- A page of one timeline: a backward range scan.
    CONSTRAINT timelines_pkey PRIMARY KEY (user_id, photo_id)
);
-- A delete: the timelines holding the photo.
CREATE INDEX timelines_photo_id_idx ON timelines (photo_id);
-- An unfollow: the followee's photos in the follower's timeline.
CREATE INDEX timelines_user_id_author_id_idx ON timelines (user_id, author_id);

-- The transactional outbox: a photo's job is inserted by the statement
-- that inserts the photo. Workers claim a job with FOR UPDATE SKIP LOCKED
-- and a lease (lease_until, the database's clock); a job whose lease
-- expired is claimed again and resumes after done_through.
CREATE TABLE fanout_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT fanout_jobs_pkey PRIMARY KEY,
    photo_id bigint NOT NULL,
    author_id bigint NOT NULL,
    enqueued_at timestamptz NOT NULL,
    -- Followers with ids up to this one have been fanned out to.
    done_through bigint NOT NULL DEFAULT 0,
    claims integer NOT NULL DEFAULT 0,
    -- The current claim's token (0: never claimed); a batch applies only
    -- under it.
    claim bigint NOT NULL DEFAULT 0,
    lease_until timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE SEQUENCE fanout_claims;

-- Hybrid feeds: authors whose photos are merged at read time instead of
-- fanned out. Sticky once set, so crossing the threshold loses nothing.
CREATE TABLE read_time_authors (
    author_id bigint CONSTRAINT read_time_authors_pkey PRIMARY KEY
        CONSTRAINT read_time_authors_author_id_fkey REFERENCES users (id)
);

-- A fan-out batch reads an author's followers in id order from where the
-- last batch stopped; this index serves that and follower counts, so it
-- replaces the followee-only one.
CREATE INDEX follows_followee_id_follower_id_idx ON follows (followee_id, follower_id);
DROP INDEX follows_followee_id_idx;
