package dev.tokenvault.server.health;

import dev.tokenvault.server.wiring.KeySeal;
import dev.tokenvault.server.wiring.VaultProducer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while the local key file is sealed under key shares and not yet unsealed. */
@Readiness
@ApplicationScoped
public class SealReadiness implements HealthCheck {
  @Inject VaultProducer vault;

  @Override
  public HealthCheckResponse call() {
    KeySeal seal = vault.seal();
    if (seal != null && seal.sealed()) {
      return HealthCheckResponse.named("keys").down().withData("reason", "sealed").build();
    }
    return HealthCheckResponse.up("keys");
  }
}
