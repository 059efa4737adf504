package dev.tokenvault.server.bootstrap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prepares the data directory before the HTTPS listener starts, since the listener needs its
 * certificate at start: the data directory itself (0700), the development PKI when no
 * certificate is configured, the dev issuer's key and demo clients when no issuer is configured,
 * and the framework properties derived from the vault's own settings.
 *
 * <p>Idempotent: later starts reuse what exists. Returns what it did as log lines for the
 * application to print once logging is up (nothing secret in them).
 */
public final class Bootstrap {
  private Bootstrap() {}

  /** What the bootstrap decided, for the startup log. */
  public record Result(Path dataDir, boolean devPki, boolean devIssuer, List<String> notes) {}

  public static Result run(Clock clock) {
    List<String> notes = new ArrayList<>();
    Path dataDir = Path.of(Settings.get("tokenvault.data-dir", "data")).toAbsolutePath().normalize();
    boolean fresh = !Files.exists(dataDir);
    SecureFiles.ownerOnlyDirectory(dataDir);
    System.setProperty("tokenvault.data-dir", dataDir.toString());
    if (fresh) {
      notes.add("created data directory " + dataDir);
    }

    String cert = Settings.get("tokenvault.tls.cert");
    String key = Settings.get("tokenvault.tls.key");
    boolean devPki = cert == null && key == null;
    if (!devPki && (cert == null || key == null)) {
      throw new IllegalStateException(
          "tokenvault.tls.cert and tokenvault.tls.key must be set together (PEM files)");
    }
    if (devPki) {
      DevPki pki = new DevPki(dataDir.resolve("tls"), clock);
      if (pki.ensure()) {
        notes.add("generated development TLS certificates in " + dataDir.resolve("tls"));
      }
      System.setProperty("tokenvault.tls.cert", pki.serverCert().toString());
      System.setProperty("tokenvault.tls.key", pki.serverKey().toString());
    }

    // applied to the listener by http.ClientCertificatePolicy; checked here to fail early
    String clientAuth = Settings.get("tokenvault.tls.client-auth", "none").toLowerCase(Locale.ROOT);
    if (!List.of("none", "want", "need").contains(clientAuth)) {
      throw new IllegalStateException("tokenvault.tls.client-auth must be none, want or need");
    }
    if (!clientAuth.equals("none") && !devPki && Settings.get("tokenvault.tls.trust") == null) {
      throw new IllegalStateException("tokenvault.tls.trust (PEM bundle of client CAs) is required"
          + " with client-auth " + clientAuth + " and your own certificate");
    }

    boolean devIssuer = Settings.get("tokenvault.auth.issuer") == null;
    if (devIssuer) {
      if (DevIssuerKey.ensure(dataDir)) {
        notes.add("generated the dev issuer signing key in " + dataDir.resolve("dev-issuer"));
      }
      if (DevClients.ensure(dataDir)) {
        notes.add("created demo clients merchant and admin in " + DevClients.file(dataDir));
      }
    } else if (Settings.get("tokenvault.auth.jwks-uri") == null
        && Settings.get("tokenvault.auth.public-key") == null) {
      String jwks = OidcDiscovery.jwksUri(Settings.get("tokenvault.auth.issuer"));
      System.setProperty("tokenvault.auth.jwks-uri", jwks);
      notes.add("discovered the issuer's JWKS at " + jwks);
    }
    return new Result(dataDir, devPki, devIssuer, List.copyOf(notes));
  }
}
