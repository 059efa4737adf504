package dev.tokenvault.server.limits;

import static org.assertj.core.api.Assertions.assertThat;


import java.time.Duration;
import java.time.Instant;


import org.junit.jupiter.api.Test;

class AuthLockoutTest {
  final dev.tokenvault.testkit.MutableClock clock = new dev.tokenvault.testkit.MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  /** The PCI DSS 8.3.4 defaults: 10 attempts, 30 minutes. */
  final AuthLockout lockout = new AuthLockout(true, 10, 10, Duration.ofMinutes(30),
      Duration.ofMinutes(30), 3, Duration.ofMillis(100), clock);

  @Test
  void theTenthFailureLocksTheClientAndTheAddressForThirtyMinutes() {
    for (int i = 1; i <= 9; i++) {
      assertThat(lockout.failure("10.0.0.1", "merchant").lockedNow()).isFalse();
    }
    assertThat(lockout.clientLocked("merchant")).isZero();
    AuthLockout.Verdict tenth = lockout.failure("10.0.0.1", "merchant");
    assertThat(tenth.lockedNow()).isTrue();
    assertThat(lockout.clientLocked("merchant")).isEqualTo(Duration.ofMinutes(30));
    assertThat(lockout.addressLocked("10.0.0.1")).isEqualTo(Duration.ofMinutes(30));
    assertThat(lockout.addressLocked("10.0.0.2")).isZero();
    assertThat(lockout.clientLocked("admin")).isZero();
    // a success does not lift a lockout
    lockout.success("merchant");
    clock.advance(Duration.ofMinutes(29));
    assertThat(lockout.clientLocked("merchant")).isEqualTo(Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(1));
    assertThat(lockout.clientLocked("merchant")).isZero();
    assertThat(lockout.addressLocked("10.0.0.1")).isZero();
  }

  @Test
  void refusalsAreSlowedDownAfterTheThirdFailure() {
    assertThat(lockout.failure("10.0.0.1", null).delay()).isZero();
    assertThat(lockout.failure("10.0.0.1", null).delay()).isZero();
    assertThat(lockout.failure("10.0.0.1", null).delay()).isZero();
    assertThat(lockout.failure("10.0.0.1", null).delay()).isEqualTo(Duration.ofMillis(100));
    assertThat(lockout.failure("10.0.0.1", null).delay()).isEqualTo(Duration.ofMillis(200));
    assertThat(lockout.delay(100)).isEqualTo(AuthLockout.MAX_DELAY);
  }

  @Test
  void aSuccessResetsTheClientsConsecutiveFailures() {
    for (int i = 0; i < 9; i++) {
      lockout.failure(null, "merchant");
    }
    lockout.success("merchant");
    for (int i = 0; i < 9; i++) {
      assertThat(lockout.failure(null, "merchant").lockedNow()).isFalse();
    }
  }

  @Test
  void failuresOutsideTheWindowAreForgotten() {
    for (int i = 0; i < 9; i++) {
      lockout.failure("10.0.0.1", null);
    }
    clock.advance(Duration.ofMinutes(31));
    assertThat(lockout.failure("10.0.0.1", null).failures()).isEqualTo(1);
  }

  @Test
  void disabledCountsNothing() {
    AuthLockout off = new AuthLockout(false, 1, 1, Duration.ofMinutes(30), Duration.ofMinutes(30), 0,
        Duration.ofMillis(100), clock);
    assertThat(off.failure("10.0.0.1", "c").lockedNow()).isFalse();
    assertThat(off.addressLocked("10.0.0.1")).isZero();
  }

}
