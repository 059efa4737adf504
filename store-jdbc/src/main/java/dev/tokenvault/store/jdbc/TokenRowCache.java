package dev.tokenvault.store.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenvault.core.store.TokenRecord;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Token rows kept in memory for {@link JdbcStore#findToken}, for a store whose process is the
 * database's only writer (SQLite: the store locks its file), so that every change to a token row
 * passes through this process and can be seen here.
 *
 * <h2>Why</h2>
 *
 * A detokenize or a payment reads its token's row. Read from SQLite, that row costs a reader
 * thread's hop and two fifths of that thread's CPU (bench/README, session 7); detokenize traffic
 * is skewed to the tokens in use, so a bounded cache of rows answers most reads on the caller's
 * thread. It holds what the database file holds (ciphertext and safe metadata, never a value or a
 * key), a bounded number of rows (W-TinyLFU eviction: a burst of new tokens does not flush the ones
 * in use), and nothing a read did not find: an absent token is always looked up.
 *
 * <h2>Never stale after a change is acknowledged</h2>
 *
 * Rows are only deleted or changed by the writer ({@code deleteToken}, {@code refingerprintToken},
 * and an expired deterministic token replaced by {@code insertTokenIfFingerprintAbsent}). Once
 * such a write completed (committed or not), and before its caller hears of it, it calls {@link
 * #changing} for its token. A read takes a {@link #stamp} before it queries (so before its
 * snapshot) and {@link #offer}s the row it found with it; the row is kept only if no change was
 * reported since. A row read from a snapshot older than a change's commit was stamped before that
 * change's report: offered after the report, it is refused; offered before, the report removes it.
 * So once a change is acknowledged, the next read of its token goes to the database.
 */
final class TokenRowCache {
  private final Cache<String, TokenRecord> rows;

  /** Counts {@link #changing} calls; written under this object's lock, read without. */
  private final AtomicLong changes = new AtomicLong();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  /** @param maximumRows at least 1 (a store with no cache has no instance of this class) */
  TokenRowCache(long maximumRows) {
    if (maximumRows < 1) {
      throw new IllegalArgumentException("maximumRows must be at least 1");
    }
    // Maintenance inline: no common-pool thread woken for it on the hot path.
    this.rows = Caffeine.newBuilder().maximumSize(maximumRows).executor(Runnable::run).build();
  }

  /** The cached row of {@code token}, or null; counted as a hit or a miss. */
  TokenRecord get(String token) {
    TokenRecord row = rows.getIfPresent(token);
    (row == null ? misses : hits).increment();
    return row;
  }

  /** Lookups answered from memory so far. */
  long hits() {
    return hits.sum();
  }

  /** Lookups that went to the database so far. */
  long misses() {
    return misses.sum();
  }

  /** Taken by a read before it queries: {@link #offer} keeps its row only if nothing changed. */
  long stamp() {
    return changes.get();
  }

  /** Keeps {@code row}, read by a query that began after {@code stamp} was taken, if still valid. */
  void offer(TokenRecord row, long stamp) {
    synchronized (this) {
      if (changes.get() == stamp) {
        rows.put(row.token().value(), row);
      }
    }
  }

  /** A write that may have changed the row of {@code token} has completed. */
  void changing(String token) {
    synchronized (this) {
      changes.incrementAndGet();
      rows.invalidate(token);
    }
  }

  /** Rows held now (for tests). */
  long size() {
    rows.cleanUp();
    return rows.estimatedSize();
  }
}
