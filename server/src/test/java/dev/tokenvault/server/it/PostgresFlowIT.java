package dev.tokenvault.server.it;

/** The flow on a real PostgreSQL server ({@link PostgresBackend}) with the local key manager. */
class PostgresFlowIT extends AdapterFlowIT {
  @Override
  Backend openBackend() {
    return new PostgresBackend();
  }
}
