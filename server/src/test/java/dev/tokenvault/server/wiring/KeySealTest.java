package dev.tokenvault.server.wiring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.testkit.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unseal rate limit ({@code POST /v1/unseal} answers 429 while it holds), on a real key file
 * sealed under 3-of-5 shares, with a clock the test moves: no sleeping through the minute.
 */
class KeySealTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private List<String> shares;
  private KeySeal seal;

  @BeforeEach
  void sealUnderShares() {
    LocalKeyManager.open(dir, null, clock).close();
    shares = LocalKeyManager.initShares(dir, null, 5, 3, clock);
    seal = new KeySeal(dir, clock);
  }

  private void refuseUntilLockedOut() {
    for (int i = 0; i < KeySeal.MAX_FAILURES; i++) {
      assertThat(seal.offer("tvshare1-not-a-share-" + i)).isEqualTo(KeySeal.Outcome.INVALID_SHARE);
    }
  }

  @Test
  void afterFiveRefusedAttemptsEvenGoodSharesAreRefusedForAMinuteThenAccepted() {
    refuseUntilLockedOut();

    assertThat(seal.offer(shares.get(0))).isEqualTo(KeySeal.Outcome.LOCKED_OUT);
    assertThat(seal.lockedUntil()).isEqualTo(clock.instant().plus(KeySeal.LOCKOUT));
    clock.advance(KeySeal.LOCKOUT.minus(Duration.ofSeconds(1)));
    assertThat(seal.offer(shares.get(0))).isEqualTo(KeySeal.Outcome.LOCKED_OUT);
    assertThat(seal.status().sharesReceived()).isZero();

    clock.advance(Duration.ofSeconds(1));
    assertThat(seal.offer(shares.get(0))).isEqualTo(KeySeal.Outcome.ACCEPTED);
    assertThat(seal.offer(shares.get(1))).isEqualTo(KeySeal.Outcome.ACCEPTED);
    assertThat(seal.offer(shares.get(2))).isEqualTo(KeySeal.Outcome.UNSEALED);
    assertThat(seal.sealed()).isFalse();
    seal.close();
  }

  @Test
  void fourRefusalsDoNotLockAndTheCountStartsOverAfterALockout() {
    for (int i = 0; i < KeySeal.MAX_FAILURES - 1; i++) {
      seal.offer("tvshare1-not-a-share-" + i);
    }
    assertThat(seal.offer(shares.get(0))).isEqualTo(KeySeal.Outcome.ACCEPTED);

    seal.offer("tvshare1-not-a-share-last"); // the fifth refusal in a row: locked
    assertThat(seal.offer(shares.get(1))).isEqualTo(KeySeal.Outcome.LOCKED_OUT);
    clock.advance(KeySeal.LOCKOUT);
    for (int i = 0; i < KeySeal.MAX_FAILURES - 1; i++) {
      assertThat(seal.offer("tvshare1-again-" + i)).isEqualTo(KeySeal.Outcome.INVALID_SHARE);
    }
    assertThat(seal.offer(shares.get(1))).isNotEqualTo(KeySeal.Outcome.LOCKED_OUT);
  }
}
