package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.vault.PayCommand;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.server.api.PaymentDtos.PaymentRequest;
import dev.tokenvault.server.api.PaymentDtos.PaymentResponse;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/payments}. Idempotent per (client, {@code Idempotency-Key}): a replay answers the
 * same status and body as the first call, with {@code Idempotent-Replayed: true}.
 */
@Path("/v1/payments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "payments")
public class PaymentsResource {
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** Set to {@code true} on the answer to a replayed payment request. */
  static final String REPLAYED = "Idempotent-Replayed";

  @Inject Vault vault;
  @Inject ApiContext api;

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @RequiresScope(Scopes.CREATE_PAYMENT)
  @Operation(summary = "Charge a token")
  @SecurityRequirement(name = "bearer", scopes = Scopes.CREATE_PAYMENT)
  @APIResponse(responseCode = "201", description = "the payment (approved or declined); a replay answers the same",
      content = @Content(schema = @Schema(implementation = PaymentResponse.class)))
  @APIResponse(responseCode = "400", description = "invalid request or missing Idempotency-Key",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "422", description = "the Idempotency-Key was used for a different request")
  public CompletionStage<Response> create(
      @Parameter(in = ParameterIn.HEADER, required = true, description = "1-255 printable ASCII characters")
      @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
      PaymentRequest body) {
    return vault.pay(command(idempotencyKey, body, api.caller()), api.requestContext())
        .thenApply(r -> {
          Response.ResponseBuilder b = Response.status(201).entity(PaymentResponse.of(r.payment()));
          if (!r.created()) {
            b.header(REPLAYED, "true");
          }
          return b.build();
        });
  }

  /** The use case's command for a payment request by {@code caller} (both request paths). */
  static PayCommand command(String idempotencyKey, PaymentRequest body, Caller caller) {
    if (idempotencyKey == null || idempotencyKey.isEmpty()) {
      throw new InvalidValueException("idempotency_key_required", IDEMPOTENCY_KEY,
          "the Idempotency-Key header is required");
    }
    // Any printable key is accepted, digits included: the vault stores a keyed reference of it,
    // never the key (DefaultVault.IdempotencyRefs).
    Bodies.required(body);
    return new PayCommand(caller.namespace(), Bodies.token(body.token(), "token"),
        Amounts.minorUnits(body.amount()), Bodies.requiredField(body.currency(), "currency"),
        idempotencyKey);
  }

  @GET
  @Path("/{id}")
  @RequiresScope(Scopes.READ)
  @Operation(summary = "A payment")
  @SecurityRequirement(name = "bearer", scopes = Scopes.READ)
  @APIResponse(responseCode = "200", description = "the payment",
      content = @Content(schema = @Schema(implementation = PaymentResponse.class)))
  @APIResponse(responseCode = "404", description = "unknown payment")
  public CompletionStage<PaymentResponse> get(@PathParam("id") String id) {
    return vault.payment(api.caller().namespace(), paymentId(id), api.requestContext())
        .thenApply(PaymentResponse::of);
  }

  /** A payment id from the path, checked (both request paths). */
  static String paymentId(String id) {
    if (id == null || !isPaymentId(id, 0)) {
      throw new InvalidValueException("invalid_payment_id", "id", "not a payment id");
    }
    return id;
  }

  /**
   * Whether {@code s} from index {@code from} to its end has a payment id's shape: 1-64 of A-Z
   * a-z 0-9 {@code _ -}. Checked by hand, not by regular expression: {@code GET
   * /v1/payments/{id}} checks it twice per request (the hot route's path, then the id).
   */
  static boolean isPaymentId(String s, int from) {
    int length = s.length() - from;
    if (length < 1 || length > 64) {
      return false;
    }
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
