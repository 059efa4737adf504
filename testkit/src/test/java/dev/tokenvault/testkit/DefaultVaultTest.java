package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.PaymentProcessor;
import dev.tokenvault.core.payment.PaymentStatus;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.AccountNumber;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.Detokenized;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.PayCommand;
import dev.tokenvault.core.vault.PaymentResult;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.TokenizeResult;
import dev.tokenvault.core.vault.VaultException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The use cases of {@link DefaultVault} with the real local key manager (key file in a temp dir)
 * and the in-memory store fake. The store-backed variants (SQLite, ...) live with each adapter.
 */
class DefaultVaultTest {
  private static final String VISA = "4111111111111111";
  private static final String MASTERCARD = "5555555555554444";
  private static final String AMEX = "378282246310005";
  private static final Namespace NS = Namespace.DEFAULT;

  @TempDir Path dataDir;
  private MutableClock clock;
  private InMemoryStore store;
  private FlakyKeyManager keyManager;
  private DefaultVault vault;

  @BeforeEach
  void setUp() {
    clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    store = new InMemoryStore();
    keyManager = new FlakyKeyManager(LocalKeyManager.open(dataDir, null, clock));
    vault = vault(KeyRingSettings.DEFAULTS);
  }

  private DefaultVault vault(KeyRingSettings settings) {
    return vault(settings, new SimulatedAcquirer());
  }

