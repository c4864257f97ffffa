-- The staff's partial search (protocol digits, codice fiscale, surname,
-- subject words) through an FTS5 index of trigrams. Its rowid is the thread's
-- id. The program keeps it in the same transaction as the write that adds a
-- thread or renames a professional (with trusted_schema OFF, a trigger may
-- not write to a virtual table).
CREATE VIRTUAL TABLE communications_search USING fts5(
  protocol, codice_fiscale, surname, subject, tokenize = 'trigram');

INSERT INTO communications_search (rowid, protocol, codice_fiscale, surname, subject)
SELECT c.id, c.protocol, p.codice_fiscale, p.surname, c.subject
FROM communications c JOIN professionals p ON p.id = c.professional_id;

-- The staff queue filtered by topic, newest first.
CREATE INDEX communications_by_topic ON communications (topic, created_at DESC, id DESC);
