package dev.tokenvault.core.store;

/**
 * A store operation failed for the store's reasons (unreachable, full, constraint outside the
 * documented ones). Adapters translate their driver's exceptions into this at their edge; callers
 * answer 503. Messages never contain values.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The token being inserted already exists (only possible with a broken random source). */
  public static final class DuplicateToken extends StoreException {
    public DuplicateToken(String token) {
      super("token already exists: " + token, null);
    }
  }
}
