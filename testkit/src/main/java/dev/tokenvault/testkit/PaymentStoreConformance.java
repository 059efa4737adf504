package dev.tokenvault.testkit;

import static dev.tokenvault.testkit.AuditChains.assertIntactFromGenesis;
import static dev.tokenvault.testkit.AuditChains.ids;
import static dev.tokenvault.testkit.AuditChains.readAll;
import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.testkit.Race.Attempt;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link PaymentStore}, for every adapter. The store must also expose its audit
 * trail (every adapter does: the payment's event lands in the same log as the token events), by
 * implementing {@link AuditLog} or by overriding {@link #auditLog()}.
 *
 * <p>Each test gets a new, empty store from {@link #newStore()} and closes it afterwards.
 */
public abstract class PaymentStoreConformance {

  /** Concurrent retries of one request: what an impatient client with 16 connections does. */
  private static final int RACERS = 16;

  /** A string that stands for a value the vault charged; it must never reach storage. */
  private static final String PLAINTEXT_MARKER = "PLAINTEXT-MARKER-do-not-store";

  protected PaymentStore store;

  /** A new, empty store on real storage. Called once per test. */
  protected abstract PaymentStore newStore() throws Exception;

  /** Closes {@code current} and opens the same storage again (as after a restart). */
  protected abstract PaymentStore reopen(PaymentStore current) throws Exception;

  /** Everything the store has persisted, as raw bytes (files, table dumps), for leak scans. */
  protected abstract byte[] rawStorageBytes() throws Exception;

  /** Where the store's audit events can be read. */
  protected AuditLog auditLog() {
    return (AuditLog) store;
  }

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store instanceof AutoCloseable c) {
      c.close();
    }
  }

  @Test
  void paymentWhenInsertedThenFoundWithEveryField() {
    Payment payment = TestRecords.payment("merchant-a", TestRecords.idempotencyKey()).build();
    AuditEvent event = TestRecords.paymentEvent(payment);

    PaymentInsert result = await(store.insertPaymentIfAbsent(payment, event));

    assertThat(result.created()).isTrue();
    assertThat(result.payment()).isEqualTo(payment);
    assertThat(await(store.findPayment(payment.id()))).contains(payment);
    List<StoredAuditEvent> log = readAll(auditLog());
    assertThat(ids(log)).containsExactly(event.eventId());
    assertThat(log.get(0).event()).isEqualTo(event.chain(AuditEvent.GENESIS));
  }

  @Test
  void paymentWhenDeclinedThenFoundWithDeclineCodeAndNoAuthorization() {
    Payment payment =
        TestRecords.payment("merchant-a", TestRecords.idempotencyKey())
            .declined("insufficient_funds")
            .build();

    await(store.insertPaymentIfAbsent(payment, TestRecords.paymentEvent(payment)));

    Payment found = await(store.findPayment(payment.id())).orElseThrow();
    assertThat(found).isEqualTo(payment);
    assertThat(found.authorizationCode()).isNull();
  }

  @Test
  void findPaymentWhenUnknownThenEmpty() {
    assertThat(await(store.findPayment("pay_unknown"))).isEmpty();
  }

  @Test
  void findByIdempotencyKeyWhenStoredThenThatPaymentElseEmpty() {
    String key = TestRecords.idempotencyKey();
    assertThat(await(store.findPaymentByIdempotencyKey("merchant-a", key))).isEmpty();
    Payment payment = TestRecords.payment("merchant-a", key).build();
    await(store.insertPaymentIfAbsent(payment, TestRecords.paymentEvent(payment)));

    assertThat(await(store.findPaymentByIdempotencyKey("merchant-a", key))).contains(payment);
    assertThat(await(store.findPaymentByIdempotencyKey("merchant-b", key)))
        .as("keys are per client")
        .isEmpty();
    assertThat(await(store.findPaymentByIdempotencyKey("merchant-a", key + "x"))).isEmpty();
    assertThat(await(store.findPaymentByIdempotencyKey("merchant-a", payment.id())))
        .as("a payment id is not a key")
        .isEmpty();
  }

  @Test
  void insertPaymentWhenKeyUsedBeforeThenFirstReturnedAndNoEvent() {
    String key = TestRecords.idempotencyKey();
    Payment first = TestRecords.payment("merchant-a", key).build();
    Payment retry = TestRecords.payment("merchant-a", key).build();
    AuditEvent firstEvent = TestRecords.paymentEvent(first);
    await(store.insertPaymentIfAbsent(first, firstEvent));

    PaymentInsert result =
        await(store.insertPaymentIfAbsent(retry, TestRecords.paymentEvent(retry)));

    assertThat(result.created()).isFalse();
    assertThat(result.payment()).isEqualTo(first);
    assertThat(await(store.findPayment(retry.id()))).isEmpty();
    assertThat(ids(readAll(auditLog()))).containsExactly(firstEvent.eventId());
  }

  @Test
  void insertPaymentWhenSixteenRetriesRaceThenExactlyOneCreated() throws Exception {
    String key = TestRecords.idempotencyKey();

    List<Attempt<Payment, PaymentInsert>> attempts =
        Race.race(
            RACERS,
            i -> {
              Payment p = TestRecords.payment("merchant-a", key).build();
              return new Attempt<>(p, store.insertPaymentIfAbsent(p, TestRecords.paymentEvent(p)));
            });

    List<PaymentInsert> results = attempts.stream().map(a -> await(a.stage())).toList();
    assertThat(results).filteredOn(PaymentInsert::created).hasSize(1);
    Set<Payment> returned =
        results.stream().map(PaymentInsert::payment).collect(Collectors.toSet());
    assertThat(returned).hasSize(1);
    Payment winner = returned.iterator().next();
    assertThat(attempts).extracting(Attempt::input).contains(winner);
    assertThat(await(store.findPayment(winner.id()))).contains(winner);
    List<StoredAuditEvent> log = readAll(auditLog());
    assertThat(log).hasSize(1);
    assertIntactFromGenesis(log);
  }

  @Test
  void insertPaymentWhenSameKeyDifferentClientsThenTwoPayments() {
    String key = TestRecords.idempotencyKey();
    Payment a = TestRecords.payment("merchant-a", key).build();
    Payment b = TestRecords.payment("merchant-b", key).build();

    PaymentInsert ra = await(store.insertPaymentIfAbsent(a, TestRecords.paymentEvent(a)));
    PaymentInsert rb = await(store.insertPaymentIfAbsent(b, TestRecords.paymentEvent(b)));

    assertThat(ra.created()).isTrue();
    assertThat(rb.created()).isTrue();
    assertThat(await(store.findPayment(a.id()))).contains(a);
    assertThat(await(store.findPayment(b.id()))).contains(b);
    List<StoredAuditEvent> log = readAll(auditLog());
    assertThat(log).hasSize(2);
    assertIntactFromGenesis(log);
  }

  @Test
  void reopenWhenClosedThenPaymentsStillThereAndIdempotent() throws Exception {
    String key = TestRecords.idempotencyKey();
    Payment payment = TestRecords.payment("merchant-a", key).build();
    await(store.insertPaymentIfAbsent(payment, TestRecords.paymentEvent(payment)));
    List<StoredAuditEvent> before = readAll(auditLog());

    store = reopen(store);

    assertThat(await(store.findPayment(payment.id()))).contains(payment);
    assertThat(readAll(auditLog())).isEqualTo(before);
    Payment retry = TestRecords.payment("merchant-a", key).build();
    PaymentInsert result =
        await(store.insertPaymentIfAbsent(retry, TestRecords.paymentEvent(retry)));
    assertThat(result.created()).isFalse();
    assertThat(result.payment()).isEqualTo(payment);
  }

  @Test
  void rawStorageWhenWrittenThenHoldsPaymentButNoPlaintextMarker() throws Exception {
    Payment payment = TestRecords.payment("merchant-a", TestRecords.idempotencyKey()).build();
    await(store.insertPaymentIfAbsent(payment, TestRecords.paymentEvent(payment)));

    String raw = new String(rawStorageBytes(), StandardCharsets.ISO_8859_1);

    assertThat(raw).as("the hook sees stored data").contains(payment.id());
    assertThat(raw).doesNotContain(PLAINTEXT_MARKER);
  }
}
