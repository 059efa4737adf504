package dev.tokenvault.core.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.value.InvalidValueException;
import org.assertj.core.api.AbstractStringAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions on {@link InvalidValueException}: the call is rejected, and with which code. */
public final class Rejections {
  private Rejections() {}

  /** Asserts that {@code call} throws an {@link InvalidValueException}; returns its code. */
  public static AbstractStringAssert<?> assertRejected(ThrowingCallable call) {
    return assertThatThrownBy(call)
        .isInstanceOf(InvalidValueException.class)
        .extracting(e -> ((InvalidValueException) e).code())
        .asString();
  }

  /** The code {@code call} is rejected with, or {@code null} if it is accepted. */
  public static String codeOf(Runnable call) {
    try {
      call.run();
      return null;
    } catch (InvalidValueException e) {
      return e.code();
    }
  }
}
