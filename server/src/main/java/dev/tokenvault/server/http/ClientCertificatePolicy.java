package dev.tokenvault.server.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemTrustOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * TLS client certificates ({@code tokenvault.tls.client-auth}: {@code none}, {@code want}, {@code
 * need}), applied to the HTTPS listener at start. Quarkus fixes {@code
 * quarkus.http.ssl.client-auth} at build time; this customizer makes it a run-time choice.
 *
 * <p>Client certificates are checked against {@code tokenvault.tls.trust} (a PEM bundle of CAs),
 * by default the dev CA ({@code DIR/tls/ca.pem}), so the demo client certificate works out of
 * the box. Which routes require a certificate, and certificate-bound tokens (RFC 8705), are a
 * later policy; the subject of a presented certificate is already recorded in audit events.
 */
@ApplicationScoped
public class ClientCertificatePolicy implements HttpServerOptionsCustomizer {

  @ConfigProperty(name = "tokenvault.tls.client-auth", defaultValue = "none")
  String clientAuth;

  @ConfigProperty(name = "tokenvault.tls.trust")
  Optional<String> trust;

  @ConfigProperty(name = "tokenvault.data-dir")
  String dataDir;

  @Override
  public void customizeHttpsServer(HttpServerOptions options) {
    ClientAuth mode = switch (clientAuth.trim().toLowerCase(Locale.ROOT)) {
      case "none" -> ClientAuth.NONE;
      case "want" -> ClientAuth.REQUEST;
      case "need" -> ClientAuth.REQUIRED;
      default -> throw new IllegalStateException("tokenvault.tls.client-auth must be none, want or need");
    };
    options.setClientAuth(mode);
    if (mode != ClientAuth.NONE) {
      String bundle = trust.filter(s -> !s.isBlank())
          .orElse(Path.of(dataDir).resolve("tls").resolve("ca.pem").toString());
      options.setTrustOptions(new PemTrustOptions().addCertPath(bundle));
    }
  }
}
