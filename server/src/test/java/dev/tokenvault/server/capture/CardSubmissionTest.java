package dev.tokenvault.server.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenvault.core.value.CardScheme;
import dev.tokenvault.server.error.Problem;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decrypted payload: shape, card rules, and that nothing of the card is echoed. */
class CardSubmissionTest {
  static final Clock NOW = Clock.fixed(Instant.parse("2026-11-15T12:00:00Z"), ZoneOffset.UTC);

  static byte[] payload(String number, String expiry, String cvv, String name) {
    return ("{\"number\":\"" + number + "\",\"expiry\":\"" + expiry + "\",\"cvv\":\"" + cvv
        + "\",\"name\":\"" + name + "\",\"session\":\"s\"}").getBytes(StandardCharsets.UTF_8);
  }

  static List<Problem.FieldError> errors(byte[] p) {
    try (CardSubmission s = CardSubmission.parse(p)) {
      CaptureException e = catchThrowableOfType(CaptureException.class, () -> s.validate(NOW));
      assertThat(e).as("refused").isNotNull();
      assertThat(e.code).isEqualTo("invalid_card");
      return e.errors;
    }
  }

  @Test
  void validCardsOfEachSchemeWithTheirCvvLength() {
    for (String[] c : new String[][] {
        {"4111111111111111", "123", "VISA"}, {"5555555555554444", "123", "MASTERCARD"},
        {"378282246310005", "1234", "AMEX"}, {"4111 1111 1111 1111", "123", "VISA"}}) {
      try (CardSubmission s = CardSubmission.parse(payload(c[0], "11/26", c[1], "Ada Lovelace"))) {
        CardSubmission.ValidCard card = s.validate(NOW);
        assertThat(card.pan().scheme()).isEqualTo(CardScheme.valueOf(c[2]));
        assertThat(card.expiry()).isEqualTo(YearMonth.of(2026, 11));
        assertThat(s.session()).isEqualTo("s");
        card.pan().destroy();
      }
    }
  }

  @Test
  void everyBadFieldIsReportedWithoutItsValue() {
    List<Problem.FieldError> e = errors(payload("4111111111111112", "10/26", "12", ""));
    assertThat(e).extracting(Problem.FieldError::field, Problem.FieldError::code).containsExactly(
        org.assertj.core.groups.Tuple.tuple("number", "luhn_check_failed"),
        org.assertj.core.groups.Tuple.tuple("expiry", "card_expired"),
        org.assertj.core.groups.Tuple.tuple("cvv", "invalid_cvv_length"),
        org.assertj.core.groups.Tuple.tuple("name", "name_required"));
    assertThat(e.toString()).doesNotContain("4111111111111112", "411111", "1112");
    assertThat(errors(payload("378282246310005", "12/30", "123", "A B")))
        .extracting(Problem.FieldError::code).containsExactly("invalid_cvv_length");
    assertThat(errors(payload("4111111111111111", "12/30", "1234", "A B")))
        .extracting(Problem.FieldError::code).containsExactly("invalid_cvv_length");
    assertThat(errors(payload("4222222222222", "13/30", "123", "4111111111111111")))
        .extracting(Problem.FieldError::code).containsExactly("invalid_expiry", "invalid_name");
    assertThat(errors(payload("", "12/60", "", "x")))
        .extracting(Problem.FieldError::code).containsExactly("number_required", "invalid_expiry", "cvv_required");
    assertThat(errors(payload("37828224631000", "1230", "12a", "x")))
        .extracting(Problem.FieldError::code).containsExactly("luhn_check_failed", "invalid_expiry", "invalid_cvv");
  }

  @Test
  void expiryFormats() {
    assertThat(CardSubmission.parseExpiry("01/27")).isEqualTo(YearMonth.of(2027, 1));
    assertThat(CardSubmission.parseExpiry("01/2027")).isEqualTo(YearMonth.of(2027, 1));
    assertThat(CardSubmission.parseExpiry("00/27")).isNull();
    assertThat(CardSubmission.parseExpiry("1/27")).isNull();
    assertThat(CardSubmission.parseExpiry("01-27")).isNull();
  }

  @Test
  void malformedPayloadsAreInvalidPayload() {
    for (String p : List.of("[]", "{\"number\":1}", "{\"number\":\"1\",\"number\":\"2\"}",
        "{\"extra\":\"x\"}", "{} {}", "{\"cvv\":\"" + "1".repeat(9) + "\"}", "not json", "")) {
      CaptureException e = catchThrowableOfType(CaptureException.class,
          () -> CardSubmission.parse(p.getBytes(StandardCharsets.UTF_8)));
      assertThat(e).as(p).isNotNull();
      assertThat(e.code).isEqualTo("invalid_payload");
      assertThat(e.getMessage()).doesNotContain("1111");
    }
  }
}
