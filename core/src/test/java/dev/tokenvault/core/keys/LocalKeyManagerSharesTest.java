package dev.tokenvault.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local key file sealed under M-of-N key shares (PCI DSS 3.7.6 split knowledge): any M
 * shares open it, M - 1 never do, a wrong share fails closed, and neither the unseal key nor a
 * share is ever in the file.
 */
class LocalKeyManagerSharesTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);
  private static final EncryptionContext CTX =
      EncryptionContext.of("tokenvault:namespace", "default", "tokenvault:key-id", "dk_1");

  @TempDir Path dir;

  private static String secretPart(String share) {
    return share.split("-", 5)[4]; // the base64url part may itself hold '-'
  }

  /** Same share, one character of the secret part changed: well formed but wrong. */
  private static String altered(String share) {
    int i = share.length() - 3;
    return share.substring(0, i) + (share.charAt(i) == 'A' ? 'B' : 'A') + share.substring(i + 1);
  }

  @Test
  void everyThreeOfFiveSharesUnsealAndKeepTheKeys() {
    WrappedKey wrapped;
    byte[] key;
    try (DataKey dk = LocalKeyManager.open(dir, null, CLOCK).generateDataKey(CTX)) {
      wrapped = dk.wrapped();
      key = dk.plaintext();
    }

    List<String> shares = LocalKeyManager.initShares(dir, null, 5, 3, CLOCK);

    assertThat(shares).hasSize(5).doesNotHaveDuplicates();
    assertThat(LocalKeyManager.sealMode(dir)).isEqualTo(LocalKeyManager.SealMode.SHARES);
    assertThat(LocalKeyManager.shareThreshold(dir)).isEqualTo(3);
    for (int a = 0; a < 5; a++) {
      for (int b = a + 1; b < 5; b++) {
        for (int c = b + 1; c < 5; c++) {
          LocalKeyManager km =
              LocalKeyManager.openWithShares(
                  dir, List.of(shares.get(a), shares.get(b), shares.get(c)), CLOCK);
          assertThat(km.decryptDataKey(wrapped, CTX)).as("shares %d %d %d", a, b, c).isEqualTo(key);
        }
      }
    }
    assertThat(LocalKeyManager.openWithShares(dir, shares, CLOCK).decryptDataKey(wrapped, CTX))
        .isEqualTo(key);
  }

  @Test
  void fewerThanTheThresholdNeverUnseal() {
    List<String> shares = LocalKeyManager.initShares(dir, null, 5, 3, CLOCK);

    for (List<String> few :
        List.of(List.<String>of(), List.of(shares.get(0)), List.of(shares.get(1), shares.get(4)),
            List.of(shares.get(2), shares.get(2), shares.get(2)))) {
      assertThatThrownBy(() -> LocalKeyManager.openWithShares(dir, few, CLOCK))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not enough key shares");
    }
    assertThatThrownBy(() -> LocalKeyManager.open(dir, null, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("key shares");
  }

  @Test
  void aWrongShareFailsClosedAndNoMessageCarriesAShare() {
    List<String> shares = LocalKeyManager.initShares(dir, null, 3, 2, CLOCK);
    List<String> withWrong = List.of(shares.get(0), altered(shares.get(1)));

    assertThatThrownBy(() -> LocalKeyManager.openWithShares(dir, withWrong, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("do not unseal")
        .satisfies(
            e -> {
              for (String s : shares) {
                assertThat(e.getMessage()).doesNotContain(secretPart(s));
              }
            });
    assertThat(LocalKeyManager.isWellFormedShare(dir, altered(shares.get(1)))).isTrue();
    assertThat(LocalKeyManager.isWellFormedShare(dir, "tvshare1-garbage")).isFalse();
  }

  @Test
  void sharesOfAnotherVaultAreNotCounted(@TempDir Path other) {
    List<String> mine = LocalKeyManager.initShares(dir, null, 3, 2, CLOCK);
    List<String> theirs = LocalKeyManager.initShares(other, null, 3, 2, CLOCK);

    assertThatThrownBy(
            () -> LocalKeyManager.openWithShares(dir, List.of(mine.get(0), theirs.get(1)), CLOCK))
        .hasMessageContaining("not enough key shares");
    assertThat(LocalKeyManager.isWellFormedShare(dir, theirs.get(0))).isFalse();
  }

  @Test
  void theFileHoldsNoKeyMaterialNoShareAndStaysSealedAcrossRotation() throws Exception {
    LocalKeyManager.open(dir, "a passphrase for the test".toCharArray(), CLOCK);
    List<String> shares =
        LocalKeyManager.initShares(dir, "a passphrase for the test".toCharArray(), 3, 2, CLOCK);
    LocalKeyManager km = LocalKeyManager.openWithShares(dir, shares.subList(0, 2), CLOCK);
    WrappedKey old = km.generateDataKey(CTX).wrapped();

    km.rotate();
    km.retire(1);

    String file = Files.readString(dir.resolve(LocalKeyManager.FILE_NAME));
    assertThat(file).contains("sealed=true", "sealed.method=shares").doesNotContain("material");
    for (String s : shares) {
      assertThat(file).doesNotContain(secretPart(s));
    }
    LocalKeyManager reopened = LocalKeyManager.openWithShares(dir, shares.subList(1, 3), CLOCK);
    assertThat(reopened.currentVersion()).isEqualTo(2);
    assertThat(reopened.versions()).containsExactly(2);
    assertThatThrownBy(() -> reopened.decryptDataKey(old, CTX))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void parametersAreChecked() {
    for (int[] bad : new int[][] {{1, 1}, {3, 1}, {2, 3}, {256, 2}}) {
      assertThatThrownBy(() -> LocalKeyManager.initShares(dir, null, bad[0], bad[1], CLOCK))
          .as("%d shares, threshold %d", bad[0], bad[1])
          .isInstanceOf(IllegalArgumentException.class);
    }
    LocalKeyManager.initShares(dir, null, 2, 2, CLOCK);
    assertThatThrownBy(() -> LocalKeyManager.initShares(dir, null, 3, 2, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already");
  }
}
