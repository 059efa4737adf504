package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Token;

/** Small checks shared by the resources; every failure names the field, never its value. */
final class Bodies {
  private Bodies() {}

  static <T> T required(T body) {
    if (body == null) {
      throw new InvalidValueException("body_required", "body", "a JSON request body is required");
    }
    return body;
  }

  static String requiredField(String v, String field) {
    if (v == null || v.isEmpty()) {
      throw new InvalidValueException("required", field, field + " is required");
    }
    return v;
  }

  static Token token(String v, String field) {
    requiredField(v, field);
    try {
      return new Token(v);
    } catch (InvalidValueException e) {
      throw new InvalidValueException(e.code(), field, e.getMessage());
    }
  }
}
