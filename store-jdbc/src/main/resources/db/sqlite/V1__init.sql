-- tokenvault schema, version 1 (SQLite).
--
-- Kept close to portable SQL so that the PostgreSQL variant differs only in column types:
-- times are fixed-width ISO-8601 text here (timestamptz there), booleans are 0/1 integers in
-- both, JSON is text here (jsonb or text there), bytes are BLOB here (bytea there).
-- One statement per ';' at the end of a line (see SchemaMigrator).

CREATE TABLE data_keys (
  key_id       TEXT    NOT NULL PRIMARY KEY,
  namespace    TEXT    NOT NULL,
  purpose      TEXT    NOT NULL,
  kek_id       TEXT    NOT NULL,
  kek_version  INTEGER NOT NULL,
  wrapped      BLOB    NOT NULL,
  created_at   TEXT    NOT NULL
);

CREATE INDEX data_keys_namespace ON data_keys (namespace, purpose);

CREATE TABLE tokens (
  token          TEXT    NOT NULL PRIMARY KEY,
  namespace      TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  ciphertext     BLOB    NOT NULL,
  key_id         TEXT    NOT NULL REFERENCES data_keys (key_id),
  fingerprint    TEXT    NOT NULL,
  deterministic  INTEGER NOT NULL CHECK (deterministic IN (0, 1)),
  last4          TEXT    NOT NULL,
  bin            TEXT,
  scheme         TEXT,
  created_at     TEXT    NOT NULL,
  expires_at     TEXT,
  metadata       TEXT    NOT NULL DEFAULT '{}'
);

-- The namespace's one deterministic token per fingerprint (random tokens may share one).
CREATE UNIQUE INDEX tokens_deterministic_fingerprint
  ON tokens (namespace, fingerprint) WHERE deterministic = 1;

CREATE INDEX tokens_key_id ON tokens (key_id);

CREATE TABLE audit_events (
  seq                  INTEGER NOT NULL PRIMARY KEY,
  event_id             TEXT    NOT NULL UNIQUE,
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

CREATE INDEX audit_events_token ON audit_events (token, seq);
CREATE INDEX audit_events_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_time ON audit_events (event_time);

CREATE TABLE payments (
  id                  TEXT    NOT NULL PRIMARY KEY,
  namespace           TEXT    NOT NULL,
  token               TEXT    NOT NULL,
  masked_account      TEXT    NOT NULL,
  amount              INTEGER NOT NULL,
  currency            TEXT    NOT NULL,
  status              TEXT    NOT NULL,
  decline_code        TEXT,
  authorization_code  TEXT,
  client_id           TEXT    NOT NULL,
  idempotency_key     TEXT    NOT NULL,
  request_hash        TEXT    NOT NULL,
  created_at          TEXT    NOT NULL,
  UNIQUE (client_id, idempotency_key)
);
