package dev.tokenvault.store.dynamodb;

import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import java.io.PrintStream;
import java.net.URI;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;

/**
 * A child process for {@link DynamoDbCrashTest}: a vault node that writes without end, a few writes
 * in flight at a time (so they share group-commit batches), and prints one line per acknowledged
 * write: {@code T <token>} for a random token, {@code D <token>} for a deterministic one, {@code P
 * <payment id>} for a payment. It never exits by itself; the test kills it.
 *
 * <p>Arguments: the DynamoDB Local endpoint and the table prefix (the tables exist).
 */
public final class CrashingDynamoWriter {
  /** Writes in flight at once. */
  private static final int IN_FLIGHT = 16;

  /** Distinct fingerprints the deterministic writes cycle through, so they race each other. */
  private static final int FINGERPRINTS = 8;

  private CrashingDynamoWriter() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    DynamoDbSettings settings =
        DynamoDbSettings.of("us-east-1").withEndpoint(URI.create(args[0])).withTablePrefix(args[1]);
    DynamoDbStore store = new DynamoDbStore(settings, LocalDynamo.client(URI.create(args[0])));
    String[] fingerprints = new String[FINGERPRINTS];
    for (int i = 0; i < FINGERPRINTS; i++) {
      fingerprints[i] = "crash-fp-" + i;
    }
    out.println("READY");
    out.flush();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    for (long n = 0; ; n++) {
      slots.acquire();
      CompletionStage<String> write;
      if (n % 3 == 0) {
        TokenRecord r = Fixtures.card();
        write = store.insertToken(r, Fixtures.tokenize(r)).thenApply(v -> "T " + r.token());
      } else if (n % 3 == 1) {
        TokenRecord r =
            Fixtures.card(Namespace.DEFAULT, fingerprints[(int) (n % FINGERPRINTS)], true, null);
        write =
            store
                .insertTokenIfFingerprintAbsent(r, Fixtures.tokenize(r), Instant.now())
                .thenApply(result -> "D " + result.record().token());
      } else {
        Payment p = Fixtures.payment("crash-client", "key-" + (n % 50));
        write =
            store
                .insertPaymentIfAbsent(p, Fixtures.paymentEvent(p))
                .thenApply(result -> "P " + result.payment().id());
      }
      write.whenComplete(
          (line, e) -> {
            if (e == null) {
              synchronized (out) {
                out.println(line);
                out.flush();
              }
            }
            slots.release();
          });
    }
  }
}
