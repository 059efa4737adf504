package dev.tokenvault.core.value;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/** The shared innards of the sensitive value types: ASCII bytes, copied in and out. */
final class SecretChars {
  private SecretChars() {}

  static byte[] ascii(CharSequence s) {
    byte[] b = new byte[s.length()];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) s.charAt(i);
    }
    return b;
  }

  static String last4(byte[] value) {
    return new String(value, value.length - 4, 4, StandardCharsets.US_ASCII);
  }

  static boolean constantTimeEquals(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  /** A hash code that does not leak the value: only its length and last four characters. */
  static int safeHashCode(byte[] value) {
    return Arrays.hashCode(Arrays.copyOfRange(value, value.length - 4, value.length)) * 31
        + value.length;
  }
}
