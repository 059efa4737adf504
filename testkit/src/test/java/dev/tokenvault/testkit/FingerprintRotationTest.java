package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.FingerprintAdministration.NamespaceReport;
import dev.tokenvault.core.vault.FingerprintAdministration.Progress;
import dev.tokenvault.core.vault.FingerprintAdministration.Rotation;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.TokenizeResult;
import dev.tokenvault.core.vault.VaultException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fingerprint-key rotation, the re-fingerprint job and retirement through {@link DefaultVault},
 * with the real local key manager and the in-memory store, which outlives each "restart" (a new
 * vault and key manager on the same key file and store). Every tokenize makes a new data key
 * ({@code maxEncryptionsPerKey = 1}), so each move unwraps a data key of its own.
 */
class FingerprintRotationTest {
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

  private void restart() {
    if (vault != null) {
      vault.close();
    }
    keyManager = new FlakyKeyManager(LocalKeyManager.open(dataDir, null, clock));
    vault = newVault(keyManager, true);
  }

  private DefaultVault newVault(FlakyKeyManager km, boolean jobsOnStart) {
    return DefaultVault.builder()
        .keyManager(km)
        .tokenStore(store)
        .paymentStore(store)
        .paymentProcessor(new SimulatedAcquirer())
        .clock(clock)
        .rewrapOnStart(jobsOnStart)
        .keyRingSettings(new KeyRingSettings(1, Duration.ofDays(7), 100, Duration.ofHours(1)))
        .build();
  }

  private static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static TokenizeResult tokenize(DefaultVault v, String pan, boolean deterministic) {
    return await(
        v.tokenize(
            new TokenizeCommand(NS, Pan.parse(pan), deterministic, null, Map.of()),
            TestContexts.merchant()));
  }

  private Token tokenize(String pan, boolean deterministic) {
    return tokenize(vault, pan, deterministic).token().token();
  }

  private String fingerprint(Token t) {
    return await(store.findToken(t)).orElseThrow().fingerprint();
  }

  /** Card -> its deterministic token, plus one random token per card. */
  private Map<String, Token> tokenizeAll() {
    Map<String, Token> deterministic = new LinkedHashMap<>();
    for (String card : CARDS) {
      tokenize(card, false);
      deterministic.put(card, tokenize(card, true));
    }
    return deterministic;
  }

