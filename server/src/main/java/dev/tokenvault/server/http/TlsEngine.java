package dev.tokenvault.server.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Which TLS implementation serves HTTPS ({@code tokenvault.tls.engine}): {@code jdk} (default),
 * {@code openssl} (refuse to start without it) or {@code auto} (OpenSSL when its native library
 * loads, otherwise the JDK's).
 *
 * <p>Why the JDK by default: OpenSSL was the expected lever (plain Vert.x 5 went from 30-37k to
 * 37-45k req/s with it, ../shared/DEPENDENCIES.md), but measured in this server (Quarkus 3.34 on
 * Vert.x 4.5, bench/run.sh, same machine, minutes apart) it did not help: the authenticated
 * ceiling route did 11.0k req/s twice with OpenSSL and 12.2k with the JDK (bench/README.md,
 * "Session 2"). It stays available for machines where it measures better.
 * The library is Netty's {@code netty-tcnative-boringssl-static}: BoringSSL statically linked,
 * maintained by the Netty project, its version pinned by the Quarkus BOM to match Quarkus's Netty.
 * The protocol and cipher policy ({@code quarkus.tls.https.protocols}, {@code .cipher-suites})
 * applies to either engine.
 */
@ApplicationScoped
public class TlsEngine implements HttpServerOptionsCustomizer {
  private static final Logger LOG = Logger.getLogger(TlsEngine.class);

  @ConfigProperty(name = "tokenvault.tls.engine", defaultValue = "jdk")
  String engine;

  @Override
  public void customizeHttpsServer(HttpServerOptions options) {
    String choice = engine.trim().toLowerCase(Locale.ROOT);
    switch (choice) {
      case "jdk" -> options.setSslEngineOptions(new JdkSSLEngineOptions());
      case "openssl", "auto" -> {
        if (OpenSSLEngineOptions.isAvailable()) {
          options.setSslEngineOptions(new OpenSSLEngineOptions().setSessionCacheEnabled(true));
          LOG.info("HTTPS uses OpenSSL (BoringSSL)");
        } else if (choice.equals("openssl")) {
          throw new IllegalStateException(
              "tokenvault.tls.engine=openssl but the OpenSSL library did not load on this"
                  + " platform; use auto or jdk");
        } else {
          options.setSslEngineOptions(new JdkSSLEngineOptions());
          LOG.info("HTTPS uses the JDK's TLS (OpenSSL is not available on this platform)");
        }
      }
      default ->
          throw new IllegalStateException("tokenvault.tls.engine must be auto, openssl or jdk");
    }
  }
}
