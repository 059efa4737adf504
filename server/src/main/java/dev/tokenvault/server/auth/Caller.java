package dev.tokenvault.server.auth;

import dev.tokenvault.core.value.Namespace;
import java.time.Instant;
import java.util.Set;

/**
 * A verified bearer token, reduced to what the vault uses: who ({@code sub}), which client
 * ({@code client_id}, else {@code azp}), which scopes, which namespace, until when, and, for an
 * RFC 8705 certificate-bound token, the SHA-256 thumbprint of the client certificate it is bound
 * to ({@code cnf.x5t#S256}, base64url; null for a plain bearer token).
 */
public record Caller(
    String subject,
    String clientId,
    Set<String> scopes,
    Namespace namespace,
    Instant expiresAt,
    String certificateThumbprint) {

  public Caller {
    scopes = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(scopes));
  }

  /** A caller of a token that is not certificate-bound. */
  public Caller(String subject, String clientId, Set<String> scopes, Namespace namespace, Instant expiresAt) {
    this(subject, clientId, scopes, namespace, expiresAt, null);
  }

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }
}
