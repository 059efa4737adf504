package dev.tokenvault.server.api;

import dev.tokenvault.core.value.AccountNumber;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.SensitiveValue;
import dev.tokenvault.core.vault.PayCommand;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.math.BigDecimal;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The seeds' two routes, with their request and response shapes unchanged. Both answer 200.
 *
 * <ul>
 *   <li>{@code POST /tokenize} {@code {"accountNumber"}} → {@code {"token","last4"}}. A value that
 *       is a valid card number (12-19 digits, Luhn, scheme length) is tokenized as type {@code
 *       card}, so it gets card handling (BIN, scheme); anything else as an {@code account} (the
 *       seeds' {@code 1234567890123456} is an account number).
 *   <li>{@code POST /payments} {@code {"token","amount"}} → {@code {"token","account","amount",
 *       "status"}}: amount in major units (e.g. {@code 25.00}), currency USD. {@code
 *       Idempotency-Key} is optional here: without it each call is a new payment.
 * </ul>
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "seeds")
public class SeedResource {
  static final String SEED_CURRENCY = "USD";

  @Inject Vault vault;
  @Inject ApiContext api;

  @Schema(name = "SeedTokenizeRequest")
  public record SeedTokenizeRequest(@Schema(required = true) String accountNumber) {}

  @Schema(name = "SeedTokenizeResponse")
  public record SeedTokenizeResponse(String token, String last4) {}

  @Schema(name = "SeedPaymentRequest")
  public record SeedPaymentRequest(
      @Schema(required = true) String token,
      @Schema(required = true, description = "major units, e.g. 25.00 (USD)") BigDecimal amount) {}

  @Schema(name = "SeedPaymentResponse")
  public record SeedPaymentResponse(String token, String account, BigDecimal amount, String status) {}

  @POST
  @Path("tokenize")
  @RequiresScope(Scopes.TOKENIZE)
  @Operation(summary = "Seed API: tokenize an account or card number")
  @SecurityRequirement(name = "bearer", scopes = Scopes.TOKENIZE)
  @APIResponse(responseCode = "200", description = "the token and last four")
  public CompletionStage<SeedTokenizeResponse> tokenize(SeedTokenizeRequest body) {
    Bodies.required(body);
    String input = Bodies.requiredField(body.accountNumber(), "accountNumber");
    SensitiveValue value;
    try {
      value = looksLikeCard(input) ? Pan.parse(input) : AccountNumber.parse(input);
    } catch (InvalidValueException e) {
      throw new InvalidValueException(e.code(), "accountNumber", e.getMessage());
    }
    TokenizeCommand cmd = new TokenizeCommand(api.caller().namespace(), value, false, null, null);
    return vault.tokenize(cmd, api.requestContext())
        .thenApply(r -> new SeedTokenizeResponse(r.token().token().value(), r.token().last4()));
  }

  @POST
  @Path("payments")
  @RequiresScope(Scopes.CREATE_PAYMENT)
  @Operation(summary = "Seed API: charge a token (amount in major units, USD)")
  @SecurityRequirement(name = "bearer", scopes = Scopes.CREATE_PAYMENT)
  @APIResponse(responseCode = "200", description = "the payment's outcome")
  public CompletionStage<SeedPaymentResponse> pay(
      @Parameter(description = "optional; without it every call is a new payment")
      @HeaderParam(PaymentsResource.IDEMPOTENCY_KEY) String idempotencyKey,
      SeedPaymentRequest body) {
    Bodies.required(body);
    BigDecimal amount = body.amount();
    long minor = Amounts.fromMajorUnits(amount, SEED_CURRENCY);
    String key = idempotencyKey == null || idempotencyKey.isEmpty()
        ? "seed-" + UUID.randomUUID()
        : idempotencyKey;
    PayCommand cmd = new PayCommand(api.caller().namespace(), Bodies.token(body.token(), "token"),
        minor, SEED_CURRENCY, key);
    return vault.pay(cmd, api.requestContext()).thenApply(r -> new SeedPaymentResponse(
        r.payment().token().value(), r.payment().maskedAccount(),
        Amounts.toMajorUnits(r.payment().amount(), SEED_CURRENCY), r.payment().status().name()));
  }

  private static boolean looksLikeCard(String input) {
    try {
      Pan.parse(input);
      return true;
    } catch (InvalidValueException e) {
      return false;
    }
  }
}
