-- The staff's search by words (replaces 007's trigram index, four times its
-- size and slow for words common in a million threads). One text a thread:
-- protocol, codice fiscale, surname, subject, and the protocol's number from
-- each of its digits on (so that digits typed find any part of it: the
-- counter types the last ones). unicode61 folds case and accents; the prefix
-- indexes answer "the beginning of a word" for 3 to 12 characters by one
-- list each (a longer query word is cut to 12 by the program). Contentless and
-- without positions: it gives thread ids only. The program keeps it in the
-- same transaction as the write that adds a thread or renames a professional,
-- through the view below (a row is removed by giving back its exact text).
DROP TABLE communications_search;

CREATE VIEW communications_words_text AS
SELECT c.id, c.professional_id,
  c.protocol || ' ' || p.codice_fiscale || ' ' || p.surname || ' ' || c.subject
    || CASE WHEN length(seq) >= 4 THEN ' ' || substr(seq, 2) ELSE '' END
    || CASE WHEN length(seq) >= 5 THEN ' ' || substr(seq, 3) ELSE '' END
    || CASE WHEN length(seq) >= 6 THEN ' ' || substr(seq, 4) ELSE '' END
    || CASE WHEN length(seq) >= 7 THEN ' ' || substr(seq, 5) ELSE '' END
    || CASE WHEN length(seq) >= 8 THEN ' ' || substr(seq, 6) ELSE '' END
    || CASE WHEN length(seq) >= 9 THEN ' ' || substr(seq, 7) ELSE '' END
    || CASE WHEN length(seq) >= 10 THEN ' ' || substr(seq, 8) ELSE '' END
    || CASE WHEN length(seq) >= 11 THEN ' ' || substr(seq, 9) ELSE '' END
    || CASE WHEN length(seq) >= 12 THEN ' ' || substr(seq, 10) ELSE '' END
    || CASE WHEN length(seq) >= 13 THEN ' ' || substr(seq, 11) ELSE '' END
    || CASE WHEN length(seq) >= 14 THEN ' ' || substr(seq, 12) ELSE '' END
  AS words
FROM (SELECT id, professional_id, protocol, subject,
             substr(protocol, length(rtrim(protocol, '0123456789')) + 1) AS seq
      FROM communications) c
JOIN professionals p ON p.id = c.professional_id;

CREATE VIRTUAL TABLE communications_words USING fts5(
  words, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6 7 8 9 10 11 12',
  content = '', columnsize = 0, detail = 'none');

INSERT INTO communications_words (rowid, words) SELECT id, words FROM communications_words_text;
-- One b-tree for what the fill wrote in pieces (seconds for a million threads).
INSERT INTO communications_words (communications_words) VALUES ('optimize');
