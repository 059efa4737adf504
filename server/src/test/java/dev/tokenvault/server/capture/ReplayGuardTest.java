package dev.tokenvault.server.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ReplayGuardTest {
  static final Instant T0 = Instant.parse("2026-11-15T12:00:00Z");

  /** A clock the test moves by hand. */
  static final class MovableClock extends Clock {
    Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static String code(Runnable r) {
    CaptureException e = catchThrowableOfType(CaptureException.class, r::run);
    return e == null ? null : e.code;
  }

  @Test
  void aJtiIsUsableOnce() {
    ReplayGuard g = new ReplayGuard(10, new MovableClock());
    g.firstUse("a", T0.plusSeconds(600));
    assertThat(code(() -> g.firstUse("a", T0.plusSeconds(600)))).isEqualTo("capture_session_replayed");
    g.firstUse("b", T0.plusSeconds(600));
  }

  @Test
  void fullOfLiveSessionsRefusesRatherThanForgets() {
    MovableClock clock = new MovableClock();
    ReplayGuard g = new ReplayGuard(2, clock);
    g.firstUse("a", T0.plusSeconds(60));
    g.firstUse("b", T0.plusSeconds(600));
    assertThat(code(() -> g.firstUse("c", T0.plusSeconds(600)))).isEqualTo("capture_busy");
    assertThat(code(() -> g.firstUse("a", T0.plusSeconds(60)))).isEqualTo("capture_session_replayed");
    clock.now = T0.plusSeconds(61); // a's session is over: its entry may go
    g.firstUse("c", T0.plusSeconds(600));
    assertThat(g.size()).isEqualTo(2);
    assertThat(code(() -> g.firstUse("b", T0.plusSeconds(600)))).isEqualTo("capture_session_replayed");
  }
}