  private DefaultVault vault(KeyRingSettings settings, PaymentProcessor processor) {
    return DefaultVault.builder()
        .keyManager(keyManager)
        .tokenStore(store)
        .paymentStore(store)
        .paymentProcessor(processor)
        .clock(clock)
        .keyRingSettings(settings)
        .build();
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static VaultException failure(CompletionStage<?> stage) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> await(stage));
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(VaultException.class);
    return (VaultException) t.getCause();
  }

  private TokenizeResult tokenize(String pan) {
    return tokenize(pan, false, NS);
  }

  private TokenizeResult tokenize(String pan, boolean deterministic, Namespace ns) {
    return await(
        vault.tokenize(
            new TokenizeCommand(ns, Pan.parse(pan), deterministic, null, Map.of()),
            TestContexts.merchant()));
  }

  @Test
  void tokenizeThenDetokenizeReturnsTheValueAndSafeMetadata() {
    TokenizeResult r = tokenize(VISA);

    assertThat(r.created()).isTrue();
    assertThat(r.token().token().value()).startsWith("tok_").doesNotContain(VISA);
    assertThat(r.token().last4()).isEqualTo("1111");
    assertThat(r.token().bin()).isEqualTo("411111");
    assertThat(r.token().scheme()).isEqualTo("visa");
    assertThat(r.token().fingerprint()).startsWith("fp_");

    Detokenized d = await(vault.detokenize(NS, r.token().token(), TestContexts.merchant()));
    assertThat(d.value()).isEqualTo(Pan.parse(VISA));
    assertThat(d.token().token()).isEqualTo(r.token().token());
  }

  @Test
  void accountNumbersTokenizeToo() {
    TokenizeResult r =
        await(
            vault.tokenize(
                new TokenizeCommand(
                    NS, AccountNumber.parse("1234567890123456"), false, null, Map.of()),
                TestContexts.merchant()));
    assertThat(r.token().last4()).isEqualTo("3456");
    assertThat(r.token().bin()).isNull();
    Detokenized d = await(vault.detokenize(NS, r.token().token(), TestContexts.merchant()));
    assertThat(d.value()).isEqualTo(AccountNumber.parse("1234567890123456"));
  }

  @Test
  void storedRecordHoldsNoValueInClear() {
    tokenize(VISA);
    TokenRecord stored = store.tokenRecords().get(0);
    String everything =
        new String(stored.ciphertext(), StandardCharsets.ISO_8859_1) + stored + stored.metadata();
    assertThat(everything).doesNotContain(VISA).doesNotContain("41111111");
  }

  @Test
  void randomTokensDifferForTheSameValue() {
    Token a = tokenize(VISA).token().token();
    Token b = tokenize(VISA).token().token();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void deterministicTokensRepeatWithinANamespace() {
    TokenizeResult first = tokenize(VISA, true, NS);
    TokenizeResult again = tokenize(VISA, true, NS);
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.token().token()).isEqualTo(first.token().token());
    assertThat(tokenize(MASTERCARD, true, NS).token().token()).isNotEqualTo(first.token().token());
  }

  @Test
  void namespacesShareNoTokenAndNoFingerprint() {
    Namespace other = new Namespace("merchant-b");
    TokenizeResult a = tokenize(VISA, true, NS);
    TokenizeResult b = tokenize(VISA, true, other);
    assertThat(b.token().token()).isNotEqualTo(a.token().token());
    assertThat(b.token().fingerprint()).isNotEqualTo(a.token().fingerprint());
  }

  @Test
  void fingerprintIsStableForTheSameValueInANamespace() {
    assertThat(tokenize(VISA).token().fingerprint())
        .isEqualTo(tokenize(VISA).token().fingerprint())
        .isNotEqualTo(tokenize(AMEX).token().fingerprint());
  }

  @Test
  void tokenOfAnotherNamespaceIsNotFound() {
    Token t = tokenize(VISA).token().token();
    VaultException e =
        failure(vault.detokenize(new Namespace("intruder"), t, TestContexts.client("intruder")));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.NOT_FOUND);
    assertThat(e.code()).isEqualTo("token_not_found");
  }

  @Test
  void unknownTokenIsNotFoundAndTheRefusalIsAudited() {
    Token unknown = Token.random(new java.security.SecureRandom());
    VaultException e = failure(vault.detokenize(NS, unknown, TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.NOT_FOUND);
    StoredAuditEvent last = store.auditEvents().get(store.auditEvents().size() - 1);
    assertThat(last.event().eventName()).isEqualTo(AuditAction.DETOKENIZE);
    assertThat(last.event().outcome()).isEqualTo(Outcome.DENIED);
    assertThat(last.event().errorCode()).isEqualTo("token_not_found");
  }

  @Test
  void expiredTokenIsGoneForReadsAndDetokenize() {
    TokenizeResult r =
        await(
            vault.tokenize(
                new TokenizeCommand(NS, Pan.parse(VISA), false, Duration.ofMinutes(5), Map.of()),
                TestContexts.merchant()));
    assertThat(r.token().expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
    clock.advance(Duration.ofMinutes(5));
    assertThat(failure(vault.detokenize(NS, r.token().token(), TestContexts.merchant())).kind())
        .isEqualTo(VaultException.Kind.GONE);
    assertThat(failure(vault.metadata(NS, r.token().token(), TestContexts.merchant())).code())
        .isEqualTo("token_expired");
  }

  @Test
  void expiredDeterministicTokenIsReplacedByANewOne() {
    TokenizeCommand cmd =
        new TokenizeCommand(NS, Pan.parse(VISA), true, Duration.ofMinutes(1), Map.of());
    Token first = await(vault.tokenize(cmd, TestContexts.merchant())).token().token();
    clock.advance(Duration.ofMinutes(2));
    TokenizeResult second = await(vault.tokenize(cmd, TestContexts.merchant()));
    assertThat(second.created()).isTrue();
    assertThat(second.token().token()).isNotEqualTo(first);
  }

  @Test
  void deleteCryptoErasesTheValue() {
    Token t = tokenize(VISA).token().token();
    await(vault.delete(NS, t, TestContexts.merchant()));
    assertThat(store.tokenRecords()).isEmpty();
    assertThat(failure(vault.detokenize(NS, t, TestContexts.merchant())).kind())
        .isEqualTo(VaultException.Kind.NOT_FOUND);
    assertThat(failure(vault.delete(NS, t, TestContexts.merchant())).kind())
        .isEqualTo(VaultException.Kind.NOT_FOUND);
  }

  @Test
  void metadataNeverHoldsTheValue() {
    TokenizeResult r =
        await(
            vault.tokenize(
                new TokenizeCommand(
                    NS, Pan.parse(AMEX), false, null, Map.of("customer", "c-42", "purpose", "x")),
                TestContexts.merchant()));
    var m = await(vault.metadata(NS, r.token().token(), TestContexts.merchant()));
    assertThat(m.metadata()).containsEntry("customer", "c-42");
    assertThat(m.scheme()).isEqualTo("amex");
    assertThat(m.last4()).isEqualTo("0005");
    assertThat(m.toString()).doesNotContain(AMEX);
  }

  @Test
  void ciphertextMovedToAnotherTokenFailsAsIntegrityError() {
    TokenRecord a = store.tokenRecords().isEmpty() ? null : null;
    Token ta = tokenize(VISA).token().token();
    Token tb = tokenize(MASTERCARD).token().token();
    TokenRecord ra = await(store.findToken(ta)).orElseThrow();
    TokenRecord rb = await(store.findToken(tb)).orElseThrow();
    store.overwrite(
        new TokenRecord(rb.token(), rb.namespace(), rb.type(), ra.ciphertext(), ra.dataKeyId(),
            rb.fingerprint(), rb.deterministic(), rb.last4(), rb.bin(), rb.scheme(),
            rb.createdAt(), rb.expiresAt(), rb.metadata()));
    assertThat(a).isNull();

    VaultException e = failure(vault.detokenize(NS, tb, TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.INTEGRITY);
    assertThat(e.code()).isEqualTo("record_integrity_failure");
    AuditEvent last = store.auditEvents().get(store.auditEvents().size() - 1).event();
    assertThat(last.outcome()).isEqualTo(Outcome.ERROR);
  }

  @Test
  void everyBitFlipInAStoredCiphertextIsRejected() {
    Token t = tokenize(VISA).token().token();
    TokenRecord r = await(store.findToken(t)).orElseThrow();
    byte[] original = r.ciphertext();
    List<Integer> accepted = new ArrayList<>();
    for (int bit = 0; bit < original.length * 8; bit++) {
      byte[] tampered = original.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      store.overwrite(withCiphertext(r, tampered));
      try {
        await(vault.detokenize(NS, t, TestContexts.merchant()));
        accepted.add(bit);
      } catch (CompletionException e) {
        assertThat(e.getCause()).isInstanceOf(VaultException.class);
        assertThat(((VaultException) e.getCause()).kind()).isEqualTo(VaultException.Kind.INTEGRITY);
      }
    }
    assertThat(accepted).as("bit flips that still decrypted").isEmpty();
  }

  private static TokenRecord withCiphertext(TokenRecord r, byte[] ciphertext) {
    return new TokenRecord(r.token(), r.namespace(), r.type(), ciphertext, r.dataKeyId(),
        r.fingerprint(), r.deterministic(), r.last4(), r.bin(), r.scheme(), r.createdAt(),
        r.expiresAt(), r.metadata());
  }

  @Test
  void typeSwappedInTheStoreFailsToDecrypt() {
    Token t = tokenize(VISA).token().token();
    TokenRecord r = await(store.findToken(t)).orElseThrow();
    store.overwrite(
        new TokenRecord(r.token(), r.namespace(), dev.tokenvault.core.value.ValueType.ACCOUNT,
            r.ciphertext(), r.dataKeyId(), r.fingerprint(), r.deterministic(), r.last4(), null,
            null, r.createdAt(), r.expiresAt(), r.metadata()));
    assertThat(failure(vault.detokenize(NS, t, TestContexts.merchant())).kind())
        .isEqualTo(VaultException.Kind.INTEGRITY);
  }

  @Test
  void everyWriteAndEveryDetokenizeIsAuditedInAnUnbrokenChain() {
    Token t = tokenize(VISA).token().token();
    await(vault.detokenize(NS, t, TestContexts.merchant()));
    await(vault.delete(NS, t, TestContexts.merchant()));

    List<StoredAuditEvent> events = store.auditEvents();
    assertThat(events)
        .extracting(e -> e.event().eventName())
        .contains(
            AuditAction.GENERATE_DATA_KEY,
            AuditAction.TOKENIZE,
            AuditAction.DETOKENIZE,
            AuditAction.DELETE_TOKEN);
    String previous = AuditEvent.GENESIS;
    for (StoredAuditEvent e : events) {
      assertThat(e.event().previousHash()).isEqualTo(previous);
      assertThat(e.event().verifyHash()).isTrue();
      previous = e.event().hash();
      assertThat(e.event().actor().clientId()).isIn("merchant-1");
    }
    assertThat(events.toString()).doesNotContain(VISA);
  }

  @Test
  void detokenizeFailsClosedWhenTheAuditTrailCannotBeWritten() {
    Token t = tokenize(VISA).token().token();
    store.failAudit(true);
    Throwable thrown =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> await(vault.detokenize(NS, t, TestContexts.merchant())));
    assertThat(thrown).isInstanceOf(CompletionException.class);
    assertThat(thrown.getCause()).isInstanceOf(VaultException.class);
    VaultException e = (VaultException) thrown.getCause();
    assertThat(e.kind()).isEqualTo(VaultException.Kind.UNAVAILABLE);
    assertThat(e.code()).isEqualTo("audit_unavailable");
    assertThat(e.getCause()).isInstanceOf(dev.tokenvault.core.store.StoreException.class);
  }

  @Test
  void keyManagerOutageIsUnavailableNotInvalidAndTheVaultRecovers() {
    keyManager.down(true);
    VaultException e =
        failure(
            vault.tokenize(
                new TokenizeCommand(NS, Pan.parse(VISA), false, null, Map.of()),
                TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.UNAVAILABLE);
    assertThat(e.code()).isEqualTo("key_manager_unavailable");
    assertThat(store.tokenRecords()).isEmpty();

    keyManager.down(false);
    assertThat(tokenize(VISA).created()).isTrue();
  }

  @Test
  void detokenizeOfACachedKeySurvivesAKeyManagerOutage() {
    Token t = tokenize(VISA).token().token();
    keyManager.down(true);
    assertThat(await(vault.detokenize(NS, t, TestContexts.merchant())).value())
        .isEqualTo(Pan.parse(VISA));
  }

  @Test
  void aNewProcessUnwrapsStoredKeysThroughTheKeyManagerWithAudit() {
    Token t = tokenize(VISA).token().token();
    vault.close();
    vault = vault(KeyRingSettings.DEFAULTS);
    int before = keyManager.decryptCalls();
    assertThat(await(vault.detokenize(NS, t, TestContexts.merchant())).value())
        .isEqualTo(Pan.parse(VISA));
    assertThat(keyManager.decryptCalls()).isEqualTo(before + 1);
    assertThat(store.auditEvents())
        .extracting(e -> e.event().eventName())
        .contains(AuditAction.DECRYPT);
  }

  @Test
  void aHundredThousandTokenizationsCostAHandfulOfKeyManagerCalls() {
    for (int i = 0; i < 100_000; i++) {
      tokenize(i % 2 == 0 ? VISA : MASTERCARD);
    }
    assertThat(keyManager.generateCalls() + keyManager.decryptCalls()).isLessThanOrEqualTo(2);
    assertThat(vault.keyManagerCalls()).isLessThanOrEqualTo(2);
  }

  @Test
  void dataKeysRotateAfterTheirEncryptionBudget() {
    vault.close();
    vault = vault(new KeyRingSettings(10, Duration.ofDays(1), 100, Duration.ofHours(1)));
    Set<String> keyIds = new HashSet<>();
    List<Token> tokens = new ArrayList<>();
    for (int i = 0; i < 35; i++) {
      Token t = tokenize(VISA).token().token();
      tokens.add(t);
      keyIds.add(await(store.findToken(t)).orElseThrow().dataKeyId());
    }
    assertThat(keyIds).hasSize(4);
    for (Token t : tokens) {
      assertThat(await(vault.detokenize(NS, t, TestContexts.merchant())).value())
          .isEqualTo(Pan.parse(VISA));
    }
  }

  @Test
  void dataKeysRotateAfterTheirMaximumAge() {
    Token first = tokenize(VISA).token().token();
    clock.advance(Duration.ofDays(8));
    Token second = tokenize(VISA).token().token();
    assertThat(await(store.findToken(first)).orElseThrow().dataKeyId())
        .isNotEqualTo(await(store.findToken(second)).orElseThrow().dataKeyId());
  }

  @Test
  void paymentsAreApprovedAndNeverCarryTheValue() {
    Token t = tokenize(VISA).token().token();
    PaymentResult p =
        await(vault.pay(new PayCommand(NS, t, 1999, "USD", "key-1"), TestContexts.merchant()));
    assertThat(p.created()).isTrue();
    assertThat(p.payment().status()).isEqualTo(PaymentStatus.APPROVED);
    assertThat(p.payment().maskedAccount()).isEqualTo("****1111");
    assertThat(p.payment().toString()).doesNotContain(VISA);
    assertThat(await(vault.payment(NS, p.payment().id(), TestContexts.merchant())))
        .isEqualTo(p.payment());
  }

  @Test
  void paymentRetriedWithTheSameKeyReturnsTheSamePayment() {
    Token t = tokenize(VISA).token().token();
    PayCommand cmd = new PayCommand(NS, t, 500, "EUR", "retry-me");
    PaymentResult first = await(vault.pay(cmd, TestContexts.merchant()));
    PaymentResult second = await(vault.pay(cmd, TestContexts.merchant()));
    assertThat(second.created()).isFalse();
    assertThat(second.payment()).isEqualTo(first.payment());
  }

  @Test
  void aRetryIsAnsweredFromTheStoreWithoutAskingTheAcquirerAgain() {
    var asked = new java.util.concurrent.atomic.AtomicInteger();
    SimulatedAcquirer acquirer = new SimulatedAcquirer();
    vault.close();
    vault =
        vault(
            KeyRingSettings.DEFAULTS,
            (value, amount, currency) -> {
              asked.incrementAndGet();
              return acquirer.authorize(value, amount, currency);
            });
    Token t = tokenize(VISA).token().token();
    PayCommand cmd = new PayCommand(NS, t, 900, "EUR", "once-only");
    PaymentResult first = await(vault.pay(cmd, TestContexts.merchant()));
    int events = store.auditEvents().size();

    PaymentResult retry = await(vault.pay(cmd, TestContexts.merchant()));
    VaultException other =
        failure(vault.pay(new PayCommand(NS, t, 901, "EUR", "once-only"), TestContexts.merchant()));

    assertThat(asked).as("authorizations").hasValue(1);
    assertThat(retry.created()).isFalse();
    assertThat(retry.payment()).isEqualTo(first.payment());
    assertThat(other.code()).isEqualTo("idempotency_key_reused");
    assertThat(store.auditEvents()).as("a retry writes nothing").hasSize(events);
  }

  @Test
  void aRetryWhileTheFirstAttemptIsWithTheAcquirerWaitsForItInsteadOfAskingAgain()
      throws Exception {
    var asked = new java.util.concurrent.atomic.AtomicInteger();
    var entered = new java.util.concurrent.CountDownLatch(1);
    var answer = new java.util.concurrent.CountDownLatch(1);
    SimulatedAcquirer acquirer = new SimulatedAcquirer();
    vault.close();
    vault =
        vault(
            KeyRingSettings.DEFAULTS,
            (value, amount, currency) -> {
              asked.incrementAndGet();
              entered.countDown();
              try {
                // bounded, so that a vault that asked again from this thread fails, not hangs
                answer.await(5, java.util.concurrent.TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return acquirer.authorize(value, amount, currency);
            });
    Token t = tokenize(VISA).token().token();
    PayCommand cmd = new PayCommand(NS, t, 1200, "EUR", "slow-acquirer");
    var first =
        java.util.concurrent.CompletableFuture.supplyAsync(
                () -> vault.pay(cmd, TestContexts.merchant()))
            .thenCompose(stage -> stage);
    assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    var retries = new ArrayList<java.util.concurrent.CompletableFuture<PaymentResult>>();
    for (int i = 0; i < 3; i++) {
      retries.add(vault.pay(cmd, TestContexts.merchant()).toCompletableFuture());
    }
    var otherBody =
        vault.pay(new PayCommand(NS, t, 1201, "EUR", "slow-acquirer"), TestContexts.merchant());
    assertThat(retries).noneMatch(java.util.concurrent.CompletableFuture::isDone);
    answer.countDown();

    PaymentResult made = first.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(made.created()).isTrue();
    for (var retry : retries) {
      PaymentResult r = retry.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.created()).isFalse();
      assertThat(r.payment()).isEqualTo(made.payment());
    }
    assertThat(failure(otherBody).code()).isEqualTo("idempotency_key_reused");
    assertThat(asked).as("authorizations").hasValue(1);
  }

  @Test
  void aRetryAfterTheTokenWasDeletedStillGetsItsPayment() {
    Token t = tokenize(VISA).token().token();
    PayCommand cmd = new PayCommand(NS, t, 950, "EUR", "before-delete");
    PaymentResult first = await(vault.pay(cmd, TestContexts.merchant()));
    await(vault.delete(NS, t, TestContexts.merchant()));

    PaymentResult retry = await(vault.pay(cmd, TestContexts.merchant()));

    assertThat(retry.created()).isFalse();
    assertThat(retry.payment()).isEqualTo(first.payment());
  }

  @Test
  void idempotencyKeyReusedForAnotherRequestIsAConflict() {
    Token t = tokenize(VISA).token().token();
    await(vault.pay(new PayCommand(NS, t, 500, "EUR", "k"), TestContexts.merchant()));
    VaultException e =
        failure(vault.pay(new PayCommand(NS, t, 501, "EUR", "k"), TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.CONFLICT);
    assertThat(e.code()).isEqualTo("idempotency_key_reused");
  }

  @Test
  void idempotencyKeysArePerClient() {
    Token t = tokenize(VISA).token().token();
    PaymentResult a =
        await(vault.pay(new PayCommand(NS, t, 500, "EUR", "k"), TestContexts.client("a")));
    PaymentResult b =
        await(vault.pay(new PayCommand(NS, t, 500, "EUR", "k"), TestContexts.client("b")));
    assertThat(a.payment().id()).isNotEqualTo(b.payment().id());
  }

  /** A v4-shaped UUID whose first three groups read 4111 1111 1111 1111: a Luhn-valid run. */
  private static final String UUID_WITH_A_CARD_RUN = "41111111-1111-1111-a111-0123456789ab";

  @Test
  void paymentsStoreAKeyedReferenceOfTheIdempotencyKeyNeverTheKey() throws Exception {
    Token t = tokenize(VISA).token().token();
    for (String key : List.of("order-" + VISA, UUID_WITH_A_CARD_RUN)) {
      PaymentResult first =
          await(vault.pay(new PayCommand(NS, t, 700, "EUR", key), TestContexts.client("shop")));
      assertThat(first.created()).isTrue();
      String stored = await(store.findPayment(first.payment().id())).orElseThrow().idempotencyKey();
      assertThat(stored).doesNotContain(key).doesNotContain(VISA).doesNotContain("1111-1111");
      assertThat(stored).isEqualTo(expectedReference("shop", key));
      PaymentResult retry =
          await(vault.pay(new PayCommand(NS, t, 700, "EUR", key), TestContexts.client("shop")));
      assertThat(retry.created()).isFalse();
      assertThat(retry.payment().id()).isEqualTo(first.payment().id());
    }
    assertThat(await(store.listDataKeys(KeyPurpose.IDEMPOTENCY, null)))
        .as("one idempotency key for the vault, whatever the clients and keys")
        .singleElement()
        .satisfies(k -> {
          assertThat(k.keyId()).isEqualTo("ik_v1");
          assertThat(k.namespace()).isEqualTo(Namespace.SYSTEM);
        });
  }

  /**
   * The reference computed apart from the vault: HMAC-SHA256 under the stored idempotency key
   * (unwrapped here through the key manager) of the length-prefixed client id and key. A change
   * of this format would orphan every stored reference, so retries would make new payments.
   */
  private String expectedReference(String clientId, String key) throws Exception {
    DataKeyRecord record = await(store.findDataKey("ik_v1")).orElseThrow();
    byte[] clear =
        keyManager.decryptDataKey(
            record.wrapped(),
            EncryptionContext.of(
                "tokenvault:namespace", "tokenvault-system",
                "tokenvault:key-id", "ik_v1",
                "tokenvault:purpose", "idempotency"));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(clear, "HmacSHA256"));
    byte[] c = clientId.getBytes(StandardCharsets.UTF_8);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] input =
        java.nio.ByteBuffer.allocate(8 + c.length + k.length)
            .putInt(c.length).put(c).putInt(k.length).put(k).array();
    byte[] reference = mac.doFinal(input);
    return "ik_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(reference);
  }

  @Test
  void aFirstPaymentWhileTheKeyManagerIsDownFailsAsUnavailableAndTheNextOneWorks() {
    Token t = tokenize(VISA).token().token();
    keyManager.down(true);
    VaultException e =
        failure(vault.pay(new PayCommand(NS, t, 300, "EUR", "km-down"), TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.UNAVAILABLE);
    assertThat(e.code()).isEqualTo("key_manager_unavailable");
    assertThat(await(store.listDataKeys(KeyPurpose.IDEMPOTENCY, null))).isEmpty();

    keyManager.down(false);
    PaymentResult p =
        await(vault.pay(new PayCommand(NS, t, 300, "EUR", "km-down"), TestContexts.merchant()));
    assertThat(p.created()).isTrue();
  }

  @Test
  void aRetryAfterARestartFindsItsPayment() {
    Token t = tokenize(VISA).token().token();
    PayCommand cmd = new PayCommand(NS, t, 800, "EUR", UUID_WITH_A_CARD_RUN);
    PaymentResult first = await(vault.pay(cmd, TestContexts.merchant()));
    int generated = keyManager.generateCalls();
    vault.close();
    vault = vault(KeyRingSettings.DEFAULTS);
    PaymentResult retry = await(vault.pay(cmd, TestContexts.merchant()));
    assertThat(retry.created()).isFalse();
    assertThat(retry.payment()).isEqualTo(first.payment());
    assertThat(keyManager.generateCalls()).as("no new idempotency key").isEqualTo(generated);
    assertThat(store.auditEvents())
        .as("the new process unwrapped the idempotency key, audited")
        .anySatisfy(e -> {
          assertThat(e.event().eventName()).isEqualTo(AuditAction.DECRYPT);
          assertThat(e.event().encryptionContext()).containsEntry("tokenvault:key-id", "ik_v1");
        });
  }

  @Test
  void declineTestCardIsDeclined() {
    Token t = tokenize("4000000000000002").token().token();
    PaymentResult p =
        await(vault.pay(new PayCommand(NS, t, 100, "USD", "d"), TestContexts.merchant()));
    assertThat(p.payment().status()).isEqualTo(PaymentStatus.DECLINED);
    assertThat(p.payment().declineCode()).isEqualTo("card_declined");
  }

  @Test
  void paymentOnAnUnknownTokenIsNotFound() {
    VaultException e =
        failure(
            vault.pay(
                new PayCommand(NS, Token.random(new java.security.SecureRandom()), 1, "USD", "x"),
                TestContexts.merchant()));
    assertThat(e.kind()).isEqualTo(VaultException.Kind.NOT_FOUND);
  }

  @Test
  void paymentOfAnotherNamespaceIsNotFound() {
    Token t = tokenize(VISA).token().token();
    PaymentResult p =
        await(vault.pay(new PayCommand(NS, t, 100, "USD", "n"), TestContexts.merchant()));
    assertThatThrownBy(
            () ->
                await(
                    vault.payment(new Namespace("other"), p.payment().id(), TestContexts.merchant())))
        .hasCauseInstanceOf(VaultException.class);
  }
}
