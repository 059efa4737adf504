package dev.tokenvault.server.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import java.text.ParseException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Turns the claims of a JWT that {@link JwtValidator} has verified (signature, issuer, audience,
 * times) into a {@link Caller}, with the vault's own rules, each one small:
 *
 * <ul>
 *   <li>{@code sub} is required (the audit trail's principal).
 *   <li>{@code exp} is required (a token that never expires is refused, and the verified-token
 *       cache needs it).
 *   <li>scopes come from {@code scope} (RFC 8693/9068, space-separated) or {@code scp} (a string
 *       or an array, as Azure AD and Okta send them).
 *   <li>the namespace is the optional {@code tokenvault_namespace} claim, else {@code default}.
 *   <li>{@code cnf.x5t#S256} (RFC 8705 §3.1), when present, binds the token to a client
 *       certificate; a {@code cnf} that is not an object with a string thumbprint is malformed.
 * </ul>
 */
public final class ClaimsValidator {
  public static final String NAMESPACE_CLAIM = "tokenvault_namespace";
  /** RFC 8705 §3.1: the confirmation member naming the certificate's SHA-256 thumbprint. */
  public static final String X5T_S256 = "x5t#S256";

  private ClaimsValidator() {}

  public static Caller toCaller(JWTClaimsSet jwt) {
    String sub = jwt.getSubject();
    if (sub == null || sub.isBlank()) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "the token has no subject");
    }
    if (jwt.getExpirationTime() == null) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "the token has no expiry");
    }
    String clientId = clientId(jwt);
    Namespace namespace;
    try {
      namespace = Namespace.ofNullable(stringClaim(jwt, NAMESPACE_CLAIM));
    } catch (InvalidValueException e) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED,
          "the token's namespace claim is not a valid namespace");
    }
    return new Caller(sub, clientId, scopes(jwt), namespace, jwt.getExpirationTime().toInstant(),
        thumbprint(jwt));
  }

  /** {@code client_id}, else {@code azp}, else null. */
  static String clientId(JWTClaimsSet jwt) {
    String clientId = stringClaim(jwt, "client_id");
    return clientId != null ? clientId : stringClaim(jwt, "azp");
  }

  static Set<String> scopes(JWTClaimsSet jwt) {
    Set<String> out = new LinkedHashSet<>();
    addScopes(out, jwt.getClaim("scope"));
    addScopes(out, jwt.getClaim("scp"));
    return out;
  }

  private static String thumbprint(JWTClaimsSet jwt) {
    Object cnf = jwt.getClaim("cnf");
    if (cnf == null) {
      return null;
    }
    if (!(cnf instanceof Map<?, ?> m)) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "cnf is not an object");
    }
    Object x5t = m.get(X5T_S256);
    if (x5t == null) {
      // another confirmation method (jkt for DPoP, ...) that this vault does not check: refuse
      // rather than accept a token its issuer meant to be bound
      throw new InvalidTokenException(AuthFailureReason.CERTIFICATE_BINDING, "unsupported cnf method");
    }
    if (!(x5t instanceof String s) || s.isBlank()) {
      throw new InvalidTokenException(AuthFailureReason.MALFORMED, "cnf.x5t#S256 is not a string");
    }
    return s;
  }

  private static void addScopes(Set<String> out, Object claim) {
    if (claim == null) {
      return;
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
    }
  }

  private static String stringClaim(JWTClaimsSet jwt, String name) {
    try {
      String v = jwt.getStringClaim(name);
      return v == null || v.isBlank() ? null : v;
    } catch (ParseException e) {
      return null;
    }
  }
}
