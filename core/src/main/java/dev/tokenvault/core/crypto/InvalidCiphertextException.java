package dev.tokenvault.core.crypto;

/**
 * A stored ciphertext could not be parsed or failed authentication. Deliberately one opaque
 * failure: which check failed is not told, so the error is no oracle for an attacker.
 */
public final class InvalidCiphertextException extends Exception {
  public InvalidCiphertextException() {
    super("invalid ciphertext");
  }
}
