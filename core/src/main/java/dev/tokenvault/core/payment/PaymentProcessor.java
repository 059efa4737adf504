package dev.tokenvault.core.payment;

import dev.tokenvault.core.value.SensitiveValue;

/**
 * The acquirer the vault sends payments to. It is the only component besides the vault itself
 * that sees a value in clear, and it must not keep or log it.
 *
 * <p>Implementations are thread-safe and must not block event-loop threads for long; the
 * simulated acquirer answers in microseconds.
 */
public interface PaymentProcessor {

  /**
   * Authorizes {@code amount} minor units of {@code currency} on {@code value}. Declines are
   * answers, not exceptions; an exception means the acquirer could not be reached.
   */
  Authorization authorize(SensitiveValue value, long amount, String currency);
}
