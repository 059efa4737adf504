package dev.tokenvault.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tokenvault.core.payment.Payment;
import java.math.BigDecimal;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Request and response bodies of the payment routes. */
public final class PaymentDtos {
  private PaymentDtos() {}

  @Schema(name = "PaymentRequest")
  public record PaymentRequest(
      @Schema(required = true) String token,
      @Schema(required = true, description = "minor units (cents), a whole number") BigDecimal amount,
      @Schema(required = true, description = "ISO 4217 code, e.g. USD") String currency) {}

  @Schema(name = "Payment")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PaymentResponse(
      String id,
      String token,
      String status,
      @Schema(description = "**** and the last four characters") String account,
      long amount,
      String currency,
      String declineCode,
      String authorizationCode,
      Instant createdAt) {

    static PaymentResponse of(Payment p) {
      return new PaymentResponse(p.id(), p.token().value(), p.status().name(), p.maskedAccount(),
          p.amount(), p.currency(), p.declineCode(), p.authorizationCode(), p.createdAt());
    }
  }
}
