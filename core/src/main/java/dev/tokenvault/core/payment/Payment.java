package dev.tokenvault.core.payment;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.time.Instant;
import java.util.Objects;

/**
 * A payment as stored and returned: never the value, only the token and a masked account.
 *
 * @param id {@code pay_} + random characters
 * @param namespace the tenant
 * @param token the token that was charged
 * @param maskedAccount {@code ****} + last four
 * @param amount amount in minor units (cents), positive
 * @param currency ISO 4217 alphabetic code
 * @param status approved or declined
 * @param declineCode the acquirer's reason when declined, else null
 * @param authorizationCode the acquirer's code when approved, else null
 * @param clientId the OAuth2 client that asked (idempotency keys are per client)
 * @param idempotencyKey the keyed reference of the caller's {@code Idempotency-Key} ({@code ik_}
 *     + 43 base64url characters, see {@code DefaultVault.IdempotencyRefs}), never the key itself:
 *     callers may put anything in a key, card numbers included. Stores keep it as given.
 * @param requestHash SHA-256 (hex) of the canonical request, to tell a retry from a different
 *     request under the same key
 * @param createdAt creation time
 */
public record Payment(
    String id,
    Namespace namespace,
    Token token,
    String maskedAccount,
    long amount,
    String currency,
    PaymentStatus status,
    String declineCode,
    String authorizationCode,
    String clientId,
    String idempotencyKey,
    String requestHash,
    Instant createdAt) {

  public Payment {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(maskedAccount, "maskedAccount");
    Objects.requireNonNull(currency, "currency");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(requestHash, "requestHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
