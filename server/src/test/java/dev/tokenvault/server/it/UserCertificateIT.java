package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.server.bootstrap.DevPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With {@code tokenvault.tls.cert}/{@code tokenvault.tls.key} the server presents that certificate
 * and makes no development PKI. (The certificate is made by the same generator, in a directory of
 * the test's own, standing in for one from a real CA.)
 */
class UserCertificateIT {

  @Test
  void theConfiguredCertificateIsServedAndNoDevCaIsMade() throws Exception {
    VaultServer probe = VaultServer.fresh("usercert", Map.of());
    Path own = probe.dataDir.getParent().resolve("own-pki");
    new DevPki(own, Clock.systemUTC()).ensure();
    try (VaultServer server = VaultServer.fresh("usercert", Map.of(
        "tokenvault.tls.cert", own.resolve("server.pem").toString(),
        "tokenvault.tls.key", own.resolve("server-key.pem").toString()))) {
      server.startTrusting(own.resolve("ca.pem"));
      assertThat(server.http().get("/health/ready", null).statusCode()).isEqualTo(200);
      assertThat(server.dataDir.resolve("tls")).doesNotExist();
      assertThat(Files.exists(server.dataDir.resolve("dev-clients.json"))).isTrue();
    }
  }
}
