-- The staff's word search, newest thread first: each search word of a thread
-- (its tsvector's, 008) as one row, in a B-tree by word and thread, so the
-- threads of a word are read newest first and a search stops at its 1,000th.
-- The GIN index of 008 hands over every thread of every word it reads, in no
-- order: for a word in 1.3 % of a million threads beside a common one it read
-- 13,000 rows to keep the newest 1,000 (29 ms). It stays, for the searches
-- whose rarest word is common and whose words are seldom together (the search
-- falls back to it after kSearchWalk threads of that word).
-- Kept by triggers in the same transaction as the thread's write.
CREATE TABLE search_postings (
  term TEXT COLLATE "C" NOT NULL,
  communication_id BIGINT NOT NULL
);
INSERT INTO search_postings (term, communication_id)
  SELECT t, c.id FROM communications c, unnest(tsvector_to_array(c.search_words)) AS t
  ORDER BY 1, 2;
ALTER TABLE search_postings ADD PRIMARY KEY (term, communication_id);

-- A thread's words change with its subject or its owner's name (008's
-- trigger sets search_words before the row is written): the words it lost
-- go, the ones it gained come.
CREATE FUNCTION kiosk_search_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_postings WHERE communication_id = OLD.id
      AND term = ANY(tsvector_to_array(OLD.search_words));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_postings (term, communication_id)
      SELECT unnest(tsvector_to_array(NEW.search_words)), NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER communications_postings_insert AFTER INSERT ON communications
  FOR EACH ROW EXECUTE FUNCTION kiosk_search_postings();
CREATE TRIGGER communications_postings_update AFTER UPDATE ON communications
  FOR EACH ROW WHEN (OLD.search_words IS DISTINCT FROM NEW.search_words OR OLD.id <> NEW.id)
  EXECUTE FUNCTION kiosk_search_postings();
CREATE TRIGGER communications_postings_delete AFTER DELETE ON communications
  FOR EACH ROW EXECUTE FUNCTION kiosk_search_postings();

ANALYZE search_postings;
