-- Photo deletion (Store::delete_photo).

-- A photo's likes go with it, in the deleting statement.
ALTER TABLE likes DROP CONSTRAINT likes_photo_id_fkey;
ALTER TABLE likes ADD CONSTRAINT likes_photo_id_fkey
    FOREIGN KEY (photo_id) REFERENCES photos (id) ON DELETE CASCADE;

-- Store::media_in_use: whether another photo still references the bytes
-- of a deleted one, before its file is removed.
CREATE INDEX photos_media_key_idx ON photos (media_key);
