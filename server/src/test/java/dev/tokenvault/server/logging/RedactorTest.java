package dev.tokenvault.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactorTest {

  @Test
  void masksLuhnValidCardNumbersWithOrWithoutSeparators() {
    assertThat(Redactor.redact("card 4111111111111111 used")).isEqualTo("card [PAN ****1111] used");
    assertThat(Redactor.redact("card 4111 1111 1111 1111.")).isEqualTo("card [PAN ****1111].");
    assertThat(Redactor.redact("5555-5555-5555-4444")).isEqualTo("[PAN ****4444]");
    assertThat(Redactor.redact("amex=378282246310005;")).isEqualTo("amex=[PAN ****0005];");
  }

  @Test
  void masksACardNumberGluedToOtherDigits() {
    assertThat(Redactor.redact("x 0041111111111111119 y")).doesNotContain("4111111111111111");
  }

  @Test
  void masksEveryOccurrence() {
    String out = Redactor.redact("a=4111111111111111 b=5555555555554444");
    assertThat(out).isEqualTo("a=[PAN ****1111] b=[PAN ****4444]");
  }

  @Test
  void leavesOtherNumbersAlone() {
    String text = "2026-11-23T03:47:26.717Z took 123456 us, id 12345678901";
    assertThat(Redactor.redact(text)).isSameAs(text);
    assertThat(Redactor.redact(null)).isNull();
    assertThat(Redactor.redact("short")).isEqualTo("short");
  }

  @Test
  void doesNotJoinDigitsAcrossOtherSeparators() {
    String text = "4111.1111.1111.1111";
    assertThat(Redactor.redact(text)).isSameAs(text);
  }

  /**
   * The pre-check must never say "no run" when the regex finds one of 12+ digits, or a card
   * number would pass unmasked: checked against the regex on random strings over the characters
   * that matter (digits, the two separators, another character).
   */
  @Test
  void theCheapPreCheckAgreesWithTheRegexOnRandomText() {
    java.util.Random random = new java.util.Random(20261123);
    java.util.regex.Pattern run = java.util.regex.Pattern.compile("\\d(?:[ -]?\\d)*");
    char[] alphabet = "0123456789012345678901234567890123456789 -x".toCharArray();
    int positives = 0;
    for (int i = 0; i < 20_000; i++) {
      char[] c = new char[10 + random.nextInt(30)];
      for (int j = 0; j < c.length; j++) {
        c[j] = alphabet[random.nextInt(alphabet.length)];
      }
      String text = new String(c);
      boolean expected = false;
      java.util.regex.Matcher m = run.matcher(text);
      while (m.find()) {
        expected |= m.group().chars().filter(Character::isDigit).count() >= 12;
      }
      assertThat(Redactor.hasLongDigitRun(text)).as(text).isEqualTo(expected);
      positives += expected ? 1 : 0;
    }
    assertThat(positives).as("both answers were exercised").isBetween(1_000, 19_000);
  }
}
