package dev.tokenvault.server.monitoring;

import java.time.Duration;

/**
 * Thresholds of the in-process detectors ({@code tokenvault.detectors.*}, README "Alerts").
 *
 * @param authFailureThreshold authentication failures within {@code authFailureWindow} that make
 *     a burst
 * @param authFailureWindow the burst window
 * @param detokenizeMinPerMinute a client's detokenizations in one minute below which it is never
 *     "far above its baseline" (new clients start at a baseline of 0)
 * @param detokenizeBaselineFactor how many times its own baseline (an exponentially weighted
 *     average of its previous minutes) a client's current minute must exceed
 * @param distinctTokensPerMinute distinct tokens one client may detokenize in one minute before it
 *     counts as walking the token space
 * @param cooldown after an alert, the same detector stays quiet for the same subject this long
 */
public record DetectorSettings(
    int authFailureThreshold,
    Duration authFailureWindow,
    int detokenizeMinPerMinute,
    double detokenizeBaselineFactor,
    int distinctTokensPerMinute,
    Duration cooldown) {

  public static final DetectorSettings DEFAULTS =
      new DetectorSettings(20, Duration.ofMinutes(1), 100, 10.0, 50, Duration.ofMinutes(5));

  public DetectorSettings {
    if (authFailureThreshold < 1 || detokenizeMinPerMinute < 1 || distinctTokensPerMinute < 1) {
      throw new IllegalArgumentException("detector thresholds must be at least 1");
    }
    if (detokenizeBaselineFactor <= 1.0) {
      throw new IllegalArgumentException("tokenvault.detectors.detokenize.baseline-factor must be > 1");
    }
    if (authFailureWindow.isNegative() || authFailureWindow.isZero() || cooldown.isNegative()) {
      throw new IllegalArgumentException("detector windows must be positive");
    }
  }
}
