package dev.tokenvault.server.health;

import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.AuditQuery;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the store answers a one-event audit read, without blocking the event loop. Down
 * (503 on {@code /health/ready}) while the store cannot be read, so a load balancer stops
 * sending traffic the vault could only answer with 503.
 */
@Readiness
@ApplicationScoped
public class StoreReadiness implements AsyncHealthCheck {
  /** A healthy store answers in milliseconds; longer than this counts as down. */
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Inject AuditLog auditLog;

  @Override
  public Uni<HealthCheckResponse> call() {
    return Uni.createFrom().completionStage(() -> auditLog.query(AuditQuery.all(1)))
        .ifNoItem().after(TIMEOUT).fail()
        .map(events -> HealthCheckResponse.up("store"))
        .onFailure().recoverWithItem(e -> HealthCheckResponse.named("store").down()
            .withData("reason", e.getClass().getSimpleName()).build());
  }
}
