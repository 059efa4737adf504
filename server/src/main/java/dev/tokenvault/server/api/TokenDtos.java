package dev.tokenvault.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tokenvault.core.vault.TokenMetadata;
import java.time.Instant;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Request and response bodies of the token routes. */
public final class TokenDtos {
  private TokenDtos() {}

  @Schema(name = "TokenizeRequest")
  public record TokenizeRequest(
      @Schema(required = true, enumeration = {"card", "account"}) String type,
      @Schema(required = true, description = "the card number (12-19 digits, Luhn-valid) or account number (6-34 characters, digits or an IBAN)") String value,
      @Schema(description = "same value, same token (per namespace)") Boolean deterministic,
      @Schema(description = "token lifetime in seconds") Long ttlSeconds,
      @Schema(description = "up to 20 string entries; never a card number") Map<String, String> metadata) {}

  @Schema(name = "Token")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TokenResponse(
      String token,
      String type,
      String last4,
      String bin,
      String scheme,
      String fingerprint,
      Instant createdAt,
      Instant expiresAt,
      Map<String, String> metadata) {

    static TokenResponse of(TokenMetadata m) {
      return new TokenResponse(m.token().value(), m.type().wireName(), m.last4(), m.bin(),
          m.scheme(), m.fingerprint(), m.createdAt(), m.expiresAt(),
          m.metadata() == null || m.metadata().isEmpty() ? null : m.metadata());
    }
  }

  @Schema(name = "DetokenizeRequest")
  public record DetokenizeRequest(@Schema(required = true) String token) {}

  @Schema(name = "Detokenized")
  public record DetokenizeResponse(String token, String type, String value) {}
}
