package dev.tokenvault.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  /** 10 requests per second, bursts of 20. */
  final RateLimiter limiter = new RateLimiter(true, 10, 20, nanos::get);

  @Test
  void aClientMayBurstThenGetsTheSustainedRate() {
    for (int i = 0; i < 20; i++) {
      assertThat(limiter.check("merchant")).as("request %d", i).isZero();
    }
    Duration wait = limiter.check("merchant");
    assertThat(wait).isEqualTo(Duration.ofMillis(100));
    assertThat(limiter.check("admin")).as("another client has its own bucket").isZero();
    nanos.addAndGet(Duration.ofMillis(100).toNanos());
    assertThat(limiter.check("merchant")).isZero();
    assertThat(limiter.check("merchant")).isPositive();
    nanos.addAndGet(Duration.ofSeconds(10).toNanos());
    for (int i = 0; i < 20; i++) {
      assertThat(limiter.check("merchant")).isZero();
    }
    assertThat(limiter.check("merchant")).isPositive();
  }

  @Test
  void disabledLetsEverythingThrough() {
    RateLimiter off = new RateLimiter(false, 1, 1, nanos::get);
    for (int i = 0; i < 100; i++) {
      assertThat(off.check("merchant")).isZero();
    }
  }
}
