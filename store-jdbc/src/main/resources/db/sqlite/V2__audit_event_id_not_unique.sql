-- tokenvault schema, version 2 (SQLite): audit_events.event_id without a unique index.
--
-- Why: event ids are random (UUIDv4), so their unique index took an insert at a random leaf on
-- every audited operation: one of the three random-position B-tree writes of a tokenize and one of
-- two of a detokenize. Measured with bench's WriterCost (tokenize, 64 in flight, 50k seeded): the
-- writer wrote 31 KiB and spent 120 us of CPU per operation with the index, 21.5 KiB and 84 us
-- without it. Nothing looks events up by id on SQLite (the lost-commit lookup in GroupCommitWriter
-- only runs for server databases, whose schema keeps the constraint); ids stay unique because they
-- are 122 random bits, and the hash chain covers them, so an edited or duplicated id is still found
-- by verification.
--
-- SQLite cannot drop an inline UNIQUE constraint, so the table is rebuilt: same columns in the
-- same order, every row copied with its seq, then the indexes made again.

CREATE TABLE audit_events_v2 (
  seq                  INTEGER NOT NULL PRIMARY KEY,
  event_id             TEXT    NOT NULL,
  event_time           TEXT    NOT NULL,
  event_name           TEXT    NOT NULL,
  principal            TEXT    NOT NULL,
  client_id            TEXT,
  scopes               TEXT    NOT NULL,
  source_ip            TEXT,
  user_agent           TEXT,
  client_cert_subject  TEXT,
  request_id           TEXT    NOT NULL,
  namespace            TEXT,
  token                TEXT,
  key_id               TEXT,
  key_version          INTEGER,
  encryption_context   TEXT    NOT NULL,
  outcome              TEXT    NOT NULL,
  error_code           TEXT,
  previous_hash        TEXT    NOT NULL,
  hash                 TEXT    NOT NULL
);

INSERT INTO audit_events_v2 SELECT * FROM audit_events ORDER BY seq;

DROP TABLE audit_events;

ALTER TABLE audit_events_v2 RENAME TO audit_events;

CREATE INDEX audit_events_token ON audit_events (token, seq);
CREATE INDEX audit_events_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_time ON audit_events (event_time);
