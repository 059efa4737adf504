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
    String pem = devIssuer ? null : Settings.get("tokenvault.auth.public-key");
    if (pem != null && Settings.get("mp.jwt.verify.publickey.algorithm") == null) {
      // smallrye-jwt decodes a PEM key with one of the configured algorithms, picked from an
      // unordered set: offered RS256, ES256 and PS256 together it sometimes reads an RSA key as
      // an EC key and refuses every token. So name only the algorithms of the key's type.
      System.setProperty("mp.jwt.verify.publickey.algorithm", algorithmsFor(Path.of(pem)));
    }
    return new Result(dataDir, devPki, devIssuer, List.copyOf(notes));
  }

  /** The signature algorithms a PEM public key can verify: RS256,PS256 for RSA; ES256 for EC. */
  static String algorithmsFor(Path pem) {
    try {
      String text = java.nio.file.Files.readString(pem);
      String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      byte[] der = java.util.Base64.getDecoder().decode(base64);
      java.security.spec.X509EncodedKeySpec spec = new java.security.spec.X509EncodedKeySpec(der);
      try {
        java.security.KeyFactory.getInstance("RSA").generatePublic(spec);
        return "RS256,PS256";
      } catch (java.security.spec.InvalidKeySpecException notRsa) {
        java.security.KeyFactory.getInstance("EC").generatePublic(spec);
        return "ES256";
      }
    } catch (java.io.IOException | java.security.GeneralSecurityException
        | IllegalArgumentException e) {
      throw new IllegalStateException(
          "tokenvault.auth.public-key must be a PEM RSA or EC public key (SubjectPublicKeyInfo)", e);
    }
  }
}
