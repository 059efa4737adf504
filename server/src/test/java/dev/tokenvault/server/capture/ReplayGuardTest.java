package dev.tokenvault.server.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;


import java.time.Instant;


import org.junit.jupiter.api.Test;

class ReplayGuardTest {
  static final Instant T0 = Instant.parse("2026-11-15T12:00:00Z");


  static String code(Runnable r) {
    CaptureException e = catchThrowableOfType(CaptureException.class, r::run);
    return e == null ? null : e.code;
  }

  @Test
  void aJtiIsUsableOnce() {
    ReplayGuard g = new ReplayGuard(10, new dev.tokenvault.testkit.MutableClock(T0));
    g.firstUse("a", T0.plusSeconds(600));
    assertThat(code(() -> g.firstUse("a", T0.plusSeconds(600)))).isEqualTo("capture_session_replayed");
    g.firstUse("b", T0.plusSeconds(600));
  }

  @Test
  void fullOfLiveSessionsRefusesRatherThanForgets() {
    dev.tokenvault.testkit.MutableClock clock = new dev.tokenvault.testkit.MutableClock(T0);
    ReplayGuard g = new ReplayGuard(2, clock);
    g.firstUse("a", T0.plusSeconds(60));
    g.firstUse("b", T0.plusSeconds(600));
    assertThat(code(() -> g.firstUse("c", T0.plusSeconds(600)))).isEqualTo("capture_busy");
    assertThat(code(() -> g.firstUse("a", T0.plusSeconds(60)))).isEqualTo("capture_session_replayed");
    clock.advance(java.time.Duration.ofSeconds(61)); // a's session is over: its entry may go
    g.firstUse("c", T0.plusSeconds(600));
    assertThat(g.size()).isEqualTo(2);
    assertThat(code(() -> g.firstUse("b", T0.plusSeconds(600)))).isEqualTo("capture_session_replayed");
  }
}
