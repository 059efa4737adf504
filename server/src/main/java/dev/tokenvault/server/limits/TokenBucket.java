package dev.tokenvault.server.limits;

/**
 * A token bucket (the classic rate limiter: {@code capacity} tokens, refilled continuously at
 * {@code ratePerSecond}; a request takes one). Written here rather than taken from Bucket4j
 * because Bucket4j is not served by this project's package registry, and the single-node,
 * in-memory case is a few lines: one lock per bucket, held for a subtraction. Time comes from a
 * nanosecond source so tests control it.
 */
public final class TokenBucket {
  private final double capacity;
  private final double perNano;
  private double tokens;
  private long last;

  public TokenBucket(double capacity, double ratePerSecond, long nowNanos) {
    if (capacity < 1 || ratePerSecond <= 0) {
      throw new IllegalArgumentException("capacity must be >= 1 and rate > 0");
    }
    this.capacity = capacity;
    this.perNano = ratePerSecond / 1e9;
    this.tokens = capacity;
    this.last = nowNanos;
  }

  /**
   * Takes one token. Returns 0 when granted, else the nanoseconds until one token is available
   * (the request is refused and nothing is taken).
   */
  public synchronized long tryTake(long nowNanos) {
    long elapsed = nowNanos - last;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * perNano);
      last = nowNanos;
    }
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / perNano));
  }
}
