package dev.tokenvault.server.auth;

import java.util.Locale;

/**
 * Why a request was refused by the resource server. The {@link #tag()} is the {@code reason} tag
 * of the {@code tokenvault.auth.failures} counter and of {@link AuthenticationFailed}; it is for
 * operators and detectors only, never sent to the caller (every 401 carries the same body).
 */
public enum AuthFailureReason {
  /** No bearer token (no {@code Authorization} header, or another scheme). */
  MISSING,
  /** Not a compact JWS/JWT, or its claims are not a JSON object with {@code sub} and {@code exp}. */
  MALFORMED,
  /** {@code exp} has passed (beyond the clock skew). */
  EXPIRED,
  /** {@code nbf} or {@code iat} lies in the future (beyond the clock skew). */
  NOT_YET_VALID,
  /** {@code iss} is not the configured issuer. */
  ISSUER,
  /** {@code aud} does not name the vault. */
  AUDIENCE,
  /** No key of the issuer matches the token's {@code kid} (after a rate-limited JWKS refetch). */
  UNKNOWN_KEY,
  /** The signature does not verify. */
  SIGNATURE,
  /** {@code alg} is {@code none}, HMAC, or any algorithm other than RS256, PS256, ES256. */
  ALGORITHM,
  /** A valid token without the route's scope (403). */
  SCOPE,
  /** An RFC 8705 certificate-bound token presented without its certificate. */
  CERTIFICATE_BINDING,
  /** The client id or source address is locked out after repeated failures. */
  LOCKED_OUT;

  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
