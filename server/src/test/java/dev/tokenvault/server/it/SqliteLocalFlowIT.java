package dev.tokenvault.server.it;

/** The flow on the default backend: SQLite in the data directory, the local key manager. */
class SqliteLocalFlowIT extends AdapterFlowIT {
  @Override
  Backend openBackend() {
    return Backend.sqliteLocal();
  }
}
