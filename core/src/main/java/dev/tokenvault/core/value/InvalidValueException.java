package dev.tokenvault.core.value;

/**
 * A submitted value (card number, account number, token, namespace) is not acceptable.
 *
 * <p>The message and {@link #code()} never contain the submitted value: they are safe to log and
 * to return to the caller. {@link #field()} names the request field the reason applies to.
 */
public final class InvalidValueException extends IllegalArgumentException {
  private final String code;
  private final String field;

  public InvalidValueException(String code, String field, String message) {
    super(message);
    this.code = code;
    this.field = field;
  }

  /** A stable machine-readable reason, e.g. {@code luhn_check_failed}. */
  public String code() {
    return code;
  }

  /** The request field the reason applies to, e.g. {@code value}. */
  public String field() {
    return field;
  }
}
