package dev.tokenvault.testkit;

import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditCheckpoint;
import dev.tokenvault.core.audit.AuditCheckpointer;
import dev.tokenvault.core.audit.AuditVerification;
import dev.tokenvault.core.audit.AuditVerifier;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.OfflineKeys;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.VaultKeyPair;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed audit checkpoints: signing, verifying, and what a verifier finds with them. */
class AuditCheckpointTest {
  private static final String KID = "audit-v1";
  @TempDir Path dataDir;
  private MutableClock clock;
  private InMemoryStore store;
  private LocalKeyManager keyManager;
  private DefaultVault vault;
  private AuditCheckpointer checkpointer;

  @BeforeEach
  void setUp() {
    clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    store = new InMemoryStore();
    keyManager = LocalKeyManager.open(dataDir, null, clock);
    vault = DefaultVault.builder().keyManager(keyManager).tokenStore(store).paymentStore(store)
        .paymentProcessor(new SimulatedAcquirer()).clock(clock).build();
    RequestContext system = RequestContext.system("checkpoint");
    checkpointer = new AuditCheckpointer(store,
        () -> vault.vaultKeyPair(KeyPurpose.SIGNING, KID, system)
            .thenApply(k -> new AuditCheckpointer.SigningKey(k.kid(), k.privateKey())),
        clock, system);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private void tokenize(String pan) {
    await(vault.tokenize(new TokenizeCommand(Namespace.DEFAULT, Pan.parse(pan), false, null,
        Map.of()), TestContexts.merchant()));
  }

  private AuditVerification verify(List<AuditCheckpoint> trusted) {
    return await(new AuditVerifier(store,
        kid -> OfflineKeys.signingPublicKey(store, keyManager, kid), trusted).verify());
  }

  @Test
  void signatureIsEs256OverTheDocumentedInputAndRoundTripsThroughItsCompactForm() throws Exception {
    VaultKeyPair k = await(vault.vaultKeyPair(KeyPurpose.SIGNING, KID, RequestContext.system("t")));
    AuditCheckpoint c = AuditCheckpoint.sign(7, "ab".repeat(32), 7,
        Instant.parse("2026-11-23T10:00:00.999Z"), KID, k.privateKey());
    assertThat(c.verify(k.publicKey())).isTrue();
    assertThat(new String(c.signingInput(), "UTF-8")).isEqualTo(
        "tokenvault-audit-checkpoint-v1\n7\n" + "ab".repeat(32) + "\n7\n1795428000\n" + KID);
    assertThat(AuditCheckpoint.parseCompact(c.compact())).contains(c);
    assertThat(AuditCheckpoint.fromEvent(c.toEvent(RequestContext.system("t")))).contains(c);
    // one changed field and the signature no longer verifies
    AuditCheckpoint moved = new AuditCheckpoint(8, c.headHash(), c.eventCount(), c.time(), KID,
        c.signature());
    assertThat(moved.verify(k.publicKey())).isFalse();
  }

  @Test
  void offlinePublicKeyIsTheVaultsSigningKey() {
    VaultKeyPair k = await(vault.vaultKeyPair(KeyPurpose.SIGNING, KID, RequestContext.system("t")));
    Optional<ECPublicKey> offline = await(OfflineKeys.signingPublicKey(store, keyManager, KID));
    assertThat(offline).isPresent();
    assertThat(offline.get().getEncoded()).isEqualTo(k.publicKey().getEncoded());
    assertThat(await(OfflineKeys.signingPublicKey(store, keyManager, "other"))).isEmpty();
  }

  @Test
  void checkpointSignsTheVerifiedHeadAndAnIdleLogGetsNoNewCheckpoint() {
    // the signing key's creation is itself audited: load it first, so the log is quiet after
    await(vault.vaultKeyPair(KeyPurpose.SIGNING, KID, RequestContext.system("t")));
    tokenize("4111111111111111");
    tokenize("5555555555554444");
    AuditCheckpoint first = await(checkpointer.checkpoint());
    assertThat(first).isNotNull();
    List<StoredAuditEvent> events = AuditChains.readAll(store);
    StoredAuditEvent cpEvent = events.get(events.size() - 1);
    assertThat(cpEvent.event().eventName()).isEqualTo(AuditAction.AUDIT_CHECKPOINT);
    assertThat(first.headSequence()).isLessThan(cpEvent.sequence());
    StoredAuditEvent head = events.stream().filter(e -> e.sequence() == first.headSequence())
        .findFirst().orElseThrow();
    assertThat(head.event().hash()).isEqualTo(first.headHash());
    assertThat(first.eventCount()).isEqualTo(events.indexOf(head) + 1);

    clock.advance(Duration.ofMinutes(5));
    assertThat(await(checkpointer.checkpoint())).as("nothing new but a checkpoint").isNull();
    tokenize("378282246310005");
    AuditCheckpoint second = await(checkpointer.checkpoint());
    assertThat(second.headSequence()).isGreaterThan(cpEvent.sequence());

    AuditVerification v = verify(List.of(second));
    assertThat(v.valid()).isTrue();
    assertThat(v.checkpointsChecked()).isEqualTo(3);
    assertThat(v.reason()).isNull();
    assertThat(v.lastCheckpoint()).isEqualTo(second);
  }

  @Test
  void aCheckpointSignedWithAnotherKeyIsFound() throws Exception {
    tokenize("4111111111111111");
    await(checkpointer.checkpoint());
    tokenize("5555555555554444");
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    List<StoredAuditEvent> events = AuditChains.readAll(store);
    StoredAuditEvent last = events.get(events.size() - 1);
    AuditCheckpoint forged = AuditCheckpoint.sign(last.sequence(), last.event().hash(),
        events.size(), clock.instant(), KID, (ECPrivateKey) g.generateKeyPair().getPrivate());
    await(store.append(forged.toEvent(RequestContext.system("forger"))));

    AuditVerification v = verify(List.of());
    assertThat(v.valid()).isFalse();
    assertThat(v.reason()).isEqualTo("checkpoint_signature_invalid");
    assertThat(v.brokenAtSequence()).isEqualTo(last.sequence() + 1);
  }

  @Test
  void aTrustedCheckpointBeyondTheEndOfTheLogMeansTruncation() {
    tokenize("4111111111111111");
    AuditCheckpoint c = await(checkpointer.checkpoint());
    // the same log, seen by a verifier that holds a checkpoint of a longer log
    VaultKeyPair k = await(vault.vaultKeyPair(KeyPurpose.SIGNING, KID, RequestContext.system("t")));
    AuditCheckpoint later = AuditCheckpoint.sign(c.headSequence() + 5, c.headHash(),
        c.eventCount() + 5, clock.instant(), KID, k.privateKey());
    AuditVerification v = verify(List.of(later));
    assertThat(v.valid()).isFalse();
    assertThat(v.reason()).isEqualTo("truncated");
    assertThat(v.brokenAtSequence()).isEqualTo(later.headSequence());
  }

  @Test
  void listenerHearsDetokenizationsCacheUseAndAuditFailures() {
    record Heard(List<String> calls) implements dev.tokenvault.core.vault.VaultListener {
      @Override public void detokenized(RequestContext ctx, Token token) {
        calls.add("detokenized:" + ctx.clientId());
      }
      @Override public void auditWriteFailed(String eventName) {
        calls.add("auditFailed:" + eventName);
      }
      @Override public void dataKeyCacheHit() {
        calls.add("hit");
      }
      @Override public void dataKeyCacheMiss() {
        calls.add("miss");
      }
    }
    Heard heard = new Heard(new java.util.concurrent.CopyOnWriteArrayList<>());
    DefaultVault v2 = DefaultVault.builder().keyManager(keyManager).tokenStore(store)
        .paymentStore(store).paymentProcessor(new SimulatedAcquirer()).clock(clock)
        .listener(heard).build();
    try {
      Token t = await(v2.tokenize(new TokenizeCommand(Namespace.DEFAULT,
          Pan.parse("4111111111111111"), false, null, Map.of()), TestContexts.merchant()))
          .token().token();
      await(v2.detokenize(Namespace.DEFAULT, t, TestContexts.merchant()));
      store.failAudit(true);
      Futures.failure(v2.detokenize(Namespace.DEFAULT, t, TestContexts.merchant()));
      assertThat(heard.calls()).containsExactly("hit", "detokenized:merchant-1", "hit",
          "auditFailed:Detokenize");
    } finally {
      v2.close();
    }
  }

  @SuppressWarnings("unused")
  private static CompletionStage<Optional<ECPublicKey>> none(String kid) {
    return CompletableFuture.completedFuture(Optional.empty());
  }
}
