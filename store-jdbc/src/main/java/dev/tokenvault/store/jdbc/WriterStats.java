package dev.tokenvault.store.jdbc;

/**
 * What the group-commit writer did since the store opened.
 *
 * @param batches transactions committed
 * @param operations writes in them (so {@code operations / batches} is the mean batch size)
 * @param batchNanos time the writer spent on batches (BEGIN, the operations, COMMIT; not the time
 *     an open transaction waited for more operations), summed
 * @param commitNanos time spent in COMMIT alone (the fsync), summed
 */
public record WriterStats(long batches, long operations, long batchNanos, long commitNanos) {
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
            + " mean commit=%.2f ms]",
        batches, operations, meanBatchSize(), batchNanos / 1e6 / batches,
        commitNanos / 1e6 / batches);
  }
}
