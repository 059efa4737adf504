package dev.tokenvault.core.value;

import java.security.SecureRandom;

/** Random identifiers: a prefix and 128 bits from {@link SecureRandom} in base62 (22 chars). */
public final class RandomIds {
  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  /** ceil(128 / log2(62)). */
  static final int LENGTH = 22;

  private static final SecureRandom RANDOM = new SecureRandom();

  private RandomIds() {}

  /** {@code prefix} followed by 22 base62 characters of 128 random bits. */
  public static String next(String prefix) {
    return next(prefix, RANDOM);
  }

  public static String next(String prefix, SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return prefix + encode(bytes);
  }

  /**
   * The 22 base62 digits of the unsigned big-endian 128-bit number {@code bytes}, most significant
   * first. Long division by 62 over four 32-bit limbs: the same digits as {@code BigInteger}
   * division (tested against it), without its allocations (it was half of the cost of a token).
   */
  static String encode(byte[] bytes) {
    long[] limbs = new long[4];
    for (int i = 0; i < 16; i++) {
      limbs[i >> 2] = (limbs[i >> 2] << 8) | (bytes[i] & 0xFF);
    }
    char[] body = new char[LENGTH];
    for (int i = LENGTH - 1; i >= 0; i--) {
      long rem = 0;
      for (int j = 0; j < 4; j++) {
        long cur = (rem << 32) | limbs[j];
        limbs[j] = cur / 62;
        rem = cur % 62;
      }
      body[i] = BASE62[(int) rem];
    }
    return new String(body);
  }
}
