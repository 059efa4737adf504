package dev.tokenvault.server.capture;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Single use of capture sessions: remembers each used {@code jti} until its session expires.
 *
 * <h2>Where: in memory, one vault node</h2>
 *
 * The set lives in this process. That is exact for a single node (the embedded SQLite vault is one
 * by construction) and for nodes behind a load balancer with session affinity; without affinity a
 * session replayed to another node within its lifetime (at most 15 minutes) is not detected. What
 * such a replay gains: the same card tokenized again into the same merchant's namespace, and the
 * response (token, last 4, scheme, expiry) — the JWE's sender already knew all of it. A restart
 * forgets the set: sessions issued before it can be replayed until they expire.
 *
 * <h2>Bounded, failing closed</h2>
 *
 * At most {@code capacity} entries. Expired entries are dropped every {@link #SWEEP_EVERY} uses
 * and whenever the set is full; if it is still full, new captures are refused ({@code
 * capture_busy}, 503) rather than forgetting a live {@code jti}, which would allow a replay.
 */
final class ReplayGuard {
  /** Uses between two sweeps of expired entries: amortises the O(n) sweep. */
  static final int SWEEP_EVERY = 1024;

  private final ConcurrentHashMap<String, Instant> used = new ConcurrentHashMap<>();
  private final AtomicInteger sinceSweep = new AtomicInteger();
  private final int capacity;
  private final Clock clock;

  ReplayGuard(int capacity, Clock clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
    this.clock = clock;
  }

  /**
   * Records the first use of {@code jti} (kept until {@code forgetAfter}); throws {@code
   * capture_session_replayed} if it was used before, {@code capture_busy} if the set is full.
   */
  void firstUse(String jti, Instant forgetAfter) {
    if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
      sinceSweep.set(0);
      sweep();
    }
    if (used.size() >= capacity && !used.containsKey(jti)) {
      sweep();
      if (used.size() >= capacity) {
        throw CaptureException.busy();
      }
    }
    if (used.putIfAbsent(jti, forgetAfter) != null) {
      throw CaptureException.replayed();
    }
  }

  int size() {
    return used.size();
  }

  private void sweep() {
    Instant now = clock.instant();
    used.values().removeIf(until -> until.isBefore(now));
  }
}
