package dev.tokenvault.core.vault;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static dev.tokenvault.core.testing.Rejections.codeOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.testing.TestCards;
import dev.tokenvault.core.testing.TestCards.Card;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Luhn;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.SensitiveValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Metadata never carries card numbers in the examples' messages: cases are named by index. */
class TokenizeCommandTest {
  private static final SensitiveValue VALUE = Pan.parse("4111111111111111");

  private static TokenizeCommand command(Duration ttl, Map<String, String> metadata) {
    return new TokenizeCommand(Namespace.DEFAULT, VALUE, false, ttl, metadata);
  }

  private static TokenizeCommand withNote(String note) {
    return command(null, Map.of("note", note));
  }

  /** Groups of four separated by {@code sep}, the way people type card numbers. */
  private static String grouped(String digits, String sep) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < digits.length(); i += 4) {
      if (i > 0) {
        b.append(sep);
      }
      b.append(digits, i, Math.min(i + 4, digits.length()));
    }
    return b.toString();
  }

  @Test
  void minimalCommand_isValid() {
    TokenizeCommand c = command(null, null);
    assertThat(c.metadata()).isEmpty();
    assertThat(c.ttl()).isNull();
  }

  @Test
  void requiredFields_areChecked() {
    assertThatNullPointerException()
        .isThrownBy(() -> new TokenizeCommand(null, VALUE, false, null, null));
    assertThatNullPointerException()
        .isThrownBy(() -> new TokenizeCommand(Namespace.DEFAULT, null, false, null, null));
  }

  @Test
  void ttl_between1SecondAndMaxIsAccepted() {
    assertThat(command(Duration.ofSeconds(1), null).ttl()).isEqualTo(Duration.ofSeconds(1));
    assertThat(command(TokenizeCommand.MAX_TTL, null).ttl()).isEqualTo(TokenizeCommand.MAX_TTL);
  }

  @Test
  void ttl_zeroNegativeOrAboveMaxIsRejected() {
    for (Duration ttl :
        List.of(
            Duration.ZERO,
            Duration.ofSeconds(-1),
            Duration.ofNanos(-1),
            TokenizeCommand.MAX_TTL.plusNanos(1),
            TokenizeCommand.MAX_TTL.plusSeconds(1),
            Duration.ofDays(365 * 100))) {
      assertRejected(() -> command(ttl, null)).as("ttl %s", ttl).isEqualTo("invalid_ttl");
    }
  }

  @Test
  void metadata_twentyEntriesAccepted_twentyOneRejected() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      m.put("k" + i, "v");
    }
    assertThat(command(null, m).metadata()).hasSize(20);
    m.put("k20", "v");
    assertRejected(() -> command(null, m)).isEqualTo("metadata_too_large");
  }

  @Test
  void metadataKey_rules() {
    assertThat(command(null, Map.of("a".repeat(40), "v")).metadata()).hasSize(1);
    assertThat(command(null, Map.of("Order_Ref.v-2", "v")).metadata()).hasSize(1);
    for (String key : List.of("", "a".repeat(41), "a b", "a/b", "caf\u00e9", "a:b", "key\n")) {
      assertRejected(() -> command(null, Map.of(key, "v")))
          .as("key %s", key)
          .isEqualTo("invalid_metadata_key");
    }
    Map<String, String> nullKey = new HashMap<>();
    nullKey.put(null, "v");
    assertRejected(() -> command(null, nullKey)).isEqualTo("invalid_metadata_key");
    // a card number as a key would be stored in clear like a value (found by AuditMonitoringIT)
    assertRejected(() -> command(null, Map.of("4111111111111111", "1")))
        .isEqualTo("invalid_metadata_key");
  }

  @Test
  void metadataValue_upTo500Characters() {
    assertThat(command(null, Map.of("k", "x".repeat(500))).metadata()).containsEntry("k", "x".repeat(500));
    assertThat(command(null, Map.of("k", "")).metadata()).containsEntry("k", "");
    assertRejected(() -> command(null, Map.of("k", "x".repeat(501)))).isEqualTo("invalid_metadata_value");
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertRejected(() -> command(null, nullValue)).isEqualTo("invalid_metadata_value");
  }

  @Test
  void metadata_isCopiedAndImmutable() {
    Map<String, String> m = new HashMap<>(Map.of("k", "v"));
    TokenizeCommand c = command(null, m);
    m.put("k2", "v2");

    assertThat(c.metadata()).containsOnlyKeys("k");
    assertThatThrownBy(() -> c.metadata().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void metadataWithCardNumber_isRejectedNamingTheKey() {
    assertThatThrownBy(() -> command(null, Map.of("customerNote", "pay with 4111111111111111 please")))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> {
              assertThat(e.code()).isEqualTo("metadata_contains_card_number");
              assertThat(e.field()).isEqualTo("metadata.customerNote");
              assertThat(e.getMessage()).doesNotContain("4111");
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "-"})
  void metadataWithAnyAdyenCard_isRejected(String separator) {
    List<Integer> missed = new ArrayList<>();
    for (Card card : TestCards.adyenCards()) {
      String text = "ref: " + grouped(card.digits(), separator) + " (customer)";
      if (!"metadata_contains_card_number".equals(codeOf(() -> withNote(text)))) {
        missed.add(card.index());
      }
    }
    assertThat(missed).as("cards (by index) not detected with separator '%s'", separator).isEmpty();
  }

  @Test
  void metadataWithAmexSpacedAsPrinted_isRejected() {
    assertRejected(() -> withNote("amex 3782 822463 10005")).isEqualTo("metadata_contains_card_number");
  }

  @Test
  void metadataWithShortOrNonLuhnNumbers_isAccepted() {
    for (String note :
        List.of(
            "call +31 20 123 4567",
            "invoice 2026-0042",
            "qty 12, sku 98765432101", // 11 digits
            "delivered 2026-11-23 14:05",
            "4111 1111 111")) { // a fragment, 11 digits
      assertThat(codeOf(() -> withNote(note))).as("note %s", note.length()).isNull();
    }
  }

  /**
   * An order number is not a card number: a 16-digit reference whose digits fail Luhn must be
   * accepted. (Fifty references drawn from a fixed seed; none is Luhn-valid as a whole.)
   */
  @Test
  void metadataWhenOrderNumberFailsLuhnThenAccepted() {
    Random random = new Random(20261123); // fixed test data, not a secret
    List<Integer> rejected = new ArrayList<>();
    int sampled = 0;
    while (sampled < 50) {
      StringBuilder b = new StringBuilder();
      b.append((char) ('1' + random.nextInt(9)));
      for (int i = 1; i < 16; i++) {
        b.append((char) ('0' + random.nextInt(10)));
      }
      String orderNumber = b.toString();
      if (Luhn.isValid(orderNumber)) {
        continue;
      }
      if (codeOf(() -> command(null, Map.of("orderNumber", orderNumber))) != null) {
        rejected.add(sampled);
      }
      sampled++;
    }
    assertThat(rejected)
        .as("%d of 50 non-Luhn order numbers rejected as card numbers (sample indexes)", rejected.size())
        .isEmpty();
  }

  /**
   * A card number typed after another group of digits (a year, a quantity) is still a card
   * number: "2019 4111 1111 1111 1111" must be rejected like the card alone.
   */
  @Test
  void metadataWhenCardFollowsAnotherDigitGroupThenRejected() {
    List<String> missed = new ArrayList<>();
    if (!"metadata_contains_card_number".equals(codeOf(() -> withNote("2019 " + grouped("4111111111111111", " "))))) {
      missed.add("the Visa test card ending 1111 after '2019'");
    }
    for (Card card : TestCards.adyenCards()) {
      for (String prefix : List.of("2024 ", "0001-", "1234 ")) {
        if (!"metadata_contains_card_number".equals(codeOf(() -> withNote(prefix + grouped(card.digits(), " "))))) {
          missed.add("card #" + card.index() + " after '" + prefix.trim() + "'");
        }
      }
    }
    assertThat(missed).isEmpty();
  }
}
