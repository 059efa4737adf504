package dev.tokenvault.core.keys;

import java.util.Arrays;
import java.util.Objects;

/**
 * A freshly generated data key: the key in clear (for immediate use, never stored) and the same
 * key wrapped under the KEK (for the store). {@link #toString()} never shows key bytes.
 */
public final class DataKey implements AutoCloseable {
  private final byte[] plaintext;
  private final WrappedKey wrapped;

  public DataKey(byte[] plaintext, WrappedKey wrapped) {
    this.plaintext = Objects.requireNonNull(plaintext, "plaintext").clone();
    this.wrapped = Objects.requireNonNull(wrapped, "wrapped");
  }

  /** The key bytes in clear: a copy, to be overwritten by the caller after use. */
  public byte[] plaintext() {
    return plaintext.clone();
  }

  public WrappedKey wrapped() {
    return wrapped;
  }

  /** Overwrites the clear key bytes held here. */
  @Override
  public void close() {
    Arrays.fill(plaintext, (byte) 0);
  }

  @Override
  public String toString() {
    return "DataKey[<masked>, " + wrapped + "]";
  }
}
