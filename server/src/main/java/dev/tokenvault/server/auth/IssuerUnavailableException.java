package dev.tokenvault.server.auth;

/**
 * The issuer's keys cannot be fetched and none are cached: a server-side fault (503), never
 * reported to the caller as an invalid token.
 */
public final class IssuerUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IssuerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
