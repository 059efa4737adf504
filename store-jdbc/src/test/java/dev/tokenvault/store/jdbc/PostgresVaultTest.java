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
import dev.tokenvault.core.value.Luhn;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.PayCommand;
import dev.tokenvault.core.vault.PaymentResult;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.TokenizeResult;
import dev.tokenvault.testkit.Race;
import dev.tokenvault.testkit.TestContexts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's use cases end to end on PostgreSQL: the local key manager and a {@link
 * PostgresStore}, across a restart of the vault (the database server stays up, as it would).
 */
class PostgresVaultTest {
  /** The seeds' example value: an account number (not a card number). */
  private static final String ACCOUNT = "1234567890123456";

  private static final Namespace NS = Namespace.DEFAULT;
  private static final String VISA = "4111111111111111";
  private static final String MASTERCARD = "5555555555554444";
  private static final String AMEX = "378282246310005";

  /** Runs of digits as long as the shortest value tested: where a value in clear would show. */
  private static final Pattern DIGIT_RUN = Pattern.compile("[0-9]{12,}");

  @TempDir Path dataDir;
  private String url;
  private PostgresStore store;
  private DefaultVault vault;

  @BeforeEach
  void createDatabase() {
    url = PostgresServer.newDatabase();
    start();
  }

  void start() {
    store = PostgresStore.open(PostgresServer.settings(url));
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
  void vaultWhenRestartedThenValuesTokensAndPaymentsSurviveAndNoValueIsInTheTables()
      throws Exception {
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

    String raw = new String(PostgresServer.dumpTables(url), StandardCharsets.ISO_8859_1);
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
        Race.race(
            64,
            i ->
                await(
                    vault.tokenize(
                        new TokenizeCommand(NS, Pan.parse(VISA), true, null, Map.of()),
                        TestContexts.client("client-" + i))));
    assertThat(results)
        .extracting(r -> r.token().token())
        .containsOnly(results.get(0).token().token());
    assertThat(results).filteredOn(TokenizeResult::created).hasSize(1);
  }

  @Test
  void everyAcknowledgedTokenSurvivesARestartAndNoValueReachesTheDisk() throws Exception {
    List<String> values = new ArrayList<>(List.of(VISA, MASTERCARD, AMEX));
    for (int i = 0; i < 200; i++) {
      StringBuilder pan = new StringBuilder("400000").append(String.format("%09d", i * 7919L));
      pan.append(Luhn.checkDigit(pan));
      values.add(pan.toString());
    }
    List<CompletableFuture<TokenizeResult>> pending = new ArrayList<>();
    for (String v : values) {
      pending.add(
          vault
              .tokenize(
                  new TokenizeCommand(NS, Pan.parse(v), false, null, Map.of()),
                  TestContexts.merchant())
              .toCompletableFuture());
    }
    Map<Token, String> tokens = new LinkedHashMap<>();
    for (int i = 0; i < values.size(); i++) {
      tokens.put(pending.get(i).join().token().token(), values.get(i));
    }

    // Tables, indexes and the write-ahead log on disk: no value in clear, but the tokens are
    // there (so the scan does read what the database wrote).
    Set<String> leaked = new HashSet<>();
    boolean sawAToken = false;
    String someToken = tokens.keySet().iterator().next().value();
    for (Path file : PostgresServer.databaseFiles(url)) {
      String content = new String(PostgresServer.readQuietly(file), StandardCharsets.ISO_8859_1);
      sawAToken |= content.contains(someToken);
      Matcher digits = DIGIT_RUN.matcher(content);
      while (digits.find()) {
        String run = digits.group();
        values.stream().filter(run::contains).forEach(leaked::add);
      }
    }
    assertThat(sawAToken).as("a token in the database files").isTrue();
    assertThat(leaked).as("values in clear on disk").isEmpty();

    stop();
    start();
    int i = 0;
    for (Map.Entry<Token, String> e : tokens.entrySet()) {
      assertThat(await(vault.detokenize(NS, e.getKey(), TestContexts.merchant())).value())
          .as("token #%d after restart", i++)
          .isEqualTo(Pan.parse(e.getValue()));
    }
  }

  /**
   * Two vault processes, each with its own store on the one database, race deterministic
   * tokenizations of the same cards while one of them rotates the fingerprint key and
   * re-fingerprints; the other has loaded version 1 and not yet seen the rotation. Each card ends
   * with exactly one token (VISA's, the one made before the rotation), on fingerprint version 2.
   */
  @Test
  void twoProcessesRacingDeterministicTokenizeDuringAFingerprintRotationGetOneTokenPerCard()
      throws Exception {
    Token visa = tokenize(vault, VISA, true);
    try (PostgresStore otherStore = PostgresStore.open(PostgresServer.settings(url));
        DefaultVault other =
            DefaultVault.builder()
                .keyManager(LocalKeyManager.open(dataDir, null, Clock.systemUTC()))
                .tokenStore(otherStore)
                .paymentStore(otherStore)
                .paymentProcessor(new SimulatedAcquirer())
                .rewrapOnStart(false)
                .build()) {
      tokenize(other, MASTERCARD, false); // the other process now holds fingerprint key v1 only

      List<String> results =
          Race.race(
              64,
              i -> {
                if (i == 0) {
                  await(vault.fingerprintKeys().rotate(NS, TestContexts.admin()));
                  return "rotated";
                }
                String card = i % 4 < 2 ? VISA : AMEX;
                return card + "=" + tokenize(i % 2 == 0 ? vault : other, card, true).value();
              });
      await(vault.fingerprintKeys().completion(NS));

      Map<String, Set<String>> byCard = new LinkedHashMap<>();
      for (String r : results) {
        if (r.contains("=")) {
          byCard.computeIfAbsent(r.substring(0, r.indexOf('=')), c -> new HashSet<>())
              .add(r.substring(r.indexOf('=') + 1));
        }
      }
      assertThat(byCard.get(VISA)).containsExactly(visa.value());
      assertThat(byCard.get(AMEX)).hasSize(1);
      assertThat(await(store.countTokensByFingerprintVersion(NS, 2))).isEmpty();
      assertThat(
              await(vault.fingerprintKeys().retire(NS, 1, TestContexts.admin())).versions())
          .containsExactly(2);
      assertThat(tokenize(other, AMEX, true).value()).isEqualTo(byCard.get(AMEX).iterator().next());
      assertIntactFromGenesis(readAll(store));
    }
  }

  private static Token tokenize(DefaultVault v, String pan, boolean deterministic) {
    return await(
            v.tokenize(
                new TokenizeCommand(NS, Pan.parse(pan), deterministic, null, Map.of()),
                TestContexts.merchant()))
        .token()
        .token();
  }

  private TokenizeResult tokenizeDeterministic() {
    return await(
        vault.tokenize(
            new TokenizeCommand(NS, AccountNumber.parse(ACCOUNT), true, null, Map.of()),
            TestContexts.merchant()));
  }
}
