package dev.tokenvault.server.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Per-client request rate limits: one {@link TokenBucket} per OAuth2 client id (else subject),
 * {@code tokenvault.rate-limit.client.requests-per-second} sustained with bursts up to {@code
 * tokenvault.rate-limit.client.burst}. In memory, per vault node (N nodes allow N times the rate);
 * checked after authentication, so an unauthenticated flood cannot spend a client's budget.
 * Idle buckets are forgotten after {@link #IDLE}, which only ever gives a client a full bucket.
 */
@Singleton
public class RateLimiter {
  /** A bucket idle this long is full again anyway at any sane rate: dropping it is free. */
  static final Duration IDLE = Duration.ofMinutes(10);
  /** Bounds memory against a flood of distinct client ids (they are verified, so it is generous). */
  static final long MAX_CLIENTS = 100_000;

  private final boolean enabled;
  private final double rate;
  private final double burst;
  private final LongSupplier nanos;
  private final Cache<String, TokenBucket> buckets =
      Caffeine.newBuilder().expireAfterAccess(IDLE).maximumSize(MAX_CLIENTS).build();

  @Inject
  public RateLimiter(
      @ConfigProperty(name = "tokenvault.rate-limit.enabled", defaultValue = "true") boolean enabled,
      @ConfigProperty(name = "tokenvault.rate-limit.client.requests-per-second", defaultValue = "1000") double rate,
      @ConfigProperty(name = "tokenvault.rate-limit.client.burst", defaultValue = "2000") double burst) {
    this(enabled, rate, burst, System::nanoTime);
  }

  RateLimiter(boolean enabled, double rate, double burst, LongSupplier nanos) {
    if (enabled && (rate <= 0 || burst < 1)) {
      throw new IllegalStateException("tokenvault.rate-limit.client.requests-per-second must be > 0"
          + " and tokenvault.rate-limit.client.burst >= 1");
    }
    this.enabled = enabled;
    this.rate = rate;
    this.burst = burst;
    this.nanos = nanos;
  }

  /** Zero when the client may go ahead, else how long it should wait (for {@code Retry-After}). */
  public Duration check(String client) {
    if (!enabled) {
      return Duration.ZERO;
    }
    long now = nanos.getAsLong();
    TokenBucket b = buckets.get(client, k -> new TokenBucket(burst, rate, now));
    return Duration.ofNanos(b.tryTake(now));
  }
}
