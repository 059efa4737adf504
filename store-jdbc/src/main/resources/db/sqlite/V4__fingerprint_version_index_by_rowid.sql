-- tokenvault schema, version 4 (SQLite): the fingerprint-version index without the token.
--
-- Why: V3 indexed tokens by (namespace, fingerprint_version, token). Tokens are random, so every
-- tokenize inserted into that index at a random leaf: a third random-position B-tree write per
-- tokenize, next to the token's primary key and the audit-by-token index. Measured with bench's
-- WriterCost (tokenize, 64 in flight, 50k seeded, same build otherwise): 93 us of writer CPU and
-- 24.6 KiB written per tokenize with the V3 index, 76 us and 17.4 KiB with this one.
--
-- An SQLite index ends with the row's rowid, so (namespace, fingerprint_version) is ordered by
-- rowid within a version, and a new token (the highest rowid, under the current version) lands at
-- the end of its range, on a page the batch already touched. The re-fingerprint job now pages
-- through a version's tokens in rowid order (JdbcStore: the store's cursor is opaque), which this
-- index serves as V3's served token order; the counts are served as before.
--
-- PostgreSQL keeps its V3 index: its tables have no rowid to order by (a ctid moves), so this
-- script is SQLite's only, like V2.

DROP INDEX tokens_fingerprint_version;

CREATE INDEX tokens_fingerprint_version ON tokens (namespace, fingerprint_version);
