package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyAdministration.KeyReport;
import dev.tokenvault.core.vault.KeyAdministration.RewrapProgress;
import dev.tokenvault.core.vault.KeyAdministration.VersionReport;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.VaultException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KEK rotation, background rewrap and retirement through {@link DefaultVault}, with the real
 * local key manager (a key file in a temp dir) and the in-memory store, which outlives each
 * "restart" (a new vault and a new key manager on the same key file and store). Every tokenize
 * makes a new data key ({@code maxEncryptionsPerKey = 1}), so there are many to rewrap.
 */
class KeyRotationTest {
  private static final Namespace NS = Namespace.DEFAULT;
  private static final List<String> CARDS =
      List.of("4111111111111111", "5555555555554444", "378282246310005");

  @TempDir Path dataDir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final InMemoryStore store = new InMemoryStore();
  private FlakyKeyManager keyManager;
  private DefaultVault vault;

  @BeforeEach
  void start() {
    restart();
  }

  @AfterEach
  void stop() {
    vault.close();
  }

  /** A new process: a new key manager on the same key file, a new vault on the same store. */
  private void restart() {
    if (vault != null) {
      vault.close();
    }
    keyManager = new FlakyKeyManager(LocalKeyManager.open(dataDir, null, clock));
    vault =
        DefaultVault.builder()
            .keyManager(keyManager)
            .tokenStore(store)
            .paymentStore(store)
            .paymentProcessor(new SimulatedAcquirer())
            .clock(clock)
            .keyRingSettings(new KeyRingSettings(1, Duration.ofDays(7), 100, Duration.ofHours(1)))
            .build();
  }

  private static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private Token tokenize(String pan, boolean deterministic) {
    return await(
            vault.tokenize(
                new TokenizeCommand(NS, Pan.parse(pan), deterministic, null, Map.of()),
                TestContexts.merchant()))
        .token()
        .token();
  }

  private String detokenize(Token token) {
    return new String(
        await(vault.detokenize(NS, token, TestContexts.merchant())).value().reveal(),
        java.nio.charset.StandardCharsets.US_ASCII);
  }

  private Map<Token, String> tokenizeAll() {
    Map<Token, String> tokens = new LinkedHashMap<>();
    for (String card : CARDS) {
      tokens.put(tokenize(card, false), card);
      tokens.put(tokenize(card, true), card);
    }
    return tokens;
  }

  private long dataKeysUnder(KeyReport report, int version) {
    return report.versions().stream()
        .filter(v -> v.version() == version)
        .mapToLong(VersionReport::dataKeys)
        .sum();
  }

  private static VaultException vaultFailure(Runnable r) {
    try {
      r.run();
    } catch (CompletionException e) {
      if (e.getCause() instanceof VaultException v) {
        return v;
      }
      throw e;
    } catch (VaultException v) {
      return v;
    }
    throw new AssertionError("no failure");
  }

