package dev.tokenvault.server.auth;

/**
 * A presented bearer token was refused (RFC 6750 {@code invalid_token}). The message is safe to
 * return: it never contains the token or its claims.
 */
public final class InvalidTokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidTokenException(String message) {
    super(message, null, false, false);
  }
}
