package dev.tokenvault.core.value;

import java.util.regex.Pattern;

/**
 * A tenant (merchant, business unit) within the vault. Each namespace has its own data keys and
 * fingerprint key: tenants never share a key, and one namespace can be crypto-erased alone.
 *
 * <p>Names are 1-63 characters of lower-case letters, digits, {@code -} and {@code _}, starting
 * with a letter or digit.
 */
public record Namespace(String name) {
  /** Declared before {@link #DEFAULT}: static fields initialise in order. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  public static final Namespace DEFAULT = new Namespace("default");

  /**
   * The vault's own keys (signing, capture encryption) live here, apart from every tenant's.
   * Reserved: the vault refuses to tokenize or pay in it.
   */
  public static final Namespace SYSTEM = new Namespace("tokenvault-system");

  public Namespace {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidValueException(
          "invalid_namespace",
          "namespace",
          "a namespace is 1-63 characters: a-z, 0-9, '-' and '_', starting with a letter or digit");
    }
  }

  /** The namespace named, or {@link #DEFAULT} when {@code name} is null or empty. */
  public static Namespace ofNullable(String name) {
    return name == null || name.isEmpty() ? DEFAULT : new Namespace(name);
  }

  /** Whether this is a namespace tenants may not use ({@link #SYSTEM}). */
  public boolean isReserved() {
    return equals(SYSTEM);
  }

  @Override
  public String toString() {
    return name;
  }
}
