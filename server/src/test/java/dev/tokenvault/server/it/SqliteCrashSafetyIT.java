package dev.tokenvault.server.it;

/** Crash safety of the vault process on SQLite (WAL, group commit) with the local key manager. */
class SqliteCrashSafetyIT extends CrashSafetyIT {
  @Override
  Backend openBackend() {
    return Backend.sqliteLocal();
  }
}
