package dev.tokenvault.keys.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.testkit.KeyManagerOutageConformance;
import java.security.AuthProvider;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/**
 * The key-manager contract and the HSM specifics against a real SoftHSM2 token (see {@link
 * SoftHsm2Tokens}). The outage is an HSM that dropped the application's login, as after an HSM
 * restart: the key handles become invalid ({@code CKR_OBJECT_HANDLE_INVALID}); the manager must
 * answer "unavailable" and log in again by itself at the next call.
 */
class Pkcs11KeyManagerTest extends KeyManagerOutageConformance {

  private static Pkcs11Settings main(String keyLabel, boolean createKey) {
    return Pkcs11Settings.byTokenLabel(
        SoftHsm2Tokens.library(), SoftHsm2Tokens.MAIN_TOKEN, keyLabel, createKey);
  }

  private static String freshLabel(String prefix) {
    byte[] b = new byte[4];
    new SecureRandom().nextBytes(b);
    return prefix + "-" + HexFormat.of().formatHex(b);
  }

  @Override
  protected KeyManager open() {
    return Pkcs11KeyManager.open(main("kek", true), SoftHsm2Tokens.pin());
  }

  @Override
  protected KeyManager openOther() {
    return Pkcs11KeyManager.open(main("kek-other", true), SoftHsm2Tokens.pin());
  }

  private final Map<KeyManager, Pkcs11Settings> settingsOf = new IdentityHashMap<>();

