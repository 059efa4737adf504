package dev.tokenvault.core.keys;

/**
 * A key-manager operation failed. The two subclasses keep the two causes apart, because a caller
 * must react differently: {@link Unavailable} (an HSM or KMS outage: retry later, answer 503) and
 * {@link IntegrityFailure} (a wrapped key that does not decrypt under this context: tampering or
 * a wrong key, never retried). An outage must never look like an invalid token.
 */
public abstract sealed class KeyManagerException extends RuntimeException
    permits KeyManagerException.Unavailable, KeyManagerException.IntegrityFailure {

  protected KeyManagerException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The key manager could not be reached or refused to work for now. */
  public static final class Unavailable extends KeyManagerException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A wrapped key failed authentication, or names a KEK or version this manager does not have. */
  public static final class IntegrityFailure extends KeyManagerException {
    public IntegrityFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
