package dev.tokenvault.core.vault;

import dev.tokenvault.core.payment.Payment;

/** A payment's answer and whether this call created it ({@code false}: an idempotent replay). */
public record PaymentResult(Payment payment, boolean created) {}
