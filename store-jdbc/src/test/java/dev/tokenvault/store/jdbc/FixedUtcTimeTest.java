package dev.tokenvault.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FixedUtcTimeTest {

  /** What is on disk must not change: the hand-written text is the formatter's, byte for byte. */
  @Test
  void writesExactlyWhatTheFormatterWritesAndReadsItBack() {
    Random random = new Random(20261123);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 100_000; i++) {
      long second = i % 10 == 0
          ? 1_700_000_000L + random.nextInt(400_000_000)
          : min + (long) (random.nextDouble() * (max - min));
      int nano = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;
        default -> random.nextInt(1_000_000_000);
      };
      Instant t = Instant.ofEpochSecond(second, nano);
      String text = FixedUtcTime.format(t);
      assertThat(text).isEqualTo(FixedUtcTime.FORMATTER.format(t));
      assertThat(FixedUtcTime.parse(text)).isEqualTo(t);
    }
  }

  @Test
  void edgesOfTheFixedForm() {
    for (String s : new String[] {
        "0000-01-01T00:00:00.000000000Z", "9999-12-31T23:59:59.999999999Z",
        "2024-02-29T12:00:00.000000001Z", "1970-01-01T00:00:00.000000000Z"}) {
      assertThat(FixedUtcTime.format(FixedUtcTime.parse(s))).isEqualTo(s);
      assertThat(FixedUtcTime.parse(s)).isEqualTo(Instant.parse(s));
    }
  }

  @Test
  void otherIsoTextStillParsesAsBefore() {
    assertThat(FixedUtcTime.parse("2026-11-23T09:00:00Z"))
        .isEqualTo(Instant.parse("2026-11-23T09:00:00Z"));
    assertThat(FixedUtcTime.parse("2026-11-23T09:00:00.5Z"))
        .isEqualTo(Instant.parse("2026-11-23T09:00:00.5Z"));
  }

  @Test
  void invalidDatesInTheFixedFormAreRefused() {
    assertThatThrownBy(() -> FixedUtcTime.parse("2026-02-30T00:00:00.000000000Z"))
        .isInstanceOf(DateTimeException.class);
    assertThatThrownBy(() -> FixedUtcTime.parse("2026-13-01T00:00:00.000000000Z"))
        .isInstanceOf(DateTimeException.class);
    assertThatThrownBy(() -> FixedUtcTime.parse("2026-11-23T24:00:00.000000000Z"))
        .isInstanceOf(DateTimeException.class);
    assertThatThrownBy(() -> FixedUtcTime.parse("2026-11-2xT00:00:00.000000000Z"))
        .isInstanceOf(DateTimeException.class);
  }
}
