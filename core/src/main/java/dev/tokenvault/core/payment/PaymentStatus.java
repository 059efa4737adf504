package dev.tokenvault.core.payment;

/** The state of a payment after the acquirer's answer. */
public enum PaymentStatus {
  APPROVED,
  DECLINED
}
