package dev.tokenvault.server.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Counts failed authentications per client id and per source address, slows the answers down,
 * and locks the client or address out (PCI DSS v4.0 8.3.4: lock after at most 10 invalid
 * attempts, for at least 30 minutes or until an administrator unlocks).
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>A failure is a presented token that fails verification or a certificate-bound token
 *       without its certificate. A request without any token is not an attempt and is not counted
 *       (it is still a metric).
 *   <li>Failures older than {@code window} are forgotten; a successful authentication of a client
 *       id clears that client's count (consecutive failures, as 8.3.4 intends).
 *   <li>From the {@code slowdown-after}-th failure on, each refusal is delayed by {@code
 *       slowdown-step} times the failures past that point, at most {@link #MAX_DELAY} (without
 *       holding a thread: the answer is scheduled).
 *   <li>At {@code max-attempts} failures the key is locked for {@code lockout}: every request
 *       from that address, and every token of that client, is answered 429 until it ends.
 * </ul>
 *
 * <h2>Trade-offs</h2>
 *
 * The client id of a refused token is unverified: anyone can send forged tokens naming a client
 * and lock it out (the lockout's inherent denial-of-service, as for any account lockout). Behind a
 * proxy or NAT many clients share one source address; raise {@code max-attempts-per-address} there.
 * In memory, per node.
 */
@Singleton
public class AuthLockout {
  /** The longest a refusal is delayed, so a slowed-down answer never looks like an outage. */
  static final Duration MAX_DELAY = Duration.ofSeconds(2);
  /** Bounds memory under a flood from many addresses; evicting only forgets failures. */
  static final long MAX_TRACKED = 100_000;

  /** What a failure led to. */
  public record Verdict(int failures, boolean lockedNow, Duration delay) {}

  private static final class Entry {
    int failures;
    Instant firstAt;
    Instant lockedUntil;
  }

  private final boolean enabled;
  private final int maxPerClient;
  private final int maxPerAddress;
  private final Duration lockout;
  private final Duration window;
  private final int slowdownAfter;
  private final Duration slowdownStep;
  private final Clock clock;
  private final Cache<String, Entry> entries;

  @Inject
  public AuthLockout(
      @ConfigProperty(name = "tokenvault.rate-limit.enabled", defaultValue = "true") boolean enabled,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.max-attempts", defaultValue = "10") int maxPerClient,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.max-attempts-per-address", defaultValue = "10") int maxPerAddress,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.lockout", defaultValue = "30m") Duration lockout,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.window", defaultValue = "30m") Duration window,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.slowdown-after", defaultValue = "3") int slowdownAfter,
      @ConfigProperty(name = "tokenvault.rate-limit.auth-failures.slowdown-step", defaultValue = "100ms") Duration slowdownStep,
      Clock clock) {
    if (enabled && (maxPerClient < 1 || maxPerAddress < 1 || lockout.isNegative() || window.isNegative())) {
      throw new IllegalStateException("tokenvault.rate-limit.auth-failures.*: max-attempts must be"
          + " >= 1, lockout and window not negative");
    }
    this.enabled = enabled;
    this.maxPerClient = maxPerClient;
    this.maxPerAddress = maxPerAddress;
    this.lockout = lockout;
    this.window = window;
    this.slowdownAfter = slowdownAfter;
    this.slowdownStep = slowdownStep;
    this.clock = clock;
    Duration keep = (lockout.compareTo(window) > 0 ? lockout : window).plusMinutes(1);
    this.entries = Caffeine.newBuilder().expireAfterWrite(keep).maximumSize(MAX_TRACKED).build();
  }

  /** How long {@code address} stays locked, or zero. A map lookup: safe on the event loop. */
  public Duration addressLocked(String address) {
    return locked(address == null ? null : "ip:" + address);
  }

  /** How long {@code clientId} stays locked, or zero. */
  public Duration clientLocked(String clientId) {
    return locked(clientId == null ? null : "client:" + clientId);
  }

  private Duration locked(String key) {
    if (!enabled || key == null) {
      return Duration.ZERO;
    }
    Entry e = entries.getIfPresent(key);
    if (e == null) {
      return Duration.ZERO;
    }
    synchronized (e) {
      Instant now = clock.instant();
      return e.lockedUntil != null && now.isBefore(e.lockedUntil)
          ? Duration.between(now, e.lockedUntil) : Duration.ZERO;
    }
  }

  /** Records a failure from {@code address} naming {@code clientId} (either may be null). */
  public Verdict failure(String address, String clientId) {
    if (!enabled) {
      return new Verdict(0, false, Duration.ZERO);
    }
    Verdict a = address == null ? null : count("ip:" + address, maxPerAddress);
    Verdict c = clientId == null ? null : count("client:" + clientId, maxPerClient);
    if (a == null) {
      return c == null ? new Verdict(0, false, Duration.ZERO) : c;
    }
    if (c == null) {
      return a;
    }
    return new Verdict(Math.max(a.failures(), c.failures()), a.lockedNow() || c.lockedNow(),
        a.delay().compareTo(c.delay()) > 0 ? a.delay() : c.delay());
  }

  /** A successful authentication of {@code clientId}: its consecutive failures start again. */
  public void success(String clientId) {
    if (enabled && clientId != null) {
      Entry e = entries.getIfPresent("client:" + clientId);
      if (e != null) {
        synchronized (e) {
          if (e.lockedUntil == null) {
            e.failures = 0;
          }
        }
      }
    }
  }

  private Verdict count(String key, int max) {
    Entry e = entries.get(key, k -> new Entry());
    synchronized (e) {
      Instant now = clock.instant();
      if (e.lockedUntil != null && !now.isBefore(e.lockedUntil)) {
        e.lockedUntil = null;
        e.failures = 0;
      }
      boolean restart = e.firstAt == null || now.isAfter(e.firstAt.plus(window));
      if (restart) {
        e.firstAt = now;
        e.failures = 0;
      }
      e.failures++;
      boolean lockedNow = false;
      if (e.failures >= max && e.lockedUntil == null) {
        e.lockedUntil = now.plus(lockout);
        lockedNow = true;
      }
      if (restart || lockedNow) {
        // the entry's lifetime counts from its last write: renew it so it outlives the window or
        // the lockout that starts now
        entries.put(key, e);
      }
      return new Verdict(e.failures, lockedNow, delay(e.failures));
    }
  }

  Duration delay(int failures) {
    int past = failures - slowdownAfter;
    if (past <= 0 || slowdownStep.isZero()) {
      return Duration.ZERO;
    }
    Duration d = slowdownStep.multipliedBy(past);
    return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
  }
}
