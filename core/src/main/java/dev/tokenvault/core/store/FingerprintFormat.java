package dev.tokenvault.core.store;

import java.util.Objects;

/**
 * The textual form of a keyed fingerprint, which says which version of the namespace's fingerprint
 * key made it.
 *
 * <h2>Format</h2>
 *
 * <ul>
 *   <li>Version 1: {@code fp_} + base64url(HMAC-SHA256(key v1, type || 0x00 || value)), 46
 *       characters. Unchanged since the first release, byte for byte.
 *   <li>Version N &ge; 2: {@code fp<N>_} + base64url(HMAC-SHA256(key vN, type || 0x00 || value)),
 *       e.g. {@code fp2_…}: the version in decimal, no leading zero.
 * </ul>
 *
 * The prefix is parsed from the start, and base64url never starts a v1 fingerprint's prefix, so
 * the two shapes cannot be confused. Anything that has neither shape (fingerprints written by
 * hand in tests, say) counts as version 1: it was certainly not made by a later key. Stores use
 * {@link #version} to index tokens by fingerprint version (the re-fingerprint job and retirement
 * ask "which tokens still carry version N").
 */
public final class FingerprintFormat {
  private FingerprintFormat() {}

  /** The prefix of every version-1 fingerprint. */
  public static final String V1_PREFIX = "fp_";

  /** The prefix of fingerprints made by version {@code version} of a fingerprint key. */
  public static String prefix(int version) {
    if (version < 1) {
      throw new IllegalArgumentException("a fingerprint key version is at least 1");
    }
    return version == 1 ? V1_PREFIX : "fp" + version + "_";
  }

  /** The fingerprint-key version that made {@code fingerprint} (1 for any unversioned shape). */
  public static int version(String fingerprint) {
    Objects.requireNonNull(fingerprint, "fingerprint");
    if (!fingerprint.startsWith("fp") || fingerprint.length() < 4) {
      return 1;
    }
    int end = fingerprint.indexOf('_', 2);
    if (end < 3 || end > 11 || fingerprint.charAt(2) == '0') {
      return 1;
    }
    int version = 0;
    for (int i = 2; i < end; i++) {
      char c = fingerprint.charAt(i);
      if (c < '0' || c > '9') {
        return 1;
      }
      version = version * 10 + (c - '0');
    }
    return version < 2 ? 1 : version;
  }
}
