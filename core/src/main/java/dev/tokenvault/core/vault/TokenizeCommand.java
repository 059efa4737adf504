package dev.tokenvault.core.vault;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.SensitiveValue;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request to tokenize a value; validates itself.
 *
 * @param namespace the tenant
 * @param value the value (already parsed and validated)
 * @param deterministic whether the same value in the same namespace must give the same token
 * @param ttl how long the token lives, or null for no expiry
 * @param metadata caller metadata: at most {@link #MAX_METADATA_ENTRIES} entries, keys of 1-40
 *     characters {@code [A-Za-z0-9_.-]}, values up to 500 characters that contain no card number
 */
public record TokenizeCommand(
    Namespace namespace,
    SensitiveValue value,
    boolean deterministic,
    Duration ttl,
    Map<String, String> metadata) {

  public static final int MAX_METADATA_ENTRIES = 20;
  public static final int MAX_METADATA_VALUE_LENGTH = 500;
  /** Ten years: long enough for any card, short enough to catch unit mistakes. */
  public static final Duration MAX_TTL = Duration.ofDays(3660);

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,40}");
  /** Digit groups joined by single spaces or dashes, as card numbers are usually typed. */
  private static final Pattern DIGIT_RUN = Pattern.compile("\\d+(?:[ -]\\d+)*");

  public TokenizeCommand {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(value, "value");
    if (ttl != null && (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0)) {
      throw new InvalidValueException(
          "invalid_ttl", "ttlSeconds", "ttlSeconds must be between 1 and " + MAX_TTL.toSeconds());
    }
    metadata = validateMetadata(metadata);
  }

  private static Map<String, String> validateMetadata(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return Map.of();
    }
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      throw new InvalidValueException(
          "metadata_too_large", "metadata", "metadata may have at most 20 entries");
    }
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || !KEY.matcher(e.getKey()).matches()
          || containsCardNumber(e.getKey())) {
        throw new InvalidValueException(
            "invalid_metadata_key",
            "metadata",
            "metadata keys are 1-40 characters: letters, digits, '_', '.', '-'");
      }
      String v = e.getValue();
      if (v == null || v.length() > MAX_METADATA_VALUE_LENGTH) {
        throw new InvalidValueException(
            "invalid_metadata_value",
            "metadata." + e.getKey(),
            "metadata values are strings of at most 500 characters");
      }
      if (containsCardNumber(v)) {
        throw new InvalidValueException(
            "metadata_contains_card_number",
            "metadata." + e.getKey(),
            "metadata must not contain a card number");
      }
      copy.put(e.getKey(), v);
    }
    return Map.copyOf(copy);
  }

  /**
   * True if {@code s} holds a card number: consecutive digit groups (separated by single spaces or
   * dashes) that together have 12-19 digits and pass Luhn. Only whole groups are combined, so an
   * order number that fails Luhn is not mistaken for a card because some substring of it passes.
   * The trade-off: a card glued to other digits without a separator is not detected.
   */
  static boolean containsCardNumber(String s) {
    Matcher m = DIGIT_RUN.matcher(s);
    while (m.find()) {
      String[] groups = m.group().split("[ -]");
      for (int first = 0; first < groups.length; first++) {
        StringBuilder digits = new StringBuilder(19);
        for (int last = first; last < groups.length; last++) {
          digits.append(groups[last]);
          if (digits.length() > 19) {
            break;
          }
          if (digits.length() >= 12 && dev.tokenvault.core.value.Luhn.isValid(digits)) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
