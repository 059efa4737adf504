package dev.tokenvault.server.monitoring;

/**
 * The vault's meter names (Micrometer dots; Prometheus shows {@code tokenvault_http_requests_seconds}
 * and so on). Tags never carry a value, a token or a path with request data: only route
 * templates, client ids, fixed codes.
 */
public final class Meters {
  private Meters() {}

  /** Timer {route, method, status}: status is the class, 2xx .. 5xx. */
  public static final String HTTP_REQUESTS = "tokenvault.http.requests";
  /** Counter {client}. */
  public static final String DETOKENIZATIONS = "tokenvault.detokenizations";
  /** Gauge {client}: distinct tokens detokenized in the last complete minute. */
  public static final String DISTINCT_TOKENS = "tokenvault.detokenize.distinct.tokens";
  /** Timer {operation, outcome}: generate | decrypt; success | unavailable | integrity_failure. */
  public static final String KEY_MANAGER_CALLS = "tokenvault.keymanager.calls";
  /** Counter {result}: hit | miss. */
  public static final String DATA_KEY_CACHE = "tokenvault.datakey.cache";
  /** Counter {result}: hit | miss; token lookups of the SQLite store's rows in memory. */
  public static final String TOKEN_ROW_CACHE = "tokenvault.store.token.cache";
  /**
   * Counters of the SQL stores' group-commit writer: transactions committed, and the writes in
   * them ({@code operations / commits} is the mean batch: the fewer commits per write, the less
   * each write costs the writer).
   */
  public static final String WRITER_COMMITS = "tokenvault.store.writer.commits";

  public static final String WRITER_OPERATIONS = "tokenvault.store.writer.operations";
  /** Counter: the writer's COMMITs that took longer than 10 ms (every write in them waited). */
  public static final String WRITER_COMMITS_SLOW = "tokenvault.store.writer.commits.slow";
  /**
   * Counters of the SQLite store's durability path: fsyncs of its write-ahead log (every
   * acknowledged write waits for one), their time in seconds, and those slower than 10 ms; the
   * log cycles ended, the writer's pause for each cycle's last checkpoint pass (no write commits
   * meanwhile), and the checkpoint thread's fsyncs of the database file and their time. A write
   * route's tail latency is made of these (bench/README, session 9).
   */
  public static final String LOG_SYNCS = "tokenvault.store.log.syncs";

  public static final String LOG_SYNC_SECONDS = "tokenvault.store.log.sync.seconds";
  public static final String LOG_SYNCS_SLOW = "tokenvault.store.log.syncs.slow";
  public static final String WAL_CYCLES = "tokenvault.store.wal.cycles";
  public static final String WAL_WRITER_PAUSE_SECONDS = "tokenvault.store.wal.writer.pause.seconds";
  public static final String WAL_DATABASE_SYNCS = "tokenvault.store.wal.database.syncs";
  public static final String WAL_DATABASE_SYNC_SECONDS =
      "tokenvault.store.wal.database.sync.seconds";
  /** Counter {code}: record_integrity_failure | key_integrity_failure. */
  public static final String INTEGRITY_FAILURES = "tokenvault.integrity.failures";
  /** Counter {event}: the audit event that could not be written. */
  public static final String AUDIT_WRITE_FAILURES = "tokenvault.audit.write.failures";
  /** Counter {detector}. */
  public static final String SECURITY_ALERTS = "tokenvault.security.alerts";
  /** Counter: signed audit checkpoints. */
  public static final String AUDIT_CHECKPOINTS = "tokenvault.audit.checkpoints";
}
