package dev.tokenvault.core.vault;

/**
 * A use case could not be completed. {@link #kind()} tells the HTTP layer which status to answer,
 * {@link #code()} is the stable problem code. Messages never contain a value.
 */
public final class VaultException extends RuntimeException {

  /** Why, in terms a caller can act on. */
  public enum Kind {
    /** No such token or payment in the caller's namespace (404). */
    NOT_FOUND,
    /** The token expired or was deleted (410). */
    GONE,
    /** The request conflicts with an earlier one, e.g. an idempotency key reused (422). */
    CONFLICT,
    /** Invalid input that passed syntax checks (400). */
    INVALID,
    /** A dependency (key manager, store, acquirer) is unavailable: retry later (503). */
    UNAVAILABLE,
    /** Stored data failed authentication: tampering or corruption (500, alarmed). */
    INTEGRITY
  }

  private final Kind kind;
  private final String code;

  public VaultException(Kind kind, String code, String message) {
    this(kind, code, message, null);
  }

  public VaultException(Kind kind, String code, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.code = code;
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  static VaultException tokenNotFound() {
    return new VaultException(Kind.NOT_FOUND, "token_not_found", "no such token");
  }

  static VaultException tokenExpired() {
    return new VaultException(Kind.GONE, "token_expired", "the token has expired");
  }
}
