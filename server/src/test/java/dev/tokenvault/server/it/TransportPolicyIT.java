package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The transport policy over the wire: TLS 1.2 and 1.3 only, forward-secret AEAD suites only
 * (checked with a JSSE client offering one protocol or suite at a time, in its own JVM, see
 * {@link TlsProbe}); HSTS on every answer; header and body size limits answered as problems; and
 * nothing of Quarkus' own {@code /q/} tree (metrics) served. All of it on the default TLS engine
 * (OpenSSL where it loads, as on Linux x86-64) and, in {@link TransportPolicyJdkEngineIT}, on the
 * JDK's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransportPolicyIT {
  VaultServer server;
  Http http;

  @BeforeAll
  void start() {
    server = VaultServer.fresh("transport", engineSetting()).start();
    http = server.http();
  }

  /** The server's {@code tokenvault.tls.engine} setting: none, the default. */
  Map<String, String> engineSetting() {
    return Map.of();
  }

  /** What the server logs at start about the engine it uses. */
  String engineLogLine() {
    return "HTTPS uses OpenSSL (BoringSSL)";
  }

  @Test
  void theExpectedTlsEngineServes() {
    assertThat(server.logText()).contains(engineLogLine());
  }

  @AfterAll
  void stop() {
    server.stop();
  }

  String probe(String protocol, String suite) {
    Path classes;
    try {
      classes = Path.of(TlsProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classes.toString(),
        TlsProbe.class.getName(), Integer.toString(server.port),
        server.dataDir.resolve("tls/ca.pem").toString(), protocol));
    if (suite != null) {
      cmd.add(suite);
    }
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void onlyTls12And13WithForwardSecretAeadSuites() {
    assertThat(probe("TLSv1.3", null)).startsWith("OK TLSv1.3");
    assertThat(probe("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).startsWith("OK TLSv1.2");
    assertThat(probe("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")).startsWith("OK TLSv1.2");
    // refused by the server (a fatal alert from it), not merely unsupported by the client
    for (String old : List.of("TLSv1", "TLSv1.1")) {
      assertThat(probe(old, null)).as(old).startsWith("REFUSED").contains("Received fatal alert");
    }
    for (String weak : List.of(
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", // CBC, not AEAD
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256", // RSA key exchange: no forward secrecy
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA")) {
      assertThat(probe("TLSv1.2", weak)).as(weak).startsWith("REFUSED").contains("Received fatal alert");
    }
  }

  @Test
  void everyAnswerCarriesHsts() {
    for (HttpResponse<String> r : List.of(http.get("/health/ready", null), http.get("/v1/audit", null),
        http.get("/no/such/route", null), http.get("/openapi", null))) {
      assertThat(r.headers().firstValue("Strict-Transport-Security")).as("%d %s", r.statusCode(), r.uri())
          .contains("max-age=31536000");
    }
  }

  @Test
  void quarkusOwnEndpointsAreNotServed() {
    for (String path : List.of("/q/metrics", "/q/not-served-metrics", "/q/health", "/q/dev-ui", "/q")) {
      HttpResponse<String> r = http.get(path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.body()).doesNotContain("jvm_").doesNotContain("# TYPE");
    }
  }

  @Test
  void oversizedHeadersAre431Problems() throws Exception {
    java.net.http.HttpClient h1 = java.net.http.HttpClient.newBuilder()
        .sslContext(Http.trusting(server.dataDir.resolve("tls/ca.pem")))
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    for (java.net.http.HttpClient client : List.of(http.client, h1)) {
      HttpResponse<String> headers = client.send(http.request("/v1/audit", null)
          .header("X-Padding", "a".repeat(20_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(headers.statusCode()).as("%s", headers.version()).isEqualTo(431);
      assertThat(headers.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
      assertThat(Http.json(headers).get("code").asText()).isEqualTo("request_headers_too_large");
    }
  }

  @Test
  void oversizedBodiesAre413Problems() {
    String tok = DevTokens.token(server, "payments.tokenize");
    byte[] big = ("{\"accountNumber\":\"" + "1".repeat(20_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> declared = http.send(http.request("/tokenize", tok).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build());
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(Http.json(declared).get("code").asText()).isEqualTo("request_too_large");

    // a body of unknown length (streamed, no Content-Length) is cut at the limit too, with the
    // same problem, over HTTP/2 and over HTTP/1.1 (chunked)
    for (java.net.http.HttpClient.Version version : java.net.http.HttpClient.Version.values()) {
      Http client = new Http(http.base, Http.trusting(server.dataDir.resolve("tls/ca.pem")), version);
      HttpResponse<String> streamed = client.send(client.request("/tokenize", tok).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
      assertThat(streamed.statusCode()).as("%s", version).isEqualTo(413);
      assertThat(streamed.headers().firstValue("Content-Type").orElse("")).as("%s", version)
          .startsWith("application/problem+json");
      assertThat(Http.json(streamed).get("code").asText()).isEqualTo("request_too_large");
      assertThat(streamed.body()).doesNotContain("1111111111");
      // the client can go on (over HTTP/1.1 on a new connection: the server closed the old one)
      HttpResponse<String> next = client.send(client.request("/v1/audit", null).GET().build());
      assertThat(next.statusCode()).as("%s: the next request", version).isEqualTo(401);
    }
  }
}
