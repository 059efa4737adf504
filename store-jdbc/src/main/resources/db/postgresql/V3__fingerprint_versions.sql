-- tokenvault schema, version 3 (PostgreSQL): fingerprint-key versions. Numbered 3 like the
-- SQLite script of the same change (PostgreSQL never needed SQLite's V2), so one version number
-- means one schema on both engines; Flyway accepts the gap.
--
-- A namespace's fingerprint key can now be rotated (fk_v2_<namespace> ...), and a fingerprint
-- says which version made it (fp_... is version 1, fp2_... version 2; FingerprintFormat). The
-- re-fingerprint job pages through a namespace's tokens of one version in token order, and
-- retirement counts them, so the version is a column with an index that serves both.
-- Every fingerprint written before this migration is of version 1, so the default is exact; a
-- constant default is stored in the catalog (PostgreSQL 11+), the table is not rewritten. The
-- index is built inside Flyway's transaction and holds writes to tokens while it builds: on a
-- large table, create it beforehand with CREATE INDEX CONCURRENTLY under the same name
-- (docs/postgresql.md), which makes this statement a no-op.

ALTER TABLE tokens ADD COLUMN IF NOT EXISTS fingerprint_version integer NOT NULL DEFAULT 1;

CREATE INDEX IF NOT EXISTS tokens_fingerprint_version
  ON tokens (namespace, fingerprint_version, token);
