package dev.tokenvault.server.auth;

/**
 * Fired (synchronously, CDI {@code Event.fire}) by {@link BearerAuthFilter} on every refused
 * request, for detectors of failed-authentication spikes. Observers run on the request's thread,
 * which may be a Vert.x event loop: they must be quick and must not block.
 *
 * @param reason an {@link AuthFailureReason#tag()} ({@code missing}, {@code expired}, ...)
 * @param clientId the {@code client_id}/{@code azp} of the token: from an unverified token only
 *     if it parsed (so an attacker can name any client), else null
 * @param sourceIp the caller's address
 * @param at when the request was refused
 */
public record AuthenticationFailed(String reason, String clientId, String sourceIp, java.time.Instant at) {}
