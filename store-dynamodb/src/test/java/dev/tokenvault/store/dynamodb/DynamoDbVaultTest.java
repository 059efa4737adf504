package dev.tokenvault.store.dynamodb;

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
import dev.tokenvault.testkit.Race;
import dev.tokenvault.testkit.TestContexts;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's use cases end to end on DynamoDB Local, as a deployment of two stateless vault nodes
 * that share the tables and the key manager's KEK (the local one here; AWS KMS in production).
 */
class DynamoDbVaultTest {
  @RegisterExtension static final LocalDynamo DYNAMO = new LocalDynamo();

  /** The seeds' example value: an account number (not a card number). */
  private static final String ACCOUNT = "1234567890123456";

  private static final String VISA = "4111111111111111";
  private static final Namespace NS = Namespace.DEFAULT;

  @TempDir Path keyDir;
  private String prefix;
  private final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeEach
  void tables() {
    prefix = DYNAMO.freshPrefix();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  private record Node(DefaultVault vault, DynamoDbStore store) {}

  private Node node() {
    DynamoDbStore store = DYNAMO.store(prefix);
    DefaultVault vault =
        DefaultVault.builder()
            .keyManager(LocalKeyManager.open(keyDir, null, Clock.systemUTC()))
            .tokenStore(store)
            .paymentStore(store)
            .paymentProcessor(new SimulatedAcquirer())
            .build();
    opened.add(vault);
    opened.add(store);
    return new Node(vault, store);
  }

  private static String tokenize(Node node, String pan, boolean deterministic) {
    return await(
            node.vault()
                .tokenize(
                    new TokenizeCommand(NS, Pan.parse(pan), deterministic, null, Map.of()),
                    TestContexts.merchant()))
        .token()
        .token()
        .value();
  }

  /**
   * Two nodes race deterministic tokenizations of the same cards while node A rotates the
   * fingerprint key and re-fingerprints; node B has loaded version 1 and not seen the rotation.
   * Each card ends with one token (VISA's, the one made before), every token on version 2.
   */
  @Test
  void twoNodesRacingDeterministicTokenizeDuringAFingerprintRotationGetOneTokenPerCard()
      throws Exception {
    Node a = node();
    Node b = node();
    String visa = tokenize(a, VISA, true);
    tokenize(b, "5555555555554444", false); // B now holds fingerprint key v1 only
    String amex = "378282246310005";

    List<String> results =
        Race.race(
            24,
            i -> {
              if (i == 0) {
                await(a.vault().fingerprintKeys().rotate(NS, TestContexts.admin()));
                return "rotated";
              }
              String card = i % 4 < 2 ? VISA : amex;
              return card + "=" + tokenize(i % 2 == 0 ? a : b, card, true);
            });
    await(a.vault().fingerprintKeys().completion(NS));

    Map<String, java.util.Set<String>> byCard = new java.util.HashMap<>();
    for (String r : results) {
      if (r.contains("=")) {
        byCard.computeIfAbsent(r.substring(0, r.indexOf('=')), c -> new java.util.HashSet<>())
            .add(r.substring(r.indexOf('=') + 1));
      }
    }
    assertThat(byCard.get(VISA)).containsExactly(visa);
    assertThat(byCard.get(amex)).hasSize(1);
    assertThat(await(a.store().countTokensByFingerprintVersion(NS, 2))).isEmpty();
    assertThat(await(a.vault().fingerprintKeys().retire(NS, 1, TestContexts.admin())).versions())
        .containsExactly(2);
    assertThat(tokenize(b, amex, true)).isEqualTo(byCard.get(amex).iterator().next());
    assertIntactFromGenesis(readAll(a.store()));
  }

  private static TokenizeResult tokenizeAccount(Node node) {
    return await(
        node.vault()
            .tokenize(
                new TokenizeCommand(NS, AccountNumber.parse(ACCOUNT), true, null, Map.of()),
                TestContexts.merchant()));
  }

  @Test
  void twoNodesShareTokensPaymentsAndOneIntactAuditChainAndNoValueIsStored() {
    Node a = node();
    Node b = node();

    TokenizeResult first = tokenizeAccount(a);
    TokenizeResult again = tokenizeAccount(b);
    PayCommand pay = new PayCommand(NS, first.token().token(), 2500, "EUR", "order-1");
    PaymentResult paid = await(a.vault().pay(pay, TestContexts.merchant()));
    PaymentResult retried = await(b.vault().pay(pay, TestContexts.merchant()));

    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.token().token()).isEqualTo(first.token().token());
    assertThat(paid.created()).isTrue();
    assertThat(retried.created()).isFalse();
    assertThat(retried.payment()).isEqualTo(paid.payment());
    assertThat(
            await(b.vault().detokenize(NS, first.token().token(), TestContexts.merchant())).value())
        .isEqualTo(AccountNumber.parse(ACCOUNT));

    String raw = DYNAMO.rawText(prefix);
    assertThat(raw).contains(first.token().token().value()).doesNotContain(ACCOUNT);
    List<StoredAuditEvent> log = readAll(a.store());
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
  void sixtyFourThreadsOnTwoNodesTokenizingOneCardDeterministicallyGetOneToken() throws Exception {
    List<Node> nodes = List.of(node(), node());

    List<TokenizeResult> results =
        Race.race(
            64,
            i ->
                await(
                    nodes
                        .get(i % 2)
                        .vault()
                        .tokenize(
                            new TokenizeCommand(NS, Pan.parse(VISA), true, null, Map.of()),
                            TestContexts.client("client-" + i))));

    assertThat(results)
        .extracting(r -> r.token().token())
        .containsOnly(results.get(0).token().token());
    assertThat(results).filteredOn(TokenizeResult::created).hasSize(1);
    assertThat(DYNAMO.rawText(prefix)).doesNotContain(VISA);
    assertIntactFromGenesis(readAll(nodes.get(0).store()));
  }
}
