package dev.tokenvault.core.vault;

import java.time.Duration;

/**
 * Bounds on data keys.
 *
 * @param maxEncryptionsPerKey a data key encrypts at most this many records, then a new one is
 *     generated. Default 2^24: with random 96-bit nonces NIST SP 800-38D allows 2^32 invocations
 *     per key; staying 256 times below keeps the nonce-collision probability under 2^-49.
 * @param maxKeyAge a data key is used for new records for at most this long (default 7 days), so
 *     a key's exposure window is bounded even at low volume
 * @param cacheSize how many unwrapped data keys are kept in memory (default 10,000)
 * @param cacheTtl how long an unwrapped key stays cached after it was unwrapped (default 1 hour);
 *     a retired or erased key stops working in this process within this time
 */
public record KeyRingSettings(
    long maxEncryptionsPerKey, Duration maxKeyAge, long cacheSize, Duration cacheTtl) {

  public static final KeyRingSettings DEFAULTS =
      new KeyRingSettings(1L << 24, Duration.ofDays(7), 10_000, Duration.ofHours(1));

  public KeyRingSettings {
    if (maxEncryptionsPerKey < 1 || maxEncryptionsPerKey > (1L << 32)) {
      throw new IllegalArgumentException("maxEncryptionsPerKey must be 1..2^32");
    }
    if (maxKeyAge.isNegative() || maxKeyAge.isZero()) {
      throw new IllegalArgumentException("maxKeyAge must be positive");
    }
    if (cacheSize < 1) {
      throw new IllegalArgumentException("cacheSize must be positive");
    }
  }
}
