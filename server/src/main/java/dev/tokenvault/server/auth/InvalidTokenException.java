package dev.tokenvault.server.auth;

import java.util.Objects;

/**
 * A presented bearer token was refused (RFC 6750 {@code invalid_token}). The {@link #reason()} is
 * for metrics and logs; the caller always gets the same generic answer ({@link #PUBLIC_MESSAGE}),
 * so the response never tells an attacker which check failed.
 */
public final class InvalidTokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** The one detail every 401 for a presented token carries. */
  public static final String PUBLIC_MESSAGE = "the access token is invalid or expired";

  private final AuthFailureReason reason;

  public InvalidTokenException(AuthFailureReason reason, String internalMessage) {
    super(internalMessage, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public AuthFailureReason reason() {
    return reason;
  }
}
