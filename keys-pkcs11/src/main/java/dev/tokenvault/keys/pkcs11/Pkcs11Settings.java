package dev.tokenvault.keys.pkcs11;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the HSM key-encryption key lives. The PIN is deliberately not a setting: the caller reads
 * it from the environment ({@code TOKENVAULT_PKCS11_PIN}) or a file and hands it to {@link
 * Pkcs11KeyManager#open} as a {@code char[]}, so that it never sits in a configuration object,
 * a {@code toString()} or a command line.
 *
 * <p>Configuration names: {@code tokenvault.keys.pkcs11.library}, {@code .token-label}, {@code
 * .slot-index}, {@code .key-label}, {@code .create-key}.
 *
 * @param library path of the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param tokenLabel selects the slot whose token has this label; or null, then {@code slotIndex}
 * @param slotIndex index into the module's slot list (SunPKCS11 {@code slotListIndex}); or null
 * @param keyLabel base label of the KEK: version N is the secret-key object labelled {@code
 *     <keyLabel>-v<N>}
 * @param createKey create version 1 when the token holds no version yet (first set-up only)
 */
public record Pkcs11Settings(
    String library, String tokenLabel, Integer slotIndex, String keyLabel, boolean createKey) {

  /** Labels end up in a PKCS#11 config and in CKA_LABEL: keep them to a safe, printable set. */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._:@/ -]{1,32}");

  public Pkcs11Settings {
    Objects.requireNonNull(library, "library");
    Objects.requireNonNull(keyLabel, "keyLabel");
    if (library.isBlank() || library.chars().anyMatch(c -> c == '"' || c == '\n' || c == '\r')) {
      throw new IllegalArgumentException("library must be a plain file path");
    }
    if ((tokenLabel == null) == (slotIndex == null)) {
      throw new IllegalArgumentException("set exactly one of tokenLabel and slotIndex");
    }
    if (tokenLabel != null && !LABEL.matcher(tokenLabel).matches()) {
      throw new IllegalArgumentException("tokenLabel must be 1-32 characters of [A-Za-z0-9._:@/ -]");
    }
    if (slotIndex != null && slotIndex < 0) {
      throw new IllegalArgumentException("slotIndex must be >= 0");
    }
    // Leaves room for the "-vNNN" suffix within PKCS#11's 32-character label.
    if (!LABEL.matcher(keyLabel).matches() || keyLabel.length() > 24) {
      throw new IllegalArgumentException("keyLabel must be 1-24 characters of [A-Za-z0-9._:@/ -]");
    }
  }

  /** Settings selecting the token by its label. */
  public static Pkcs11Settings byTokenLabel(
      String library, String tokenLabel, String keyLabel, boolean createKey) {
    return new Pkcs11Settings(library, tokenLabel, null, keyLabel, createKey);
  }

  /** Settings selecting the slot by its index in the module's slot list. */
  public static Pkcs11Settings bySlotIndex(
      String library, int slotIndex, String keyLabel, boolean createKey) {
    return new Pkcs11Settings(library, null, slotIndex, keyLabel, createKey);
  }
}
