package dev.tokenvault.server.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevPkiTest {
  @TempDir Path tmp;

  @Test
  void firstStartCreatesOwnerOnlyCaServerAndClientCertificates() throws Exception {
    Path dir = tmp.resolve("tls");
    DevPki pki = new DevPki(dir, Clock.systemUTC());
    assertThat(pki.ensure()).isTrue();
    for (String f : List.of("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))))
          .as(f).isEqualTo("rw-------");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");

    X509Certificate ca = DevPki.readCert(dir.resolve("ca.pem"));
    X509Certificate server = DevPki.readCert(dir.resolve("server.pem"));
    X509Certificate client = DevPki.readCert(dir.resolve("client.pem"));
    server.verify(ca.getPublicKey());
    client.verify(ca.getPublicKey());
    assertThat(ca.getBasicConstraints()).isEqualTo(0);
    assertThat(server.getBasicConstraints()).isEqualTo(-1);
    assertThat(server.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(server.getSubjectAlternativeNames())
        .extracting(l -> l.get(1).toString())
        .contains("localhost", "127.0.0.1");
    assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(DevPki.readKey(dir.resolve("server-key.pem")).getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void laterStartsReuseTheFiles() throws Exception {
    Path dir = tmp.resolve("tls");
    new DevPki(dir, Clock.systemUTC()).ensure();
    byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] server = Files.readAllBytes(dir.resolve("server.pem"));
    assertThat(new DevPki(dir, Clock.systemUTC()).ensure()).isFalse();
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(ca);
    assertThat(Files.readAllBytes(dir.resolve("server.pem"))).isEqualTo(server);
  }

  @Test
  void aLeafNearItsExpiryIsReissuedUnderTheSameCa() throws Exception {
    Path dir = tmp.resolve("tls");
    new DevPki(dir, Clock.systemUTC()).ensure();
    byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] server = Files.readAllBytes(dir.resolve("server.pem"));
    Clock later = Clock.fixed(Instant.now().plus(DevPki.LEAF_VALIDITY).minus(Duration.ofDays(10)), ZoneOffset.UTC);
    assertThat(new DevPki(dir, later).ensure()).isTrue();
    assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(ca);
    assertThat(Files.readAllBytes(dir.resolve("server.pem"))).isNotEqualTo(server);
    DevPki.readCert(dir.resolve("server.pem")).verify(DevPki.readCert(dir.resolve("ca.pem")).getPublicKey());
  }
}
