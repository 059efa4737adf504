package dev.tokenvault.server.auth;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Turns a JWT whose signature, issuer, audience, {@code exp} and {@code nbf} smallrye-jwt has
 * already verified into a {@link Caller}, with the vault's own rules, each one small:
 *
 * <ul>
 *   <li>{@code sub} is required (the audit trail's principal).
 *   <li>{@code exp} is required (a token that never expires is refused, and the verified-token
 *       cache needs it).
 *   <li>scopes come from {@code scope} (RFC 8693/9068, space-separated) or {@code scp} (a string
 *       or an array, as Azure AD and Okta send them).
 *   <li>the namespace is the optional {@code tokenvault_namespace} claim, else {@code default}.
 * </ul>
 */
public final class ClaimsValidator {
  public static final String NAMESPACE_CLAIM = "tokenvault_namespace";

  private ClaimsValidator() {}

  public static Caller toCaller(JsonWebToken jwt) {
    String sub = jwt.getSubject();
    if (sub == null || sub.isBlank()) {
      throw new InvalidTokenException("the token has no subject");
    }
    long exp = jwt.getExpirationTime();
    if (exp <= 0) {
      throw new InvalidTokenException("the token has no expiry");
    }
    String clientId = stringClaim(jwt, "client_id");
    if (clientId == null) {
      clientId = stringClaim(jwt, "azp");
    }
    Namespace namespace;
    try {
      namespace = Namespace.ofNullable(stringClaim(jwt, NAMESPACE_CLAIM));
    } catch (InvalidValueException e) {
      throw new InvalidTokenException("the token's namespace claim is not a valid namespace");
    }
    return new Caller(sub, clientId, scopes(jwt), namespace, Instant.ofEpochSecond(exp));
  }

  static Set<String> scopes(JsonWebToken jwt) {
    Set<String> out = new LinkedHashSet<>();
    addScopes(out, jwt.getClaim("scope"));
    addScopes(out, jwt.getClaim("scp"));
    return out;
  }

  private static void addScopes(Set<String> out, Object claim) {
    if (claim == null) {
      return;
    }
    if (claim instanceof jakarta.json.JsonString js) {
      claim = js.getString();
    }
    if (claim instanceof String s) {
      for (String part : s.trim().split("\\s+")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
    } else if (claim instanceof Collection<?> c) {
      for (Object o : c) {
        addScopes(out, o);
      }
    } else if (claim instanceof jakarta.json.JsonArray a) {
      for (jakarta.json.JsonValue v : a) {
        addScopes(out, v);
      }
    }
  }

  private static String stringClaim(JsonWebToken jwt, String name) {
    Object v = jwt.getClaim(name);
    if (v instanceof jakarta.json.JsonString js) {
      v = js.getString();
    }
    return v instanceof String s && !s.isBlank() ? s : null;
  }
}
