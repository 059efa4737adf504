package dev.tokenvault.server.it;

/**
 * Crash safety of the vault process on PostgreSQL (the database keeps running; the vault is
 * killed) with the local key manager.
 */
class PostgresCrashSafetyIT extends CrashSafetyIT {
  @Override
  Backend openBackend() {
    return new PostgresBackend();
  }
}
