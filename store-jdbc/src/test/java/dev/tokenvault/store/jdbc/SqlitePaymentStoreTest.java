package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.testkit.PaymentStoreConformance;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The payment store contract on a real SQLite file. */
class SqlitePaymentStoreTest extends PaymentStoreConformance {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve("vault.db");
  }

  @Override
  protected PaymentStore newStore() {
    return SqliteStore.open(file());
  }

  @Override
  protected PaymentStore reopen(PaymentStore current) {
    ((SqliteStore) current).close();
    return SqliteStore.open(file());
  }

  @Override
  protected byte[] rawStorageBytes() {
    return SqliteFiles.readAll(file());
  }
}
