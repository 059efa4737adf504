package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenvault.server.bootstrap.DevPki;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tokenvault.tls.client-auth=need}: a client without a certificate from the trusted CA
 * (default: the dev CA) cannot connect; the demo client certificate can, and its subject is
 * recorded in the audit trail. With {@code want}, certificate-bound tokens (RFC 8705): the dev
 * issuer binds a token requested over mTLS to the client's certificate, and the vault refuses it
 * without that certificate or with another certificate of the same CA.
 */
class MutualTlsIT {

  /** On either TLS engine: the default (OpenSSL where it loads) and the JDK's. */
  @ParameterizedTest
  @ValueSource(strings = {"auto", "jdk"})
  void needRequiresTheDemoClientCertificateAndAuditsItsSubject(String engine) {
    try (VaultServer server = VaultServer.fresh("mtls-" + engine,
        Map.of("tokenvault.tls.client-auth", "need", "tokenvault.tls.engine", engine))) {
      server.start();
      Http anonymousTls = new Http("https://localhost:" + server.port, server.dataDir.resolve("tls/ca.pem"));
      assertThatThrownBy(() -> anonymousTls.get("/health", null)).isInstanceOf(RuntimeException.class);

      String tok = DevTokens.token(server, "payments.tokenize audit.read");
      String token = Http.json(server.http().postJson("/v1/tokens", tok,
          "{\"type\":\"account\",\"value\":\"1234567890123456\"}")).get("token").asText();
      JsonNode events = Http.json(server.http().get("/v1/audit?eventName=Tokenize&token=" + token, tok))
          .get("events");
      assertThat(events).hasSize(1);
      assertThat(events.get(0).get("clientCertSubject").asText()).contains("CN=tokenvault demo client");
      server.stop();
      assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
    }
  }

  @Test
  void aCertificateBoundTokenIsRefusedWithoutItsCertificate() throws IOException {
    try (VaultServer server = VaultServer.fresh("mtls-bound", Map.of("tokenvault.tls.client-auth", "want"))) {
      server.start();
      Path tls = server.dataDir.resolve("tls");
      String base = "https://localhost:" + server.port;
      Http demo = new Http(base, Http.withClientCertificate(tls));
      Http noCert = new Http(base, tls.resolve("ca.pem"));
      // another client certificate from the same (trusted) CA
      Path other = server.dataDir.getParent().resolve("other-client");
      Files.createDirectories(other);
      for (String f : List.of("ca.pem", "ca-key.pem", "server.pem", "server-key.pem")) {
        Files.copy(tls.resolve(f), other.resolve(f));
      }
      new DevPki(other, Clock.systemUTC()).ensure();
      Http otherCert = new Http(base, Http.withClientCertificate(other));

      HttpResponse<String> issued = demo.postForm("/oauth2/token",
          "grant_type=client_credentials&scope=payments.read",
          DevTokens.basic("merchant", DevTokens.secret(server.dataDir, "merchant")));
      String bound = Http.json(issued).get("access_token").asText();
      JsonNode claims = Http.JSON.readTree(new String(
          Base64.getUrlDecoder().decode(bound.split("\\.")[1]), StandardCharsets.UTF_8));
      assertThat(claims.get("cnf").get("x5t#S256").asText()).isNotBlank();

      String path = "/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA";
      assertThat(demo.get(path, bound).statusCode()).as("with its certificate").isEqualTo(404);
      for (HttpResponse<String> r : List.of(noCert.get(path, bound), otherCert.get(path, bound))) {
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).contains("error=\"invalid_token\"");
      }
      // a token requested without a certificate is a plain bearer token
      String plain = DevTokens.token(server, "merchant", "payments.read");
      assertThat(noCert.get(path, plain).statusCode()).isEqualTo(404);

      // the refusals are audited with the presented certificate's subject
      String admin = Http.json(demo.postForm("/oauth2/token", "grant_type=client_credentials&scope=audit.read",
          DevTokens.basic("admin", DevTokens.secret(server.dataDir, "admin")))).get("access_token").asText();
      JsonNode events = Http.json(demo.get("/v1/audit?eventName=AuthFailure&outcome=denied", admin)).get("events");
      assertThat(events).anySatisfy(e -> {
        assertThat(e.path("errorCode").asText("")).isEqualTo("certificate_binding");
        assertThat(e.path("clientCertSubject").asText("")).contains("CN=tokenvault demo client");
      });
      server.stop();
      assertThat(LeakScan.findings(List.of(server.dataDir, server.log))).isEmpty();
    }
  }
}