  @Override
  protected KeyManager openFresh() {
    Pkcs11Settings settings = main(freshLabel("fresh"), true);
    KeyManager m = Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin());
    settingsOf.put(m, settings);
    return m;
  }

  @Override
  protected KeyManager reopen(KeyManager manager) {
    Pkcs11Settings settings = settingsOf.get(manager);
    KeyManager m = Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin());
    settingsOf.put(m, settings);
    return m;
  }

  @Override
  protected void startOutage(KeyManager manager) throws Exception {
    ((AuthProvider) ((Pkcs11KeyManager) manager).provider()).logout();
  }
  /** The adapter logs in again by itself on its next call: nothing to undo. */
  @Override
  protected void endOutage(KeyManager manager) {}


  @Test
  void kekIsASensitiveNonExtractableTokenObject() {
    Pkcs11KeyManager pkm = (Pkcs11KeyManager) km;

    assertThat(pkm.keks()).isNotEmpty();
    for (SecretKey kek : pkm.keks().values()) {
      assertThat(kek.getEncoded()).isNull();
      assertThat(kek.toString()).contains("token object", "sensitive", "unextractable");
    }
  }

  @Test
  void wrappedKeyIsFormatByteIvCiphertextAndTag() {
    byte[] wrapped = km.generateDataKey(CONTEXT).wrapped().ciphertext();

    assertThat(wrapped).hasSize(61);
    assertThat(wrapped[0]).isEqualTo((byte) 1);
    assertThat(km.kekId()).isEqualTo("pkcs11:kek");
  }

  @Test
  void rotationMakesANewCurrentVersionAndOldVersionsStillDecrypt() {
    Pkcs11Settings settings = main(freshLabel("rot"), true);
    Pkcs11KeyManager first = (Pkcs11KeyManager) track(Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()));
    Pkcs11KeyManager second = (Pkcs11KeyManager) track(Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()));
    DataKey underV1 = first.generateDataKey(CONTEXT);

    assertThat(first.rotate()).isEqualTo(2);

    assertThat(first.currentVersion()).isEqualTo(2);
    DataKey underV2 = first.generateDataKey(CONTEXT);
    assertThat(underV2.wrapped().kekVersion()).isEqualTo(2);
    assertThat(first.decryptDataKey(underV1.wrapped(), CONTEXT)).isEqualTo(underV1.plaintext());
    // An instance opened before the rotation finds the new version in the token when it meets it.
    assertThat(second.decryptDataKey(underV2.wrapped(), CONTEXT)).isEqualTo(underV2.plaintext());
    assertThat(second.currentVersion()).isEqualTo(2);
    KeyManager reopened = track(Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()));
    assertThat(reopened.currentVersion()).isEqualTo(2);
    assertThat(reopened.decryptDataKey(underV1.wrapped(), CONTEXT)).isEqualTo(underV1.plaintext());
  }

  @Test
  void versionOneWrappedKeyRelabelledAsVersionTwoDoesNotDecrypt() {
    Pkcs11KeyManager pkm =
        (Pkcs11KeyManager) track(Pkcs11KeyManager.open(main(freshLabel("rl"), true), SoftHsm2Tokens.pin()));
    WrappedKey v1 = pkm.generateDataKey(CONTEXT).wrapped();
    pkm.rotate();

    WrappedKey relabelled = new WrappedKey(v1.kekId(), 2, v1.ciphertext());
    assertThatThrownBy(() -> pkm.decryptDataKey(relabelled, CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void theSameLabelInAnotherTokenIsAnotherKey() {
    KeyManager otherToken =
        track(
            Pkcs11KeyManager.open(
                Pkcs11Settings.byTokenLabel(
                    SoftHsm2Tokens.library(), SoftHsm2Tokens.SECOND_TOKEN, "kek", true),
                SoftHsm2Tokens.pin()));
    WrappedKey fromOtherToken = otherToken.generateDataKey(CONTEXT).wrapped();

    // Same KEK id ("pkcs11:kek"), other key material: only the GCM tag can tell, and must.
    assertThat(fromOtherToken.kekId()).isEqualTo(km.kekId());
    assertThatThrownBy(() -> km.decryptDataKey(fromOtherToken, CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void missingKeyWithoutCreateKeyIsAConfigurationError() {
    assertThatThrownBy(() -> Pkcs11KeyManager.open(main(freshLabel("none"), false), SoftHsm2Tokens.pin()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("create-key");
  }

  @Test
  void unknownTokenLabelIsAConfigurationError() {
    Pkcs11Settings settings =
        Pkcs11Settings.byTokenLabel(SoftHsm2Tokens.library(), "no-such-token", "kek", true);

    assertThatThrownBy(() -> Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no-such-token");
  }

  @Test
  void wrongPinIsAConfigurationErrorAndIsNotEchoed() {
    Pkcs11Settings settings =
        Pkcs11Settings.byTokenLabel(
            SoftHsm2Tokens.library(), SoftHsm2Tokens.SECOND_TOKEN, "kek", true);

    assertThatThrownBy(() -> Pkcs11KeyManager.open(settings, "wrong-pin-4711".toCharArray()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CKR_PIN_INCORRECT")
        .hasMessageNotContaining("wrong-pin-4711");
  }

  @Test
  void slotIndexSelectsASlotToo() {
    KeyManager bySlot =
        track(
            Pkcs11KeyManager.open(
                Pkcs11Settings.bySlotIndex(SoftHsm2Tokens.library(), 0, "kek-slot", true),
                SoftHsm2Tokens.pin()));

    DataKey key = bySlot.generateDataKey(CONTEXT);
    assertThat(bySlot.decryptDataKey(key.wrapped(), CONTEXT)).isEqualTo(key.plaintext());
  }

  @Test
  void aLibraryThatIsNotAPkcs11ModuleIsUnavailable() throws Exception {
    java.nio.file.Path notAModule = java.nio.file.Files.createTempFile("not-pkcs11", ".so");
    try {
      Pkcs11Settings settings = Pkcs11Settings.bySlotIndex(notAModule.toString(), 0, "kek", true);

      assertThatThrownBy(() -> Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()))
          .isInstanceOf(KeyManagerException.Unavailable.class);
    } finally {
      java.nio.file.Files.delete(notAModule);
    }
  }

  @Test
  void missingLibraryIsAConfigurationError() {
    Pkcs11Settings settings = Pkcs11Settings.bySlotIndex("/nonexistent/libpkcs11.so", 0, "kek", true);

    assertThatThrownBy(() -> Pkcs11KeyManager.open(settings, SoftHsm2Tokens.pin()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("/nonexistent/libpkcs11.so");
  }

  @Test
  void toStringMasksThePin() {
    assertThat(km.toString()).contains("<masked>").doesNotContain(new String(SoftHsm2Tokens.pin()));
  }

  @Test
  void closedManagerRefusesWork() {
    KeyManager m = Pkcs11KeyManager.open(main("kek", true), SoftHsm2Tokens.pin());
    m.close();

    assertThatThrownBy(() -> m.generateDataKey(CONTEXT)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void settingsRejectAmbiguousOrUnsafeValues() {
    assertThatThrownBy(() -> new Pkcs11Settings("/lib.so", "t", 0, "kek", false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Pkcs11Settings("/lib.so", null, null, "kek", false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pkcs11Settings.bySlotIndex("/lib.so\nslot=1", 0, "kek", false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pkcs11Settings.bySlotIndex("/lib.so", 0, "kek\n}", false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