  private Set<Integer> fingerprintVersions() {
    return store.tokenRecords().stream()
        .map(r -> FingerprintFormat.version(r.fingerprint()))
        .collect(Collectors.toSet());
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

  private List<StoredAuditEvent> events(String name) {
    return AuditChains.readAll(store).stream()
        .filter(e -> e.event().eventName().equals(name))
        .toList();
  }

  @Test
  void rotationMovesEveryTokenToTheNewVersionAndDeterministicTokensKeepBeingFound() {
    Map<String, Token> tokens = tokenizeAll();
    String oldFingerprint = fingerprint(tokens.get(CARDS.get(0)));
    assertThat(oldFingerprint).startsWith("fp_").hasSize(46);

    Rotation rotation = await(vault.fingerprintKeys().rotate(NS, TestContexts.admin()));
    Progress done = await(vault.fingerprintKeys().completion(NS));

    assertThat(rotation.previousVersion()).isEqualTo(1);
    assertThat(rotation.currentVersion()).isEqualTo(2);
    assertThat(done.state()).isEqualTo(Progress.State.DONE);
    assertThat(done.moved()).isEqualTo(2L * CARDS.size());
    assertThat(fingerprintVersions()).containsExactly(2);
    assertThat(await(store.findDataKey("fk_v2_default"))).isPresent();
    // Random and deterministic tokens of one card carry one fingerprint again: "same card" holds.
    for (String card : CARDS) {
      assertThat(
              store.tokenRecords().stream()
                  .filter(r -> r.last4().equals(card.substring(card.length() - 4)))
                  .map(TokenRecord::fingerprint)
                  .distinct())
          .singleElement()
          .satisfies(fp -> assertThat(fp).startsWith("fp2_"));
    }
    tokens.forEach((card, t) -> assertThat(tokenize(card, true)).isEqualTo(t));
    TokenizeResult fresh = tokenize(vault, "6011111111111117", true);
    assertThat(fresh.token().fingerprint()).startsWith("fp2_");

    assertThat(events(AuditAction.ROTATE_FINGERPRINT_KEY))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.event().outcome()).isEqualTo(Outcome.SUCCESS);
              assertThat(e.event().namespace()).isEqualTo(NS.name());
              assertThat(e.event().keyId()).isEqualTo("fk_v2_default");
              assertThat(e.event().keyVersion()).isEqualTo(2);
              assertThat(e.event().encryptionContext())
                  .containsEntry("tokenvault:previous-fingerprint-version", "1");
              assertThat(e.event().actor().principal())
                  .isEqualTo(TestContexts.admin().principal());
            });
    assertThat(events(AuditAction.REFINGERPRINT_TOKEN))
        .hasSize(2 * CARDS.size())
        .allSatisfy(
            e -> {
              assertThat(e.event().outcome()).isEqualTo(Outcome.SUCCESS);
              assertThat(e.event().token()).isNotNull();
              assertThat(e.event().keyVersion()).isEqualTo(2);
              assertThat(e.event().encryptionContext())
                  .containsEntry("tokenvault:source-fingerprint-version", "1");
            });
    // No event carries a fingerprint, let alone a value.
    assertThat(new String(store.dump(), java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain(CARDS.get(0));
    AuditChains.assertIntactFromGenesis(AuditChains.readAll(store));
  }

  @Test
  void theJobSurvivesARestartMidwayAndTokensAreFoundDuringAndAfterIt() {
    Map<String, Token> tokens = tokenizeAll();
    restart();
    // Loads fingerprint key v1 (one unwrap) so that the count below is the job's own.
    assertThat(tokenize(CARDS.get(0), true)).isEqualTo(tokens.get(CARDS.get(0)));
    keyManager.downAfterDecrypts(2);

    await(vault.fingerprintKeys().rotate(NS, TestContexts.admin()));
    Progress cut = await(vault.fingerprintKeys().completion(NS));

    assertThat(cut.state()).isEqualTo(Progress.State.FAILED);
    assertThat(cut.errorCode()).isEqualTo("key_manager_unavailable");
    assertThat(cut.moved()).isEqualTo(2);
    assertThat(fingerprintVersions()).containsExactlyInAnyOrder(1, 2);
    NamespaceReport midway = await(vault.fingerprintKeys().report(NS));
    assertThat(midway.versions()).containsExactly(1, 2);
    assertThat(midway.currentVersion()).isEqualTo(2);
    assertThat(midway.tokensOnOlderVersions()).isEqualTo(2L * CARDS.size() - 2);
    VaultException inUse =
        vaultFailure(() -> await(vault.fingerprintKeys().retire(NS, 1, TestContexts.admin())));
    assertThat(inUse.code()).isEqualTo("fingerprint_version_in_use");
    VaultException again =
        vaultFailure(() -> await(vault.fingerprintKeys().rotate(NS, TestContexts.admin())));
    assertThat(again.code()).isEqualTo("fingerprint_refingerprint_incomplete");

    // During the transition (some tokens on v1, some on v2), another process finds the same
    // tokens: it runs no job (rewrapOnStart false) and has a key manager that works.
    DefaultVault during =
        newVault(new FlakyKeyManager(LocalKeyManager.open(dataDir, null, clock)), false);
    try {
      tokens.forEach(
          (card, t) -> assertThat(tokenize(during, card, true).token().token()).isEqualTo(t));
    } finally {
      during.close();
    }
    assertThat(fingerprintVersions()).containsExactlyInAnyOrder(1, 2);

    restart(); // the start resumes the job

    Progress resumed = await(vault.fingerprintKeys().completion(NS));
    assertThat(resumed.state()).isEqualTo(Progress.State.DONE);
    assertThat(fingerprintVersions()).containsExactly(2);
    assertThat(events(AuditAction.REFINGERPRINT_TOKEN))
        .filteredOn(e -> e.event().outcome() == Outcome.SUCCESS)
        .hasSize(2 * CARDS.size());
    tokens.forEach((card, t) -> assertThat(tokenize(card, true)).isEqualTo(t));

    NamespaceReport retired = await(vault.fingerprintKeys().retire(NS, 1, TestContexts.admin()));
    assertThat(retired.versions()).containsExactly(2);
    assertThat(retired.tokensOnOlderVersions()).isZero();
    assertThat(await(store.findDataKey("fk_v1_default"))).isEmpty();
    assertThat(events(AuditAction.RETIRE_FINGERPRINT_KEY))
        .extracting(e -> e.event().outcome())
        .containsExactly(Outcome.DENIED, Outcome.SUCCESS);
    restart();
    tokens.forEach((card, t) -> assertThat(tokenize(card, true)).isEqualTo(t));
    assertThat(store.dataKeys())
        .filteredOn(k -> k.purpose() == KeyPurpose.FINGERPRINT)
        .extracting(k -> k.keyId())
        .containsExactly("fk_v2_default");
  }

  /**
   * Two processes, one of which has not seen the rotation (its clock does not move, so it never
   * re-checks): callers race to tokenize the same values deterministically while the other one
   * rotates and re-fingerprints. Each value ends with exactly one token, the one made before.
   */
  @Test
  void concurrentDeterministicTokenizeDuringATransitionGivesOneTokenPerValue() throws Exception {
    Token original = tokenize(CARDS.get(0), true);
    DefaultVault stale =
        newVault(new FlakyKeyManager(LocalKeyManager.open(dataDir, null, clock)), false);
    try {
      tokenize(stale, CARDS.get(1), false); // the stale process now holds version 1 only

      List<String> results =
          Race.race(
              33,
              i -> {
                if (i == 0) {
                  await(vault.fingerprintKeys().rotate(NS, TestContexts.admin()));
                  return "rotated";
                }
                DefaultVault v = i % 2 == 0 ? vault : stale;
                String card = i % 4 < 2 ? CARDS.get(0) : CARDS.get(2);
                return card + "=" + tokenize(v, card, true).token().token().value();
              });
      assertThat(await(vault.fingerprintKeys().completion(NS)).state())
          .isEqualTo(Progress.State.DONE);

      Map<String, Set<String>> byCard =
          results.stream()
              .filter(r -> r.contains("="))
              .collect(
                  Collectors.groupingBy(
                      r -> r.substring(0, r.indexOf('=')),
                      Collectors.mapping(r -> r.substring(r.indexOf('=') + 1), Collectors.toSet())));
      assertThat(byCard.get(CARDS.get(0))).containsExactly(original.value());
      assertThat(byCard.get(CARDS.get(2))).hasSize(1);
      assertThat(store.tokenRecords()).filteredOn(TokenRecord::deterministic).hasSize(2);
      // The stale process learns about version 2 when the store refuses its insert.
      Token fresh = tokenize(stale, "6011111111111117", true).token().token();
      assertThat(fingerprint(fresh)).startsWith("fp2_");
      assertThat(tokenize(vault, "6011111111111117", true).token().token())
          .isEqualTo(fresh);
    } finally {
      stale.close();
    }
  }

  @Test
  void aNamespaceWithoutFingerprintKeyOrTheReservedOneCannotBeRotatedAndCurrentCannotRetire() {
    Namespace unused = new Namespace("never-used");
    assertThat(
            vaultFailure(
                    () -> await(vault.fingerprintKeys().rotate(unused, TestContexts.admin())))
                .code())
        .isEqualTo("fingerprint_key_not_found");
    assertThat(
            vaultFailure(
                    () ->
                        await(vault.fingerprintKeys().rotate(Namespace.SYSTEM, TestContexts.admin())))
                .code())
        .isEqualTo("reserved_namespace");
    tokenize(CARDS.get(0), true);
    assertThat(
            vaultFailure(
                    () -> await(vault.fingerprintKeys().retire(NS, 1, TestContexts.admin())))
                .code())
        .isEqualTo("fingerprint_version_current");
    assertThat(
            vaultFailure(
                    () -> await(vault.fingerprintKeys().retire(NS, 7, TestContexts.admin())))
                .code())
        .isEqualTo("fingerprint_version_not_found");
    assertThat(events(AuditAction.ROTATE_FINGERPRINT_KEY))
        .extracting(e -> e.event().outcome())
        .containsExactly(Outcome.DENIED, Outcome.DENIED);
  }
}
