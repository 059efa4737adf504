package dev.tokenvault.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Keycloak (the Maven Central distribution {@code org.keycloak:keycloak-quarkus-dist},
 * unpacked by the build into {@code target/keycloak}) in dev mode on free loopback ports, with an
 * in-memory database and a realm imported at start: one client scope per vault scope (included in
 * the token's {@code scope}), confidential service-account clients with an audience mapper. Client
 * secrets and the admin password are random per run and never printed.
 */
final class Keycloak implements AutoCloseable {
  static final String REALM = "tokenvault";
  static final List<String> SCOPES = List.of("payments.tokenize", "payments.create", "payments.read",
      "payments.detokenize", "audit.read", "keys.admin");
  /** A generous bound for a cold start on a loaded 2-core machine, not a measurement. */
  private static final long START_LIMIT_MILLIS = 300_000;

  final int port = VaultServer.freePort();
  final String base = "http://127.0.0.1:" + port;
  final String issuer = base + "/realms/" + REALM;
  private final Map<String, String> secrets;
  private final String adminPassword = randomSecret();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Path log;
  private Process process;

  /** Starts Keycloak with the clients named in {@code clients} (id → default scopes). */
  Keycloak(Path workDir, Map<String, List<String>> clients) {
    String home = System.getProperty("tokenvault.keycloak.home");
    if (home == null || !Files.isRegularFile(Path.of(home, "bin", "kc.sh"))) {
      throw new AssertionError("Keycloak distribution not found at " + home
          + " (the server module's build unpacks it in pre-integration-test)");
    }
    Map<String, String> s = new java.util.HashMap<>();
    clients.keySet().forEach(c -> s.put(c, randomSecret()));
    this.secrets = Map.copyOf(s);
    try {
      Files.createDirectories(workDir);
      this.log = workDir.resolve("keycloak.log");
      // --import-realm reads the realm files from the distribution's data/import
      Path importDir = Path.of(home, "data", "import");
      Files.createDirectories(importDir);
      Files.writeString(importDir.resolve("realm.json"), realm(clients).toString());
      List<String> cmd = new ArrayList<>(List.of("bash", Path.of(home, "bin", "kc.sh").toString(), "start-dev",
          "--http-host=127.0.0.1", "--http-port=" + port,
          "--http-management-port=" + VaultServer.freePort(),
          "--db=dev-mem", "--import-realm", "--cache=local"));
      ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      b.environment().put("JAVA_HOME", System.getProperty("java.home"));
      b.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
      b.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
      b.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
      process = b.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitRealm();
  }

  private static String randomSecret() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private ObjectNode realm(Map<String, List<String>> clients) {
    ObjectNode realm = Http.JSON.createObjectNode();
    realm.put("realm", REALM).put("enabled", true);
    ArrayNode scopes = realm.putArray("clientScopes");
    for (String s : SCOPES) {
      ObjectNode scope = scopes.addObject().put("name", s).put("protocol", "openid-connect");
      scope.putObject("attributes").put("include.in.token.scope", "true")
          .put("display.on.consent.screen", "false");
    }
    ArrayNode cs = realm.putArray("clients");
    clients.forEach((id, granted) -> {
      ObjectNode c = cs.addObject().put("clientId", id).put("enabled", true).put("publicClient", false)
          .put("secret", secrets.get(id)).put("serviceAccountsEnabled", true)
          .put("standardFlowEnabled", false).put("directAccessGrantsEnabled", false)
          .put("fullScopeAllowed", false);
      ObjectNode aud = c.putArray("protocolMappers").addObject().put("name", "vault audience")
          .put("protocol", "openid-connect").put("protocolMapper", "oidc-audience-mapper");
      aud.putObject("config").put("included.custom.audience", "tokenvault")
          .put("access.token.claim", "true").put("id.token.claim", "false");
      ArrayNode defaults = c.putArray("defaultClientScopes");
      granted.forEach(defaults::add);
      c.putArray("optionalClientScopes");
    });
    return realm;
  }

  private void awaitRealm() {
    long deadline = System.currentTimeMillis() + START_LIMIT_MILLIS;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("Keycloak exited with " + process.exitValue() + "; see " + log);
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create(issuer + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    throw new AssertionError("Keycloak did not serve the realm in time; see " + log);
  }

  /** A client-credentials access token of {@code clientId} (RFC 6749 §4.4). */
  String token(String clientId) {
    HttpResponse<String> r = post(issuer + "/protocol/openid-connect/token",
        form(Map.of("grant_type", "client_credentials", "client_id", clientId,
            "client_secret", secrets.get(clientId))), null);
    if (r.statusCode() != 200) {
      throw new AssertionError("Keycloak token endpoint answered " + r.statusCode());
    }
    return Http.json(r).get("access_token").asText();
  }

  /**
   * Rotates the realm's signing key through the admin REST API: a new generated RSA key with a
   * higher priority than the default one, so it signs every new token. Returns the new kid.
   */
  String rotateSigningKey() {
    HttpResponse<String> t = post(base + "/realms/master/protocol/openid-connect/token",
        form(Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin",
            "password", adminPassword)), null);
    if (t.statusCode() != 200) {
      throw new AssertionError("admin token: " + t.statusCode());
    }
    String admin = Http.json(t).get("access_token").asText();
    String realmId = Http.json(get(base + "/admin/realms/" + REALM, admin)).get("id").asText();
    ObjectNode component = Http.JSON.createObjectNode().put("name", "rotated-" + System.nanoTime())
        .put("providerId", "rsa-generated").put("providerType", "org.keycloak.keys.KeyProvider")
        .put("parentId", realmId);
    ObjectNode config = component.putObject("config");
    config.putArray("priority").add("1000");
    config.putArray("enabled").add("true");
    config.putArray("active").add("true");
    config.putArray("algorithm").add("RS256");
    config.putArray("keySize").add("2048");
    HttpResponse<String> c = send(HttpRequest.newBuilder(URI.create(base + "/admin/realms/" + REALM + "/components"))
        .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(component.toString())).build());
    if (c.statusCode() != 201) {
      throw new AssertionError("creating the key provider answered " + c.statusCode());
    }
    JsonNode keys = Http.json(get(base + "/admin/realms/" + REALM + "/keys", admin));
    return keys.get("active").get("RS256").asText();
  }

  private HttpResponse<String> get(String url, String bearer) {
    return send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer).GET().build());
  }

  private HttpResponse<String> post(String url, String form, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return send(b.build());
  }

  private HttpResponse<String> send(HttpRequest r) {
    try {
      return http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String form(Map<String, String> fields) {
    StringBuilder b = new StringBuilder();
    fields.forEach((k, v) -> {
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
    });
    return b.toString();
  }

  @Override
  public void close() {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
