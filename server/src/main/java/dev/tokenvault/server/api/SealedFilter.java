package dev.tokenvault.server.api;

import dev.tokenvault.server.auth.DevIssuerResource;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.wiring.KeySeal;
import dev.tokenvault.server.wiring.VaultProducer;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * While the vault is sealed (a local key file under key shares, not yet unsealed), every route
 * that may need a key answers 503 {@code vault_sealed}, before authentication: the state is
 * public anyway (readiness is down). Only the routes listed here, which need no key, stay open;
 * any route added later is closed while sealed by default.
 */
public class SealedFilter {
  /** Routes that work without keys: unseal itself, the audit trail, the dev issuer. */
  private static final Set<Class<?>> OPEN_WHILE_SEALED =
      Set.of(UnsealResource.class, AuditResource.class, DevIssuerResource.class);

  @Inject VaultProducer vault;

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION - 10)
  public Response sealed(ContainerRequestContext ctx, ResourceInfo info) {
    KeySeal seal = vault.seal();
    if (seal == null || !seal.sealed() || info.getResourceClass() == null
        || OPEN_WHILE_SEALED.contains(info.getResourceClass())) {
      return null;
    }
    return Problem.of(503, "vault_sealed",
            "the vault is sealed: key custodians must unseal it (POST /v1/unseal)")
        .toResponse();
  }
}
