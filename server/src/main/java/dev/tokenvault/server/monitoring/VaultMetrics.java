package dev.tokenvault.server.monitoring;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.VaultListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The vault's {@link VaultListener}: counts into Micrometer and feeds the {@link Detectors}. All
 * in memory (counters are lock-free adders), nothing blocks: it runs on the request path.
 */
@ApplicationScoped
public class VaultMetrics implements VaultListener {
  @Inject MeterRegistry registry;
  @Inject Detectors detectors;

  private Counter cacheHits;
  private Counter cacheMisses;
  private final Map<String, Counter> detokenizations = new ConcurrentHashMap<>();
  private final Map<String, Counter> integrity = new ConcurrentHashMap<>();
  private final Map<String, Counter> auditFailures = new ConcurrentHashMap<>();

  @PostConstruct
  void init() {
    cacheHits = Counter.builder(Meters.DATA_KEY_CACHE).tag("result", "hit")
        .description("data-key lookups answered from the unwrapped-key cache").register(registry);
    cacheMisses = Counter.builder(Meters.DATA_KEY_CACHE).tag("result", "miss")
        .description("data-key lookups that needed the key manager").register(registry);
    integrityCounter("record_integrity_failure");
    integrityCounter("key_integrity_failure");
    auditCounter("Detokenize");
  }

  private Counter integrityCounter(String code) {
    return integrity.computeIfAbsent(code, c -> Counter.builder(Meters.INTEGRITY_FAILURES)
        .tag("code", c).description("stored data that failed authentication (AEAD, key unwrap)")
        .register(registry));
  }

  private Counter auditCounter(String event) {
    return auditFailures.computeIfAbsent(event, e -> Counter.builder(Meters.AUDIT_WRITE_FAILURES)
        .tag("event", e).description("audit events that could not be written (request refused)")
        .register(registry));
  }

  @Override
  public void detokenized(RequestContext ctx, Token token) {
    String client = ctx.clientId() == null ? "unknown" : ctx.clientId();
    detokenizations.computeIfAbsent(client, c -> Counter.builder(Meters.DETOKENIZATIONS)
        .tag("client", DetectorEngine.safe(c)).description("values revealed, per client")
        .register(registry)).increment();
    detectors.detokenized(client, token.value());
  }

  @Override
  public void integrityFailure(String code) {
    integrityCounter(DetectorEngine.safe(code)).increment();
    detectors.integrityFailure(code);
  }

  @Override
  public void auditWriteFailed(String eventName) {
    auditCounter(DetectorEngine.safe(eventName)).increment();
    detectors.auditFailure("audit write failed event=" + DetectorEngine.safe(eventName));
  }

  @Override
  public void dataKeyCacheHit() {
    cacheHits.increment();
  }

  @Override
  public void dataKeyCacheMiss() {
    cacheMisses.increment();
  }
}
