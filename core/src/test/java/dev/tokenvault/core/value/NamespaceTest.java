package dev.tokenvault.core.value;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class NamespaceTest {

  /**
   * Guards the class initialiser: {@code DEFAULT} is built by the constructor, which needs the
   * name pattern, so the pattern must be initialised first.
   */
  @Test
  void default_initializesWithTheClass() {
    assertThat(Namespace.DEFAULT.name()).isEqualTo("default");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "default", "merchant-42", "bu_eu-west", "9lives"})
  void validNames_areAccepted(String name) {
    assertThat(new Namespace(name).name()).isEqualTo(name);
    assertThat(new Namespace(name).toString()).isEqualTo(name);
  }

  @Test
  void sixtyThreeCharacters_isTheLongestName() {
    assertThat(new Namespace("a".repeat(63)).name()).hasSize(63);
    assertRejected(() -> new Namespace("a".repeat(64))).isEqualTo("invalid_namespace");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"A", "Default", "-a", "_a", "a.b", "a b", "a/b", "caf\u00e9", "a\n", " a"})
  void invalidNames_areRejected(String name) {
    assertRejected(() -> new Namespace(name)).isEqualTo("invalid_namespace");
  }

  @Test
  void ofNullable_defaultsWhenNullOrEmpty() {
    assertThat(Namespace.ofNullable(null)).isEqualTo(Namespace.DEFAULT);
    assertThat(Namespace.ofNullable("")).isEqualTo(Namespace.DEFAULT);
    assertThat(Namespace.ofNullable("shop-1")).isEqualTo(new Namespace("shop-1"));
    assertRejected(() -> Namespace.ofNullable(" ")).isEqualTo("invalid_namespace");
    assertThat(Namespace.DEFAULT.name()).isEqualTo("default");
  }
}