  @Test
  void rotationRewrapsEveryDataKeyOfEveryPurposeAndNoRecordIsTouched() {
    Map<Token, String> tokens = tokenizeAll();
    byte[] signingKey =
        await(vault.vaultKeyPair(KeyPurpose.SIGNING, "audit-1", TestContexts.admin()))
            .keyPair().getPublic().getEncoded();
    Map<Token, String> ciphertexts = new LinkedHashMap<>();
    for (Token t : tokens.keySet()) {
      ciphertexts.put(t, HexFormat.of().formatHex(await(store.findToken(t)).orElseThrow().ciphertext()));
    }
    long keys = store.dataKeys().size();
    assertThat(store.dataKeys())
        .extracting(DataKeyRecord::purpose)
        .contains(KeyPurpose.RECORD, KeyPurpose.FINGERPRINT, KeyPurpose.SIGNING);

    var rotation = await(vault.keyAdministration().rotate(TestContexts.admin()));
    RewrapProgress done = await(vault.keyAdministration().rewrapCompletion());

    assertThat(rotation.previousVersion()).isEqualTo(1);
    assertThat(rotation.currentVersion()).isEqualTo(2);
    assertThat(done.state()).isEqualTo(RewrapProgress.State.DONE);
    assertThat(store.dataKeys()).allSatisfy(k -> assertThat(k.wrapped().kekVersion()).isEqualTo(2));
    KeyReport report = await(vault.keyAdministration().report());
    assertThat(report.currentVersion()).isEqualTo(2);
    assertThat(dataKeysUnder(report, 1)).isZero();
    assertThat(dataKeysUnder(report, 2)).isEqualTo(keys);
    // Only wrappings changed: every record's ciphertext is byte for byte what it was.
    for (Token t : tokens.keySet()) {
      assertThat(HexFormat.of().formatHex(await(store.findToken(t)).orElseThrow().ciphertext()))
          .isEqualTo(ciphertexts.get(t));
    }
    List<StoredAuditEvent> audit = AuditChains.readAll(store);
    assertThat(audit)
        .filteredOn(e -> e.event().eventName().equals(AuditAction.ROTATE_KEY))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.event().keyId()).isEqualTo(keyManager.kekId());
              assertThat(e.event().keyVersion()).isEqualTo(2);
              assertThat(e.event().actor().principal()).isEqualTo(TestContexts.admin().principal());
            });
    assertThat(audit)
        .filteredOn(e -> e.event().eventName().equals(AuditAction.REWRAP_DATA_KEY))
        .hasSize((int) keys)
        .allSatisfy(
            e -> {
              assertThat(e.event().outcome()).isEqualTo(Outcome.SUCCESS);
              assertThat(e.event().keyVersion()).isEqualTo(2);
              assertThat(e.event().encryptionContext())
                  .containsEntry("tokenvault:source-kek-version", "1")
                  .containsKey("tokenvault:key-id");
            });
    AuditChains.assertIntactFromGenesis(audit);

    restart();
    tokens.forEach((t, card) -> assertThat(detokenize(t)).isEqualTo(card));
    // The vault's own key pairs (seeds wrapped like data keys) come back the same.
    assertThat(
            await(vault.vaultKeyPair(KeyPurpose.SIGNING, "audit-1", TestContexts.admin()))
                .keyPair().getPublic().getEncoded())
        .isEqualTo(signingKey);
    // Deterministic tokenization still finds the tokens made before the rotation.
    for (Map.Entry<Token, String> e : tokens.entrySet()) {
      if (await(store.findToken(e.getKey())).orElseThrow().deterministic()) {
        assertThat(tokenize(e.getValue(), true)).isEqualTo(e.getKey());
      }
    }
  }

  @Test
  void rewrapSurvivesARestartMidway() {
    Map<Token, String> tokens = tokenizeAll();
    long keys = store.dataKeys().size();
    keyManager.downAfterRewraps(2);

    await(vault.keyAdministration().rotate(TestContexts.admin()));
    RewrapProgress cut = await(vault.keyAdministration().rewrapCompletion());

    assertThat(cut.state()).isEqualTo(RewrapProgress.State.FAILED);
    assertThat(cut.errorCode()).isEqualTo("key_manager_unavailable");
    assertThat(cut.rewrapped()).isEqualTo(2);
    assertThat(dataKeysUnder(await(vault.keyAdministration().report()), 1)).isEqualTo(keys - 2);
    VaultException inUse =
        vaultFailure(() -> await(vault.keyAdministration().retire(1, TestContexts.admin())));
    assertThat(inUse.code()).isEqualTo("kek_version_in_use");

    restart(); // the start resumes the rewrap

    RewrapProgress resumed = await(vault.keyAdministration().rewrapCompletion());
    assertThat(resumed.state()).isEqualTo(RewrapProgress.State.DONE);
    KeyReport report = await(vault.keyAdministration().report());
    assertThat(dataKeysUnder(report, 1)).isZero();
    assertThat(dataKeysUnder(report, 2)).isEqualTo(keys);
    assertThat(AuditChains.readAll(store))
        .filteredOn(e -> e.event().eventName().equals(AuditAction.REWRAP_DATA_KEY))
        .filteredOn(e -> e.event().outcome() == Outcome.SUCCESS)
        .hasSize((int) keys);

    KeyReport retired = await(vault.keyAdministration().retire(1, TestContexts.admin()));
    assertThat(retired.versions()).noneMatch(v -> v.version() == 1 && v.held());
    restart();
    assertThat(keyManager.versions()).containsExactly(2);
    tokens.forEach((t, card) -> assertThat(detokenize(t)).isEqualTo(card));
    Token fresh = tokenize(CARDS.get(0), false);
    assertThat(detokenize(fresh)).isEqualTo(CARDS.get(0));
  }

  @Test
  void theCurrentVersionCannotBeRetired() {
    tokenize(CARDS.get(0), false);

    VaultException current =
        vaultFailure(() -> await(vault.keyAdministration().retire(1, TestContexts.admin())));

    assertThat(current.code()).isEqualTo("kek_version_current");
    assertThat(keyManager.versions()).containsExactly(1);
    assertThat(AuditChains.readAll(store))
        .filteredOn(e -> e.event().eventName().equals(AuditAction.RETIRE_KEY))
        .singleElement()
        .satisfies(e -> assertThat(e.event().outcome()).isEqualTo(Outcome.DENIED));
  }

  @Test
  void aRotationDuringAnOutageFailsAsUnavailableAndIsAudited() {
    keyManager.down(true);

    VaultException down =
        vaultFailure(() -> await(vault.keyAdministration().rotate(TestContexts.admin())));

    assertThat(down.kind()).isEqualTo(VaultException.Kind.UNAVAILABLE);
    keyManager.down(false);
    assertThat(keyManager.currentVersion()).isEqualTo(1);
    assertThat(AuditChains.readAll(store))
        .filteredOn(e -> e.event().eventName().equals(AuditAction.ROTATE_KEY))
        .singleElement()
        .satisfies(e -> assertThat(e.event().outcome()).isEqualTo(Outcome.ERROR));
  }
}
