-- minigram's schema. Constraint names are part of the contract: the store
-- maps unique violations to domain errors by name.

-- Ids come from counters updated in the inserting statement, so a failed
-- insert (a taken username, an unknown author) rolls its id back and ids
-- stay dense and increasing from 1, as the Store contract requires. The
-- counter's row lock also makes photo ids commit in id order, so a feed
-- page read with a cursor never misses a photo committed later with a
-- lower id.
CREATE TABLE id_counters (
    name text CONSTRAINT id_counters_pkey PRIMARY KEY,
    last_id bigint NOT NULL CONSTRAINT id_counters_last_id_check CHECK (last_id >= 0)
);
INSERT INTO id_counters (name, last_id) VALUES ('users', 0), ('photos', 0);

CREATE TABLE users (
    id bigint CONSTRAINT users_pkey PRIMARY KEY,
    username text NOT NULL,
    -- Username::key(): the ASCII-lowercased username, computed in Rust so
    -- uniqueness does not depend on the database's locale.
    username_key text NOT NULL CONSTRAINT users_username_key UNIQUE,
    -- Already normalised (lower-cased) by Email::parse.
    email text NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE photos (
    id bigint CONSTRAINT photos_pkey PRIMARY KEY,
    author_id bigint NOT NULL CONSTRAINT photos_author_id_fkey REFERENCES users (id),
    -- Usernames never change, so feeds need no join.
    author_username text NOT NULL,
    caption text NOT NULL,
    media_key text NOT NULL,
    -- ImageType::extension(): jpg, png, webp, gif.
    content_type text NOT NULL,
    width bigint NOT NULL,
    height bigint NOT NULL,
    created_at timestamptz NOT NULL,
    -- Kept equal to the number of rows in likes for the photo, in the same
    -- statement that inserts or deletes the like.
    like_count bigint NOT NULL DEFAULT 0 CONSTRAINT photos_like_count_check CHECK (like_count >= 0)
);
-- Home feed: per author, newest first (one short backward range scan per
-- followee); profile photo counts.
CREATE INDEX photos_author_id_id_idx ON photos (author_id, id DESC);

CREATE TABLE likes (
    photo_id bigint NOT NULL CONSTRAINT likes_photo_id_fkey REFERENCES photos (id),
    user_id bigint NOT NULL CONSTRAINT likes_user_id_fkey REFERENCES users (id),
    -- Serves "did the viewer like this photo" and idempotent like/unlike.
    CONSTRAINT likes_pkey PRIMARY KEY (photo_id, user_id)
);

CREATE TABLE follows (
    follower_id bigint NOT NULL CONSTRAINT follows_follower_id_fkey REFERENCES users (id),
    followee_id bigint NOT NULL CONSTRAINT follows_followee_id_fkey REFERENCES users (id),
    -- Serves followees(user), following counts and "does the viewer follow".
    CONSTRAINT follows_pkey PRIMARY KEY (follower_id, followee_id),
    CONSTRAINT follows_not_self_check CHECK (follower_id <> followee_id)
);
-- Follower counts.
CREATE INDEX follows_followee_id_idx ON follows (followee_id);

CREATE TABLE revoked_tokens (
    token_id text CONSTRAINT revoked_tokens_pkey PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);

CREATE TABLE settings (
    key text CONSTRAINT settings_pkey PRIMARY KEY,
    value bytea NOT NULL
);
