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
 * Which TLS implementation serves HTTPS ({@code tokenvault.tls.engine}): {@code auto} (default:
 * OpenSSL when its native library loads, otherwise the JDK's), {@code openssl} (refuse to start
 * without it), or {@code jdk}.
 *
 * <p>Why OpenSSL: it is the measured lever for the HTTPS path on this stack (plain Vert.x went
 * from 30-37k to 37-45k req/s with it here, see ../shared/DEPENDENCIES.md and bench/README.md).
 * The library is Netty's {@code netty-tcnative-boringssl-static}: BoringSSL statically linked,
 * maintained by the Netty project, its version pinned by the Quarkus BOM to match Quarkus's Netty.
 * The protocol and cipher policy ({@code quarkus.tls.https.protocols}, {@code .cipher-suites})
 * applies to either engine.
 */
@ApplicationScoped
public class TlsEngine implements HttpServerOptionsCustomizer {
  private static final Logger LOG = Logger.getLogger(TlsEngine.class);

  @ConfigProperty(name = "tokenvault.tls.engine", defaultValue = "auto")
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
