-- tokenvault schema, version 3 (SQLite): fingerprint-key versions.
--
-- A namespace's fingerprint key can now be rotated (fk_v2_<namespace> ...), and a fingerprint
-- says which version made it (fp_... is version 1, fp2_... version 2; FingerprintFormat). The
-- re-fingerprint job pages through a namespace's tokens of one version in token order, and
-- retirement counts them, so the version is a column with an index that serves both.
-- Every fingerprint written before this migration is of version 1: no earlier release made
-- another, so the default is exact.

ALTER TABLE tokens ADD COLUMN fingerprint_version INTEGER NOT NULL DEFAULT 1;

CREATE INDEX tokens_fingerprint_version ON tokens (namespace, fingerprint_version, token);
