package dev.tokenvault.server.auth;

import dev.tokenvault.core.value.Namespace;
import java.time.Instant;
import java.util.Set;

/**
 * A verified bearer token, reduced to what the vault uses: who ({@code sub}), which client
 * ({@code client_id}, else {@code azp}), which scopes, which namespace, and until when.
 */
public record Caller(
    String subject, String clientId, Set<String> scopes, Namespace namespace, Instant expiresAt) {

  public Caller {
    scopes = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(scopes));
  }

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }
}
