package dev.tokenvault.core.payment;

/** An acquirer's answer to an authorization request. */
public record Authorization(PaymentStatus status, String declineCode, String authorizationCode) {
  public static Authorization approved(String authorizationCode) {
    return new Authorization(PaymentStatus.APPROVED, null, authorizationCode);
  }

  public static Authorization declined(String declineCode) {
    return new Authorization(PaymentStatus.DECLINED, declineCode, null);
  }
}
