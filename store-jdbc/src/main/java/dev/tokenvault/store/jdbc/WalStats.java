package dev.tokenvault.store.jdbc;

/**
 * What ending SQLite's log cycles cost since the store opened ({@link WalCheckpointer}).
 *
 * @param cyclesEnded log cycles ended by the writer's last pass reaching the end of the log
 * @param writerPauseNanos time the writer spent on those last passes, summed: no write commits
 *     while one runs, so every write in flight waits for it
 * @param databaseSyncs fsyncs of the database file by the checkpoint thread (off the writer), which
 *     write out the pages a cycle copied from the log
 * @param databaseSyncNanos time they took, summed: while one runs, the log's own syncs share the
 *     disk with it
 */
public record WalStats(
    long cyclesEnded, long writerPauseNanos, long databaseSyncs, long databaseSyncNanos) {}
