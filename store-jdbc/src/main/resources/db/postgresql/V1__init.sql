-- tokenvault schema, version 1 (PostgreSQL). Applied by Flyway (PostgresStore), in one transaction.
--
-- The same tables, columns and statements as db/sqlite/V1__init.sql; only the types differ:
--   * bytes are bytea;
--   * times are the same fixed-width ISO-8601 UTC text as on SQLite (nine fraction digits,
--     "2026-01-02T03:04:05.123456789Z"), in the "C" collation so text order is time order and
--     range queries use the column as stored. Not timestamptz: PostgreSQL keeps microseconds, and
--     an audit event's time is part of its hash, so it must come back exactly as it was hashed;
--   * booleans are 0/1 smallints, as on SQLite, so the shared statements read "deterministic = 1";
--   * JSON (metadata, scopes, encryption context) is text, parsed by the application.
-- Grants for the vault's runtime role: docs/postgresql.md.

CREATE TABLE data_keys (
  key_id       text     NOT NULL PRIMARY KEY,
  namespace    text     NOT NULL,
  purpose      text     NOT NULL,
  kek_id       text     NOT NULL,
  kek_version  integer  NOT NULL,
  wrapped      bytea    NOT NULL,
  created_at   text     COLLATE "C" NOT NULL
);

CREATE INDEX data_keys_namespace ON data_keys (namespace, purpose);

CREATE TABLE tokens (
  token          text      NOT NULL PRIMARY KEY,
  namespace      text      NOT NULL,
  type           text      NOT NULL,
  ciphertext     bytea     NOT NULL,
  key_id         text      NOT NULL REFERENCES data_keys (key_id),
  fingerprint    text      NOT NULL,
  deterministic  smallint  NOT NULL CHECK (deterministic IN (0, 1)),
  last4          text      NOT NULL,
  bin            text,
  scheme         text,
  created_at     text      COLLATE "C" NOT NULL,
  expires_at     text      COLLATE "C",
  metadata       text      NOT NULL DEFAULT '{}'
);

-- The namespace's one deterministic token per fingerprint (random tokens may share one). Across
-- vault processes this index is what keeps a fingerprint to one token; INSERT ... ON CONFLICT DO
-- NOTHING then re-selects the winner.
CREATE UNIQUE INDEX tokens_deterministic_fingerprint
  ON tokens (namespace, fingerprint) WHERE deterministic = 1;

CREATE INDEX tokens_key_id ON tokens (key_id);

-- seq: CACHE 1 (the default, stated because it matters): with a per-session cache, two vault
-- processes would hand out interleaved ranges and sequence order would stop being chain order.
-- Writers append under one transaction-level advisory lock (PostgresDialect), so seq values are
-- taken, and become visible, in chain order; a rolled-back batch leaves a gap, never a reordering.
CREATE TABLE audit_events (
  seq                  bigint   GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
  event_id             text     NOT NULL UNIQUE,
  event_time           text     COLLATE "C" NOT NULL,
  event_name           text     NOT NULL,
  principal            text     NOT NULL,
  client_id            text,
  scopes               text     NOT NULL,
  source_ip            text,
  user_agent           text,
  client_cert_subject  text,
  request_id           text     NOT NULL,
  namespace            text,
  token                text,
  key_id               text,
  key_version          integer,
  encryption_context   text     NOT NULL,
  outcome              text     NOT NULL,
  error_code           text,
  previous_hash        text     NOT NULL,
  hash                 text     NOT NULL
);

CREATE INDEX audit_events_token ON audit_events (token, seq);
CREATE INDEX audit_events_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_time ON audit_events (event_time);

CREATE TABLE payments (
  id                  text     NOT NULL PRIMARY KEY,
  namespace           text     NOT NULL,
  token               text     NOT NULL,
  masked_account      text     NOT NULL,
  amount              bigint   NOT NULL,
  currency            text     NOT NULL,
  status              text     NOT NULL,
  decline_code        text,
  authorization_code  text,
  client_id           text     NOT NULL,
  idempotency_key     text     NOT NULL,
  request_hash        text     NOT NULL,
  created_at          text     COLLATE "C" NOT NULL,
  UNIQUE (client_id, idempotency_key)
);
