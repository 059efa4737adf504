package dev.tokenvault.server.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevClientsTest {
  @TempDir Path tmp;

  @Test
  void createsMerchantAndAdminWithRandomSecretsOwnerOnly() throws Exception {
    assertThat(DevClients.ensure(tmp)).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DevClients.file(tmp))))
        .isEqualTo("rw-------");
    var clients = DevClients.load(tmp);
    assertThat(clients).extracting(DevClients.Client::clientId).containsExactly("merchant", "admin");
    assertThat(clients.get(0).scopes()).containsExactly("payments.tokenize", "payments.create", "payments.read");
    assertThat(clients.get(1).scopes()).contains("payments.detokenize", "audit.read", "keys.admin");
    assertThat(clients.get(0).clientSecret()).hasSizeGreaterThanOrEqualTo(43)
        .isNotEqualTo(clients.get(1).clientSecret());
    assertThat(DevClients.ensure(tmp)).isFalse();
    assertThat(DevClients.load(tmp)).isEqualTo(clients);
  }

  @Test
  void devIssuerKeyIsMadeOnceAndThePublicSetHasNoPrivatePart() throws Exception {
    assertThat(DevIssuerKey.ensure(tmp)).isTrue();
    assertThat(DevIssuerKey.ensure(tmp)).isFalse();
    assertThat(DevIssuerKey.load(tmp).isPrivate()).isTrue();
    assertThat(Files.readString(DevIssuerKey.jwksFile(tmp))).doesNotContain("\"d\"");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DevIssuerKey.privateKeyFile(tmp))))
        .isEqualTo("rw-------");
  }
}
