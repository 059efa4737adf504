package dev.tokenvault.server.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The detectors fire on synthetic attack patterns and stay quiet on normal load. */
class DetectorEngineTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final List<String> alerts = new ArrayList<>();
  private final DetectorEngine engine = new DetectorEngine(DetectorSettings.DEFAULTS, clock,
      (detector, subject, detail) -> alerts.add(detector + "/" + subject), (c, w) -> {});

  /** An hour of a normal merchant mix: 40 detokenizations a minute over a pool of 30 tokens. */
  private void normalHour(String client) {
    for (int minute = 0; minute < 60; minute++) {
      for (int i = 0; i < 40; i++) {
        engine.detokenized(client, "tok_" + (i % 30));
      }
      clock.advance(Duration.ofMinutes(1));
    }
  }

  @Test
  void normalLoadRaisesNothing() {
    normalHour("admin");
    normalHour("reports");
    for (int i = 0; i < 19; i++) {
      engine.authenticationFailed("invalid_token");
      clock.advance(Duration.ofSeconds(5));
    }
    assertThat(alerts).isEmpty();
  }

  @Test
  void aClientFarAboveItsOwnBaselineIsFlaggedOnce() {
    normalHour("admin");
    for (int i = 0; i < 1000; i++) {
      engine.detokenized("admin", "tok_" + (i % 30));
    }
    assertThat(alerts).containsExactly("detokenize_rate/admin");
  }

  @Test
  void aNewClientIsFlaggedAboveTheMinimumEvenWithoutHistory() {
    for (int i = 0; i < 101; i++) {
      engine.detokenized("newcomer", "tok_1");
    }
    assertThat(alerts).containsExactly("detokenize_rate/newcomer");
  }

  @Test
  void walkingManyDistinctTokensIsFlagged() {
    for (int i = 0; i < 51; i++) {
      engine.detokenized("crawler", "tok_" + i);
    }
    assertThat(alerts).containsExactly("token_walk/crawler");
    // the cooldown keeps one walk from flooding; a later minute after the cooldown alerts again
    for (int i = 0; i < 40; i++) {
      engine.detokenized("crawler", "tok_x" + i);
    }
    assertThat(alerts).containsExactly("token_walk/crawler");
    clock.advance(Duration.ofMinutes(6));
    for (int i = 0; i < 51; i++) {
      engine.detokenized("crawler", "tok_y" + i);
    }
    assertThat(alerts).containsExactly("token_walk/crawler", "token_walk/crawler");
  }

  @Test
  void aBurstOfAuthenticationFailuresIsFlagged() {
    for (int i = 0; i < 20; i++) {
      engine.authenticationFailed("invalid_token");
    }
    assertThat(alerts).containsExactly("auth_failure_burst/all");
  }

  @Test
  void failuresSpreadOverMoreThanTheWindowAreNotABurst() {
    for (int i = 0; i < 100; i++) {
      engine.authenticationFailed("invalid_token");
      clock.advance(Duration.ofSeconds(4));
    }
    assertThat(alerts).isEmpty();
  }

  @Test
  void integrityAndAuditFailuresAlertAtOnce() {
    engine.integrityFailure("record_integrity_failure");
    engine.auditFailure("audit write failed event=Detokenize");
    assertThat(alerts).containsExactly("integrity_failure/vault", "audit_failure/vault");
  }

  @Test
  void gaugeShowsTheLastCompleteMinutesDistinctTokens() {
    List<DetectorEngine.ClientWindow> windows = new ArrayList<>();
    DetectorEngine e = new DetectorEngine(DetectorSettings.DEFAULTS, clock, (d, s, x) -> {},
        (c, w) -> windows.add(w));
    for (int i = 0; i < 7; i++) {
      e.detokenized("admin", "tok_" + i);
      e.detokenized("admin", "tok_" + i);
    }
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).lastMinuteDistinct()).isZero();
    clock.advance(Duration.ofMinutes(1));
    e.detokenized("admin", "tok_0");
    assertThat(windows.get(0).lastMinuteDistinct()).isEqualTo(7);
  }

  @Test
  void reasonsInAlertsAreRestrictedToSafeCharacters() {
    assertThat(DetectorEngine.safe("bad token 4111 1111\n\"x\"")).matches("[A-Za-z0-9_.:-]+");
  }
}
