package dev.tokenvault.testkit;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a real key manager and can be switched "down", as an HSM or KMS outage would: calls then
 * throw {@link KeyManagerException.Unavailable}. Counts calls.
 */
public final class FlakyKeyManager implements KeyManager {
  private final KeyManager delegate;
  private volatile boolean down;
  private final AtomicInteger generateCalls = new AtomicInteger();
  private final AtomicInteger decryptCalls = new AtomicInteger();
  private final AtomicInteger rewrapCalls = new AtomicInteger();
  private final AtomicInteger rewrapsLeft = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger decryptsLeft = new AtomicInteger(Integer.MAX_VALUE);

  public FlakyKeyManager(KeyManager delegate) {
    this.delegate = delegate;
  }

  public void down(boolean down) {
    this.down = down;
  }

  /** After {@code n} more successful rewraps, goes down (a key manager lost in mid-rewrap). */
  public void downAfterRewraps(int n) {
    rewrapsLeft.set(n);
  }

  /**
   * After {@code n} more successful data-key decryptions, goes down (a key manager lost in the
   * middle of a re-fingerprint, which unwraps the records' data keys).
   */
  public void downAfterDecrypts(int n) {
    decryptsLeft.set(n);
  }

  public int rewrapCalls() {
    return rewrapCalls.get();
  }

  public int generateCalls() {
    return generateCalls.get();
  }

  public int decryptCalls() {
    return decryptCalls.get();
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
  public java.util.SortedSet<Integer> versions() {
    return delegate.versions();
  }

  @Override
  public int rotate() {
    failIfDown();
    return delegate.rotate();
  }

  @Override
  public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
    rewrapCalls.incrementAndGet();
    if (rewrapsLeft.getAndDecrement() <= 0) {
      down = true;
    }
    failIfDown();
    return delegate.rewrap(wrapped, context);
  }

  @Override
  public void retire(int version) {
    delegate.retire(version);
  }

  private void failIfDown() {
    if (down) {
      throw new KeyManagerException.Unavailable("key manager down (test)", null);
    }
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    generateCalls.incrementAndGet();
    if (down) {
      throw new KeyManagerException.Unavailable("key manager down (test)", null);
    }
    return delegate.generateDataKey(context);
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    decryptCalls.incrementAndGet();
    if (decryptsLeft.getAndDecrement() <= 0) {
      down = true;
    }
    if (down) {
      throw new KeyManagerException.Unavailable("key manager down (test)", null);
    }
    return delegate.decryptDataKey(wrapped, context);
  }
}
