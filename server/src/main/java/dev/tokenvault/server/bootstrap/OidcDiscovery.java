package dev.tokenvault.server.bootstrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Finds an issuer's JWKS URI from its OpenID Connect discovery document ({@code
 * <issuer>/.well-known/openid-configuration}, OpenID Connect Discovery 1.0 §4). Runs once at
 * start-up, before the event loop exists, so the blocking call is harmless.
 */
final class OidcDiscovery {
  /** Long enough for a cold Keycloak, short enough that a wrong URL fails the start quickly. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private OidcDiscovery() {}

  static String jwksUri(String issuer) {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    URI uri = URI.create(base + "/.well-known/openid-configuration");
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
      HttpResponse<String> r = client.send(
          HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("OpenID discovery at " + uri + " answered " + r.statusCode()
            + "; set tokenvault.auth.jwks-uri or tokenvault.auth.public-key");
      }
      JsonNode doc = new ObjectMapper().readTree(r.body());
      JsonNode jwks = doc.get("jwks_uri");
      if (jwks == null || !jwks.isTextual()) {
        throw new IllegalStateException("the discovery document at " + uri + " has no jwks_uri");
      }
      return jwks.asText();
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach OpenID discovery at " + uri
          + "; set tokenvault.auth.jwks-uri or tokenvault.auth.public-key", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during OpenID discovery", e);
    }
  }
}
