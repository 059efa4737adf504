package dev.tokenvault.server.monitoring;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * A {@link KeyManager} that times every call into {@code tokenvault.keymanager.calls{operation,
 * outcome}}. Wired by the server around whichever key manager is configured, so core and the
 * adapters stay free of metrics. Key-manager calls are rare (one per data key), so a timer
 * sample per call costs nothing that matters.
 */
public final class MeteredKeyManager implements KeyManager {
  private final KeyManager delegate;
  private final MeterRegistry registry;

  public MeteredKeyManager(KeyManager delegate, MeterRegistry registry) {
    this.delegate = delegate;
    this.registry = registry;
    for (String op : new String[] {"generate", "decrypt"}) {
      timer(op, "success");
    }
  }

  private Timer timer(String operation, String outcome) {
    return Timer.builder(Meters.KEY_MANAGER_CALLS)
        .description("calls to the key manager (KMS, HSM, local KEK)")
        .tag("operation", operation)
        .tag("outcome", outcome)
        .register(registry);
  }

  private <T> T timed(String operation, Supplier<T> call) {
    long start = System.nanoTime();
    String outcome = "error";
    try {
      T result = call.get();
      outcome = "success";
      return result;
    } catch (KeyManagerException.Unavailable e) {
      outcome = "unavailable";
      throw e;
    } catch (KeyManagerException.IntegrityFailure e) {
      outcome = "integrity_failure";
      throw e;
    } finally {
      timer(operation, outcome).record(System.nanoTime() - start,
          java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public String kekId() {
    return delegate.kekId();
  }

  @Override
  public int currentVersion() {
    return delegate.currentVersion();
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    return timed("generate", () -> delegate.generateDataKey(context));
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    return timed("decrypt", () -> delegate.decryptDataKey(wrapped, context));
  }

  // Rotation goes straight to the delegate (a wrapper that kept the port's defaults would
  // refuse to rotate, rewrap or retire): rewrap is a key-manager call and is timed like one.

  @Override
  public java.util.SortedSet<Integer> versions() {
    return delegate.versions();
  }

  @Override
  public int rotate() {
    return timed("rotate", delegate::rotate);
  }

  @Override
  public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
    return timed("rewrap", () -> delegate.rewrap(wrapped, context));
  }

  @Override
  public void retire(int version) {
    timed(
        "retire",
        () -> {
          delegate.retire(version);
          return null;
        });
  }

  @Override
  public void close() {
    delegate.close();
  }
}
