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

  /**
   * A deterministic insert was refused because the fingerprint key it was made under is no longer
   * the namespace's current one (a newer version, {@code successorKeyId}, exists): the caller
   * loads the namespace's fingerprint keys again and retries.
   */
  public static final class FingerprintKeySuperseded extends StoreException {
    public FingerprintKeySuperseded(String successorKeyId) {
      super("fingerprint key superseded by " + successorKeyId, null);
    }
  }
}
