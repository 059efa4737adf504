package dev.tokenvault.core.payment;

/**
 * The outcome of an idempotent payment insert: the stored payment for (client, idempotency key)
 * and whether this call created it.
 */
public record PaymentInsert(Payment payment, boolean created) {}
