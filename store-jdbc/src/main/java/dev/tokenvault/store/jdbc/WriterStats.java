package dev.tokenvault.store.jdbc;

/**
 * What the group-commit writer did since the store opened.
 *
 * @param batches transactions committed
 * @param operations writes in them (so {@code operations / batches} is the mean batch size)
 * @param batchNanos time the writer spent on batches (BEGIN, the operations, COMMIT; not the time
 *     an open transaction waited for more operations), summed
 * @param commitNanos time spent in COMMIT alone, summed (with a log sync, COMMIT only writes the
 *     log; the sync is counted below)
 * @param slowCommits those COMMITs that took longer than {@link #SLOW_NANOS} (SQLite's own
 *     checkpoint, when the log outgrew its limit, runs inside one)
 * @param logSyncs log syncs (fsyncs of SQLite's write-ahead log; 0 for an engine whose COMMIT is
 *     durable by itself)
 * @param logSyncNanos time they took, summed: every acknowledgement waits for one
 * @param slowLogSyncs those that took longer than {@link #SLOW_NANOS}
 */
public record WriterStats(
    long batches,
    long operations,
    long batchNanos,
    long commitNanos,
    long slowCommits,
    long logSyncs,
    long logSyncNanos,
    long slowLogSyncs) {
  /**
   * A COMMIT or a log sync slower than this (10 ms) is counted as slow: every write acknowledged
   * after it waited at least that long, so such stalls are what a write route's tail is made of.
   */
  public static final long SLOW_NANOS = 10_000_000L;

  public double meanBatchSize() {
    return batches == 0 ? 0 : (double) operations / batches;
  }

  @Override
  public String toString() {
    if (batches == 0) {
      return "WriterStats[no batches]";
    }
    return String.format(
        "WriterStats[batches=%d, ops=%d, mean batch=%.1f, mean batch time=%.2f ms,"
            + " mean commit=%.2f ms, slow commits=%d, log syncs=%d, mean log sync=%.2f ms,"
            + " slow log syncs=%d]",
        batches, operations, meanBatchSize(), batchNanos / 1e6 / batches,
        commitNanos / 1e6 / batches, slowCommits, logSyncs,
        logSyncs == 0 ? 0 : logSyncNanos / 1e6 / logSyncs, slowLogSyncs);
  }
}
