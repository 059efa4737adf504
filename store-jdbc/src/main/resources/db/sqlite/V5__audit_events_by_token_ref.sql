-- tokenvault schema, version 5 (SQLite): audit events found by their token's row, not its text.
--
-- Why: tokens are random, so the audit-by-token index (token, seq) took an insert at a random leaf
-- on every audited write that names a token: with the token's own key, one of the two random-
-- position B-tree writes of a tokenize. Measured with bench's WriterCost (tokenize, 64 in flight,
-- 50k seeded), alternating with the build before: 20.7 against 12.3 KiB written and 83-88
-- against 63-69 us of writer CPU per tokenize, 8.1-8.4k against 11.3-12.2k operations per second.
--
-- How: each token row gets a stable number (ref, its rowid made an explicit INTEGER PRIMARY KEY,
-- so VACUUM cannot renumber it), and each audit event the ref of its token, looked up when the
-- event is written. A new token has the highest ref, so its tokenize event lands at the end of the
-- (token_ref, seq) index, on a page the batch already touched. An event whose token is not stored
-- (a refused detokenize of an unknown token, a delete's own event) has no ref and is indexed by
-- its token text instead, which only such events pay for. Deleting a token first records its
-- ref in deleted_token_refs, so its history stays reachable by its text. Every query still
-- matches the token text too, so a ref that SQLite reuses after a delete cannot mix two tokens.
--
-- The tokens table is rebuilt to declare ref (SQLite cannot add a primary key): same columns,
-- every row copied with its rowid as its ref, then the indexes made again (V1, V3, V4).
-- PostgreSQL keeps its (token, seq) index: this script is SQLite's only, like V2 and V4.

CREATE TABLE tokens_v5 (
  ref                  INTEGER NOT NULL PRIMARY KEY,
  token                TEXT    NOT NULL UNIQUE,
  namespace            TEXT    NOT NULL,
  type                 TEXT    NOT NULL,
  ciphertext           BLOB    NOT NULL,
  key_id               TEXT    NOT NULL REFERENCES data_keys (key_id),
  fingerprint          TEXT    NOT NULL,
  deterministic        INTEGER NOT NULL CHECK (deterministic IN (0, 1)),
  last4                TEXT    NOT NULL,
  bin                  TEXT,
  scheme               TEXT,
  created_at           TEXT    NOT NULL,
  expires_at           TEXT,
  metadata             TEXT    NOT NULL DEFAULT '{}',
  fingerprint_version  INTEGER NOT NULL DEFAULT 1
);

INSERT INTO tokens_v5 (ref, token, namespace, type, ciphertext, key_id, fingerprint,
  deterministic, last4, bin, scheme, created_at, expires_at, metadata, fingerprint_version)
  SELECT rowid, token, namespace, type, ciphertext, key_id, fingerprint, deterministic, last4,
    bin, scheme, created_at, expires_at, metadata, fingerprint_version
  FROM tokens ORDER BY rowid;

DROP TABLE tokens;

ALTER TABLE tokens_v5 RENAME TO tokens;

CREATE UNIQUE INDEX tokens_deterministic_fingerprint
  ON tokens (namespace, fingerprint) WHERE deterministic = 1;

CREATE INDEX tokens_key_id ON tokens (key_id);

CREATE INDEX tokens_fingerprint_version ON tokens (namespace, fingerprint_version);

CREATE TABLE deleted_token_refs (
  token  TEXT    NOT NULL,
  ref    INTEGER NOT NULL,
  PRIMARY KEY (token, ref)
) WITHOUT ROWID;

ALTER TABLE audit_events ADD COLUMN token_ref INTEGER;

UPDATE audit_events SET token_ref = (SELECT ref FROM tokens WHERE tokens.token = audit_events.token)
  WHERE token IS NOT NULL;

DROP INDEX audit_events_token;

CREATE INDEX audit_events_token_ref ON audit_events (token_ref, seq) WHERE token_ref IS NOT NULL;

CREATE INDEX audit_events_token_unresolved ON audit_events (token, seq)
  WHERE token IS NOT NULL AND token_ref IS NULL;
