package dev.tokenvault.store.jdbc;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.value.AccountNumber;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.PayCommand;
import dev.tokenvault.core.vault.PaymentResult;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.TokenizeResult;
import dev.tokenvault.testkit.TestContexts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's use cases end to end on the embedded defaults: the local key manager and this SQLite
 * store in one data directory, across a restart.
 */
class SqliteVaultTest {
  /** The seeds' example value: an account number (not a card number). */
  private static final String ACCOUNT = "1234567890123456";

  private static final Namespace NS = Namespace.DEFAULT;
  private static final String VISA = "4111111111111111";
  private static final String MASTERCARD = "5555555555554444";
  private static final String AMEX = "378282246310005";

  @TempDir Path dataDir;
  private SqliteStore store;
  private DefaultVault vault;

  @BeforeEach
  void start() {
    store = SqliteStore.open(dataDir.resolve("vault.db"));
    vault =
        DefaultVault.builder()
            .keyManager(LocalKeyManager.open(dataDir, null, Clock.systemUTC()))
            .tokenStore(store)
            .paymentStore(store)
            .paymentProcessor(new SimulatedAcquirer())
            .build();
  }

  @AfterEach
  void stop() {
    vault.close();
    store.close();
  }

  @Test
  void vaultWhenRestartedThenValuesTokensAndPaymentsSurviveAndNoValueIsInTheFile() {
    TokenizeResult first = tokenizeDeterministic();
    assertThat(first.created()).isTrue();
    assertThat(tokenizeDeterministic().token().token()).isEqualTo(first.token().token());
    PayCommand pay = new PayCommand(NS, first.token().token(), 2500, "EUR", "order-1");
    PaymentResult paid = await(vault.pay(pay, TestContexts.merchant()));
    assertThat(paid.created()).isTrue();

    stop();
    start();

    assertThat(await(vault.detokenize(NS, first.token().token(), TestContexts.merchant())).value())
        .isEqualTo(AccountNumber.parse(ACCOUNT));
    TokenizeResult again = tokenizeDeterministic();
    assertThat(again.created()).isFalse();
    assertThat(again.token().token()).isEqualTo(first.token().token());
    PaymentResult retried = await(vault.pay(pay, TestContexts.merchant()));
    assertThat(retried.created()).isFalse();
    assertThat(retried.payment()).isEqualTo(paid.payment());

    String raw = new String(SqliteFiles.readAll(store.file()), StandardCharsets.ISO_8859_1);
    assertThat(raw).contains(first.token().token().value()).doesNotContain(ACCOUNT);
    List<StoredAuditEvent> log = readAll(store);
    assertIntactFromGenesis(log);
    assertThat(log)
        .extracting(e -> e.event().eventName())
        .contains(
            AuditAction.GENERATE_DATA_KEY,
            AuditAction.TOKENIZE,
            AuditAction.DETOKENIZE,
            AuditAction.CREATE_PAYMENT);
  }

  @Test
  void sixtyFourThreadsTokenizingTheSameCardDeterministicallyGetOneToken() throws Exception {
    List<TokenizeResult> results =
        dev.tokenvault.testkit.Race.race(
            64,
            i ->
                await(
                    vault.tokenize(
                        new TokenizeCommand(NS, Pan.parse(VISA), true, null, Map.of()),
                        TestContexts.client("client-" + i))));
    assertThat(results).extracting(r -> r.token().token()).containsOnly(results.get(0).token().token());
    assertThat(results).filteredOn(TokenizeResult::created).hasSize(1);
  }

  @Test
  void everyAcknowledgedTokenSurvivesARestartAndNoValueReachesTheFiles() throws Exception {
    List<String> values = new java.util.ArrayList<>(List.of(VISA, MASTERCARD, AMEX));
    for (int i = 0; i < 200; i++) {
      StringBuilder pan = new StringBuilder("400000").append(String.format("%09d", i * 7919L));
      pan.append(dev.tokenvault.core.value.Luhn.checkDigit(pan));
      values.add(pan.toString());
    }
    Map<dev.tokenvault.core.value.Token, String> tokens = new java.util.LinkedHashMap<>();
    List<java.util.concurrent.CompletableFuture<TokenizeResult>> pending = new java.util.ArrayList<>();
    for (String v : values) {
      pending.add(
          vault
              .tokenize(new TokenizeCommand(NS, Pan.parse(v), false, null, Map.of()),
                  TestContexts.merchant())
              .toCompletableFuture());
    }
    for (int i = 0; i < values.size(); i++) {
      tokens.put(pending.get(i).join().token().token(), values.get(i));
    }

    byte[] raw = SqliteFiles.readAll(store.file());
    for (int i = 0; i < values.size(); i++) {
      assertThat(SqliteFiles.contains(raw, values.get(i).getBytes(StandardCharsets.US_ASCII)))
          .as("value #%d in the database, WAL or shm", i)
          .isFalse();
    }

    stop();
    start();
    int i = 0;
    for (Map.Entry<dev.tokenvault.core.value.Token, String> e : tokens.entrySet()) {
      assertThat(await(vault.detokenize(NS, e.getKey(), TestContexts.merchant())).value())
          .as("token #%d after restart", i++)
          .isEqualTo(Pan.parse(e.getValue()));
    }
  }

  private TokenizeResult tokenizeDeterministic() {
    return await(
        vault.tokenize(
            new TokenizeCommand(NS, AccountNumber.parse(ACCOUNT), true, null, Map.of()),
            TestContexts.merchant()));
  }
}
