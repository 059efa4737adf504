package dev.tokenvault.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenvault.server.bootstrap.DevClients;
import dev.tokenvault.server.bootstrap.DevIssuerKey;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import jakarta.inject.Inject;

/**
 * The development OAuth2 issuer: client credentials (RFC 6749 §4.4) for the clients in {@code
 * dev-clients.json}, RS256 access tokens (RFC 9068 claims) signed with the key made at first
 * start. On only while {@code tokenvault.auth.issuer} is unset.
 *
 * <h2>Secrets</h2>
 *
 * Client secrets are kept in memory only as SHA-256 digests and compared with {@link
 * MessageDigest#isEqual} (constant time). An unknown client id costs the same digest as a known
 * one. The secrets are 256-bit random strings, so a fast hash is enough (no password hashing).
 */
@ApplicationScoped
public class DevIssuer {
  /** The {@code iss} of dev tokens: fixed, so tokens do not depend on the port. */
  public static final String ISSUER = "tokenvault-dev";
  /** Access token lifetime (RFC 9068 suggests short-lived tokens). */
  static final Duration TOKEN_LIFETIME = Duration.ofMinutes(15);

  @ConfigProperty(name = "tokenvault.auth.issuer")
  Optional<String> externalIssuer;

  @ConfigProperty(name = "tokenvault.auth.audience")
  String audience;

  @ConfigProperty(name = "tokenvault.data-dir")
  String dataDir;

  @Inject Clock clock;

  private RSAKey key;
  private String publicJwks;
  private final Map<String, ClientEntry> clients = new HashMap<>();
  private final byte[] dummyDigest = sha256("not a client secret");

  record ClientEntry(String clientId, byte[] secretDigest, List<String> scopes) {}

  /** A token endpoint answer. */
  public record Issued(String accessToken, long expiresIn, String scope) {}

  /** Why a token request failed, as RFC 6749 §5.2 names it. */
  public static final class OAuthError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String error;
    final int status;

    OAuthError(int status, String error, String description) {
      super(description, null, false, false);
      this.status = status;
      this.error = error;
    }
  }

  @PostConstruct
  void load() {
    if (!enabled()) {
      return;
    }
    Path dir = Path.of(dataDir);
    key = DevIssuerKey.load(dir);
    publicJwks = new JWKSet(key.toPublicJWK()).toString();
    for (DevClients.Client c : DevClients.load(dir)) {
      clients.put(c.clientId(), new ClientEntry(c.clientId(), sha256(c.clientSecret()), List.copyOf(c.scopes())));
    }
  }

  public boolean enabled() {
    return externalIssuer.isEmpty() || externalIssuer.get().isBlank();
  }

  public String jwks() {
    return publicJwks;
  }

  /**
   * Authenticates the client and issues a token with the requested scopes (all of the client's
   * when {@code requestedScope} is null). Throws {@link OAuthError}.
   */
  public Issued issue(String clientId, String clientSecret, String requestedScope) {
    return issue(clientId, clientSecret, requestedScope, null);
  }

  /**
   * As {@link #issue(String, String, String)}; with {@code certificateThumbprint} (the SHA-256 of
   * the client's TLS certificate, base64url) the token is certificate-bound ({@code
   * cnf.x5t#S256}, RFC 8705 §3.1) and only accepted over a connection with that certificate.
   */
  public Issued issue(String clientId, String clientSecret, String requestedScope,
      String certificateThumbprint) {
    ClientEntry c = clientId == null ? null : clients.get(clientId);
    byte[] presented = sha256(clientSecret == null ? "" : clientSecret);
    boolean ok = MessageDigest.isEqual(c == null ? dummyDigest : c.secretDigest(), presented);
    if (c == null || !ok) {
      throw new OAuthError(401, "invalid_client", "client authentication failed");
    }
    Set<String> granted = new LinkedHashSet<>();
    if (requestedScope == null) {
      granted.addAll(c.scopes());
    } else {
      for (String s : requestedScope.trim().split(" +")) {
        if (s.isEmpty()) {
          continue;
        }
        if (!c.scopes().contains(s)) {
          throw new OAuthError(400, "invalid_scope", "the client may not request the scope " + safe(s));
        }
        granted.add(s);
      }
      if (granted.isEmpty()) {
        throw new OAuthError(400, "invalid_scope", "the scope parameter is empty");
      }
    }
    return sign(c.clientId(), String.join(" ", granted), certificateThumbprint);
  }

  /**
   * A scope-less token for the start-up self-check: verifying it proves that the resource server
   * trusts this issuer's key, and loads that key before the first request.
   */
  public String selfCheckToken() {
    return sign("tokenvault-self-check", "", null).accessToken();
  }

  private Issued sign(String clientId, String scope, String certificateThumbprint) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(audience)
        .subject(clientId)
        .claim("client_id", clientId)
        .claim("scope", scope)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(TOKEN_LIFETIME)))
        .jwtID(UUID.randomUUID().toString());
    if (certificateThumbprint != null) {
      b.claim("cnf", Map.of(ClaimsValidator.X5T_S256, certificateThumbprint));
    }
    JWTClaimsSet claims = b.build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a dev token", e);
    }
    return new Issued(jwt.serialize(), TOKEN_LIFETIME.toSeconds(), scope);
  }

  /** A scope name as it may be echoed: RFC 6749 scope-token characters only, short. */
  private static String safe(String s) {
    String cut = s.length() > 64 ? s.substring(0, 64) : s;
    return cut.replaceAll("[^\\x21\\x23-\\x5B\\x5D-\\x7E]", "?");
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
