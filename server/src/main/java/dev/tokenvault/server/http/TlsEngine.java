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
 * without it) or {@code jdk}. The choice is logged at start.
 *
 * <p>Why OpenSSL by default: measured in this server with bench/run.sh, the two engines
 * alternated over four rounds on the same machine (bench/README.md, "Session 10"), OpenSSL gave
 * the cheapest authenticated route 2-8% more requests a second and a p99 15-20% lower in every
 * round, tokenize 3-10% more, detokenize the same within the spread and a lower p99. In session 2,
 * when a request cost three times as much CPU elsewhere, one run each had shown no gain, so the
 * JDK had been the default. {@code jdk} stays for platforms without the library and for
 * deployments that must run TLS on a JCA provider of their choice.
 *
 * <p>The library is Netty's {@code netty-tcnative-boringssl-static}: BoringSSL statically linked,
 * maintained by the Netty project, its version pinned by the Quarkus BOM to match Quarkus's Netty;
 * the build bundles it for Linux x86-64. The protocol and cipher policy ({@code
 * quarkus.tls.https.protocols}, {@code .cipher-suites}) applies to either engine, and
 * TransportPolicyIT checks it on both.
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
      case "jdk" -> {
        options.setSslEngineOptions(new JdkSSLEngineOptions());
        LOG.info("HTTPS uses the JDK's TLS (tokenvault.tls.engine=jdk)");
      }
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
