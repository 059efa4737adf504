package dev.tokenvault.core.keys;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Non-secret identifiers a wrapped key is bound to (AWS KMS calls this the encryption context).
 * Unwrapping with a different context fails. Key managers may record it in their own logs (AWS
 * CloudTrail does), so it holds ids only: namespace, data-key id, purpose. Never a value.
 */
public record EncryptionContext(Map<String, String> entries) {

  public EncryptionContext {
    Objects.requireNonNull(entries, "entries");
    entries = Collections.unmodifiableMap(new TreeMap<>(entries));
  }

  public static EncryptionContext of(String... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keysAndValues must come in pairs");
    }
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(
          Objects.requireNonNull(keysAndValues[i], "key"),
          Objects.requireNonNull(keysAndValues[i + 1], "value"));
    }
    return new EncryptionContext(m);
  }

  /**
   * A canonical, unambiguous byte encoding (sorted keys, each string length-prefixed), used as
   * associated data by key managers that do the AEAD themselves.
   */
  public byte[] canonicalBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, String> e : entries.entrySet()) {
      writeLengthPrefixed(out, e.getKey());
      writeLengthPrefixed(out, e.getValue());
    }
    return out.toByteArray();
  }

  private static void writeLengthPrefixed(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xffff) {
      throw new IllegalArgumentException("encryption context strings are limited to 65535 bytes");
    }
    out.write((b.length >>> 8) & 0xff);
    out.write(b.length & 0xff);
    out.write(b, 0, b.length);
  }
}
