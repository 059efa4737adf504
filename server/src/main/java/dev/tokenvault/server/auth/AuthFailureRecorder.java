package dev.tokenvault.server.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes refused requests visible: the Micrometer counters {@code tokenvault.auth.failures}
 * (tag {@code reason}), {@code tokenvault.ratelimit.hits} (tag {@code limit}) and {@code
 * tokenvault.auth.lockouts}, and the CDI event {@link AuthenticationFailed} for detectors. Tags
 * are fixed vocabularies, never caller input, so the series count stays bounded.
 */
@Singleton
public class AuthFailureRecorder {
  public static final String FAILURES = "tokenvault.auth.failures";
  public static final String RATE_LIMIT_HITS = "tokenvault.ratelimit.hits";
  public static final String LOCKOUTS = "tokenvault.auth.lockouts";

  private final Map<AuthFailureReason, Counter> failures = new EnumMap<>(AuthFailureReason.class);
  private final Map<String, Counter> hits = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Counter lockouts;
  private final Event<AuthenticationFailed> events;
  private final Clock clock;

  @Inject
  public AuthFailureRecorder(MeterRegistry registry, Event<AuthenticationFailed> events, Clock clock) {
    this.registry = registry;
    this.events = events;
    this.clock = clock;
    for (AuthFailureReason r : AuthFailureReason.values()) {
      failures.put(r, Counter.builder(FAILURES).tag("reason", r.tag())
          .description("requests refused by the resource server, by reason").register(registry));
    }
    this.lockouts = Counter.builder(LOCKOUTS)
        .description("client ids or source addresses locked out after repeated failures").register(registry);
  }

  /** Counts a refused request and fires {@link AuthenticationFailed} (synchronously). */
  public void failed(AuthFailureReason reason, String unverifiedClientId, String sourceIp) {
    failures.get(reason).increment();
    events.fire(new AuthenticationFailed(reason.tag(), unverifiedClientId, sourceIp, clock.instant()));
  }

  /** Counts a request refused by a limit ({@code client}, {@code auth_lockout}). */
  public void rateLimited(String limit) {
    hits.computeIfAbsent(limit, l -> Counter.builder(RATE_LIMIT_HITS).tag("limit", l)
        .description("requests answered 429 by a rate limit").register(registry)).increment();
  }

  public void lockedOut() {
    lockouts.increment();
  }
}
