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

  /**
   * The payment stored under (clientId, idempotencyKey), if any: what the vault checks before it
   * asks the acquirer, so that a retry is answered from the store instead of authorizing again.
   * A payment found here is durable, as one that {@link #insertPaymentIfAbsent} returns: an
   * adapter whose commits are made durable after the fact (SQLite's log sync) completes the
   * lookup only after the sync that covers what it read.
   */
  CompletionStage<Optional<Payment>> findPaymentByIdempotencyKey(
      String clientId, String idempotencyKey);
}
