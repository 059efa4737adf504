package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.VaultException;
import dev.tokenvault.core.vault.VaultKeyPair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vault's own key pairs: stored only as KEK-wrapped seeds, audited, stable across restarts. */
class VaultKeyPairTest {
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
    vault = newVault();
  }

  private DefaultVault newVault() {
    return DefaultVault.builder()
        .keyManager(keyManager)
        .tokenStore(store)
        .paymentStore(store)
        .paymentProcessor(new SimulatedAcquirer())
        .clock(clock)
        .build();
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  @Test
  void aKeyPairIsCreatedOnceAuditedAndTheSameAfterARestart() throws Exception {
    VaultKeyPair first = await(vault.vaultKeyPair(KeyPurpose.SIGNING, "sig-1", RequestContext.system("test")));
    assertThat(first.kid()).isEqualTo("sig-1");
    assertThat(first.publicKey().getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(first.toString()).doesNotContain(first.privateKey().getS().toString(16));

    // Cached: no second key-manager call in this process.
    int calls = keyManager.generateCalls() + keyManager.decryptCalls();
    await(vault.vaultKeyPair(KeyPurpose.SIGNING, "sig-1", RequestContext.system("test")));
    assertThat(keyManager.generateCalls() + keyManager.decryptCalls()).isEqualTo(calls);

    // Only the wrapped seed is stored, in the reserved namespace, and its creation was audited.
    assertThat(await(store.findDataKey("vk_sig_sig-1")))
        .hasValueSatisfying(
            k -> {
              assertThat(k.namespace()).isEqualTo(Namespace.SYSTEM);
              assertThat(k.purpose()).isEqualTo(KeyPurpose.SIGNING);
            });
    assertThat(names(store.auditEvents())).contains(AuditAction.GENERATE_DATA_KEY);

    // Another process (a restart) derives the same key pair from the stored seed: a signature
    // made before the restart verifies with the key after it.
    byte[] msg = "chain head".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(first.privateKey());
    signer.update(msg);
    byte[] sig = signer.sign();
    vault.close();
    vault = newVault();
    VaultKeyPair again =
        await(vault.vaultKeyPair(KeyPurpose.SIGNING, "sig-1", RequestContext.system("test")));
    assertThat(again.publicKey().getEncoded()).isEqualTo(first.publicKey().getEncoded());
    assertThat(again.createdAt()).isEqualTo(first.createdAt());
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(again.publicKey());
    verifier.update(msg);
    assertThat(verifier.verify(sig)).isTrue();
    AuditEvent last = store.auditEvents().get(store.auditEvents().size() - 1).event();
    assertThat(last.eventName()).isEqualTo(AuditAction.DECRYPT);
    assertThat(last.encryptionContext()).containsEntry("tokenvault:purpose", "signing");
  }

  @Test
  void kidsAndPurposesNeverShareAKey() {
    VaultKeyPair a = await(vault.vaultKeyPair(KeyPurpose.SIGNING, "k1", RequestContext.system("test")));
    VaultKeyPair b = await(vault.vaultKeyPair(KeyPurpose.SIGNING, "k2", RequestContext.system("test")));
    VaultKeyPair c =
        await(vault.vaultKeyPair(KeyPurpose.CAPTURE_ENCRYPTION, "k1", RequestContext.system("test")));
    assertThat(a.publicKey().getEncoded())
        .isNotEqualTo(b.publicKey().getEncoded())
        .isNotEqualTo(c.publicKey().getEncoded());
  }

  @Test
  void findNeverCreatesAKeyForAKidFromARequest() {
    assertThat(
            await(vault.findVaultKeyPair(
                KeyPurpose.CAPTURE_ENCRYPTION, "attacker-chosen", RequestContext.system("test"))))
        .isEmpty();
    assertThat(
            await(vault.findVaultKeyPair(
                KeyPurpose.CAPTURE_ENCRYPTION, "../../etc", RequestContext.system("test"))))
        .isEmpty();
    assertThat(keyManager.generateCalls()).isZero();

    VaultKeyPair enc =
        await(vault.vaultKeyPair(KeyPurpose.CAPTURE_ENCRYPTION, "enc-1", RequestContext.system("test")));
    assertThat(await(vault.findVaultKeyPair(KeyPurpose.CAPTURE_ENCRYPTION, "enc-1",
            RequestContext.system("test"))))
        .hasValueSatisfying(
            k -> assertThat(k.publicKey().getEncoded()).isEqualTo(enc.publicKey().getEncoded()));
    // The same kid under another purpose is another (absent) key.
    assertThat(await(vault.findVaultKeyPair(KeyPurpose.SIGNING, "enc-1", RequestContext.system("test"))))
        .isEmpty();
  }

  @Test
  void aKeyManagerOutageFailsTheCallAndIsNotRemembered() {
    keyManager.down(true);
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> await(vault.vaultKeyPair(KeyPurpose.SIGNING, "s", RequestContext.system("test"))));
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(VaultException.class);
    assertThat(((VaultException) t.getCause()).code()).isEqualTo("key_manager_unavailable");
    keyManager.down(false);
    assertThat(await(vault.vaultKeyPair(KeyPurpose.SIGNING, "s", RequestContext.system("test"))))
        .isNotNull();
  }

  @Test
  void tenantsCannotTokenizeIntoTheReservedNamespace() {
    assertThatThrownBy(
            () ->
                await(
                    vault.tokenize(
                        new TokenizeCommand(
                            Namespace.SYSTEM, Pan.parse("4111111111111111"), false, null, Map.of()),
                        TestContexts.merchant())))
        .hasCauseInstanceOf(VaultException.class)
        .cause()
        .hasFieldOrPropertyWithValue("code", "reserved_namespace");
  }

  @Test
  void onlyKeyPairPurposesAndWellFormedKidsAreAccepted() {
    assertThatThrownBy(() -> vault.vaultKeyPair(KeyPurpose.RECORD, "x", RequestContext.system("test")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> vault.vaultKeyPair(KeyPurpose.SIGNING, "a b", RequestContext.system("test")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static List<String> names(List<StoredAuditEvent> events) {
    return events.stream().map(e -> e.event().eventName()).toList();
  }
}
