package dev.tokenvault.server.monitoring;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.server.auth.AuthenticationFailed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The in-process detectors ({@link DetectorEngine}) wired to their inputs (the vault's listener,
 * {@link AuthenticationFailed} events) and to what an alert does: a {@code SecurityAlert} audit
 * event, the counter {@code tokenvault.security.alerts{detector}}, and one {@code WARN} line on
 * the logger {@code tokenvault.security}. The audit append is not awaited: an alert must not slow
 * the request that tripped it, and an alert about a failing audit trail could not wait for it.
 */
@ApplicationScoped
public class Detectors {
  private static final Logger SECURITY = Logger.getLogger("tokenvault.security");

  @Inject MeterRegistry registry;
  @Inject Clock clock;
  @Inject Instance<AuditLog> auditLog;

  @ConfigProperty(name = "tokenvault.detectors.auth-failures.threshold", defaultValue = "20")
  int authFailureThreshold;

  @ConfigProperty(name = "tokenvault.detectors.auth-failures.window", defaultValue = "60s")
  Duration authFailureWindow;

  @ConfigProperty(name = "tokenvault.detectors.detokenize.min-per-minute", defaultValue = "100")
  int detokenizeMinPerMinute;

  @ConfigProperty(name = "tokenvault.detectors.detokenize.baseline-factor", defaultValue = "10")
  double detokenizeBaselineFactor;

  @ConfigProperty(name = "tokenvault.detectors.distinct-tokens.per-minute", defaultValue = "50")
  int distinctTokensPerMinute;

  @ConfigProperty(name = "tokenvault.detectors.cooldown", defaultValue = "5m")
  Duration cooldown;

  private DetectorEngine engine;
  private final Map<String, Counter> alertCounters = new ConcurrentHashMap<>();

  @PostConstruct
  void init() {
    DetectorSettings settings = new DetectorSettings(authFailureThreshold, authFailureWindow,
        detokenizeMinPerMinute, detokenizeBaselineFactor, distinctTokensPerMinute, cooldown);
    engine = new DetectorEngine(settings, clock, this::alert, (client, window) ->
        Gauge.builder(Meters.DISTINCT_TOKENS, window, DetectorEngine.ClientWindow::lastMinuteDistinct)
            .description("distinct tokens a client detokenized in the last complete minute")
            .tag("client", client)
            .register(registry));
    for (String d : new String[] {"auth_failure_burst", "detokenize_rate", "token_walk",
        "integrity_failure", "audit_failure"}) {
      counter(d);
    }
  }

  private Counter counter(String detector) {
    return alertCounters.computeIfAbsent(detector, d -> Counter.builder(Meters.SECURITY_ALERTS)
        .description("security alerts raised by the in-process detectors")
        .tag("detector", d)
        .register(registry));
  }

  void onAuthenticationFailed(@Observes AuthenticationFailed e) {
    engine.authenticationFailed(e.reason());
  }

  public void detokenized(String clientId, String token) {
    engine.detokenized(clientId, token);
  }

  public void integrityFailure(String code) {
    engine.integrityFailure(code);
  }

  public void auditFailure(String what) {
    engine.auditFailure(what);
  }

  private void alert(String detector, String subject, String detail) {
    counter(detector).increment();
    SECURITY.warnf("security_alert detector=%s subject=%s detail=\"%s\"", detector,
        DetectorEngine.safe(subject), detail);
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("alert:detector", detector);
    fields.put("alert:subject", DetectorEngine.safe(subject));
    AuditEvent event = AuditEvent.builder(AuditAction.SECURITY_ALERT,
            RequestContext.system("alert-" + UUID.randomUUID()), clock.instant())
        .encryptionContext(fields)
        .build();
    try {
      auditLog.get().append(event).whenComplete((v, e) -> {
        if (e != null) {
          SECURITY.warnf("security_alert not audited detector=%s: %s", detector,
              e.getClass().getSimpleName());
        }
      });
    } catch (RuntimeException e) {
      SECURITY.warnf("security_alert not audited detector=%s: %s", detector,
          e.getClass().getSimpleName());
    }
  }
}
