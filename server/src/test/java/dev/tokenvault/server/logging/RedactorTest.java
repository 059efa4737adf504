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
}
