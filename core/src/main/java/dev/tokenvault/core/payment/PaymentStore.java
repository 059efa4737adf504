package dev.tokenvault.core.payment;

import dev.tokenvault.core.audit.AuditEvent;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where payments live.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #insertPaymentIfAbsent} is linearizable per (clientId, idempotencyKey): of any
 *       number of concurrent inserts under the same key exactly one creates a payment; the others
 *       get that payment back with {@code created == false} (and their event is not written).
 *   <li>The {@code CreatePayment} audit event commits in the same transaction as the payment.
 *   <li>Durable when the stage completes; failures complete it with {@code StoreException}.
 * </ul>
 */
public interface PaymentStore {

  CompletionStage<PaymentInsert> insertPaymentIfAbsent(Payment payment, AuditEvent event);

  CompletionStage<Optional<Payment>> findPayment(String id);
}
