package dev.tokenvault.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKeyManagerTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);
  private static final EncryptionContext CTX =
      EncryptionContext.of("tokenvault:namespace", "default", "tokenvault:key-id", "dk_1");

  @TempDir Path dir;

  @Test
  void firstOpenCreatesAnOwnerOnlyKeyFile() throws Exception {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    Path file = dir.resolve(LocalKeyManager.FILE_NAME);
    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
    assertThat(km.kekId()).startsWith("local-");
    assertThat(km.currentVersion()).isEqualTo(1);
  }

  @Test
  void generatedKeysAre256BitsAndUnwrapToTheSameBytes() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    try (DataKey dk = km.generateDataKey(CTX)) {
      assertThat(dk.plaintext()).hasSize(32);
      assertThat(dk.wrapped().ciphertext()).hasSize(60);
      assertThat(dk.wrapped().kekId()).isEqualTo(km.kekId());
      assertThat(km.decryptDataKey(dk.wrapped(), CTX)).isEqualTo(dk.plaintext());
      assertThat(dk.toString()).contains("masked");
    }
  }

  @Test
  void twoGeneratedKeysDiffer() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    assertThat(km.generateDataKey(CTX).plaintext()).isNotEqualTo(km.generateDataKey(CTX).plaintext());
  }

  @Test
  void aDifferentEncryptionContextFailsAsIntegrityFailure() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    WrappedKey w = km.generateDataKey(CTX).wrapped();
    EncryptionContext other =
        EncryptionContext.of("tokenvault:namespace", "other", "tokenvault:key-id", "dk_1");
    assertThatThrownBy(() -> km.decryptDataKey(w, other))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void aTamperedWrappedKeyFails() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    WrappedKey w = km.generateDataKey(CTX).wrapped();
    byte[] c = w.ciphertext();
    for (int i = 0; i < c.length; i++) {
      byte[] t = c.clone();
      t[i] ^= 0x01;
      WrappedKey tampered = new WrappedKey(w.kekId(), w.kekVersion(), t);
      assertThatThrownBy(() -> km.decryptDataKey(tampered, CTX))
          .as("byte %d", i)
          .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    }
  }

  @Test
  void anUnknownVersionOrKekIsRefused() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    WrappedKey w = km.generateDataKey(CTX).wrapped();
    assertThatThrownBy(() -> km.decryptDataKey(new WrappedKey(w.kekId(), 2, w.ciphertext()), CTX))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThatThrownBy(() -> km.decryptDataKey(new WrappedKey("local-other", 1, w.ciphertext()), CTX))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void reopeningTheSameDirectoryKeepsTheKek() {
    WrappedKey w;
    byte[] clear;
    try (DataKey dk = LocalKeyManager.open(dir, null, CLOCK).generateDataKey(CTX)) {
      w = dk.wrapped();
      clear = dk.plaintext();
    }
    assertThat(LocalKeyManager.open(dir, null, CLOCK).decryptDataKey(w, CTX)).isEqualTo(clear);
  }

  @Test
  void anotherDirectoryHasAnotherKek() {
    WrappedKey w = LocalKeyManager.open(dir.resolve("a"), null, CLOCK).generateDataKey(CTX).wrapped();
    LocalKeyManager b = LocalKeyManager.open(dir.resolve("b"), null, CLOCK);
    assertThatThrownBy(() -> b.decryptDataKey(w, CTX))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void aSealedFileHoldsNoKeyMaterialAndOpensOnlyWithThePassphrase() throws Exception {
    char[] pass = "correct horse battery staple".toCharArray();
    WrappedKey w;
    byte[] clear;
    try (DataKey dk = LocalKeyManager.open(dir, pass.clone(), CLOCK).generateDataKey(CTX)) {
      w = dk.wrapped();
      clear = dk.plaintext();
    }
    String file = Files.readString(dir.resolve(LocalKeyManager.FILE_NAME), StandardCharsets.ISO_8859_1);
    assertThat(file).contains("sealed=true").doesNotContain("material");

    assertThat(LocalKeyManager.open(dir, pass.clone(), CLOCK).decryptDataKey(w, CTX)).isEqualTo(clear);
    assertThatThrownBy(() -> LocalKeyManager.open(dir, null, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("TOKENVAULT_KEK_PASSPHRASE");
    assertThatThrownBy(() -> LocalKeyManager.open(dir, "wrong".toCharArray(), CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("wrong passphrase");
  }

  @Test
  void anUnsealedFileIsSealedInPlaceWhenAPassphraseIsGiven() throws Exception {
    WrappedKey w;
    byte[] clear;
    try (DataKey dk = LocalKeyManager.open(dir, null, CLOCK).generateDataKey(CTX)) {
      w = dk.wrapped();
      clear = dk.plaintext();
    }
    char[] pass = "a long passphrase".toCharArray();
    LocalKeyManager sealed = LocalKeyManager.open(dir, pass.clone(), CLOCK);
    assertThat(sealed.decryptDataKey(w, CTX)).isEqualTo(clear);
    assertThat(Files.readString(dir.resolve(LocalKeyManager.FILE_NAME))).contains("sealed=true");
    assertThat(Files.list(dir.resolve("keys")).map(p -> p.getFileName().toString()))
        .containsExactly("local-kek.properties");
  }

  @Test
  void wrappedKeyAndDataKeyNeverPrintKeyBytes() {
    LocalKeyManager km = LocalKeyManager.open(dir, null, CLOCK);
    try (DataKey dk = km.generateDataKey(CTX)) {
      String printed = dk + " " + dk.wrapped() + " " + km;
      assertThat(printed).doesNotContain(Arrays.toString(dk.plaintext()));
      assertThat(printed).doesNotContain(java.util.HexFormat.of().formatHex(dk.plaintext()));
    }
  }
}
