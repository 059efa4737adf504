package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Prometheus scraper reads {@code /metrics} with a TLS client certificate instead of a token,
 * when its subject is listed in {@code tokenvault.metrics.scraper-subjects}. The demo client
 * certificate's subject, as RFC 2253 writes it ({@code O=tokenvault,CN=tokenvault demo client}:
 * the last RDN first, as {@code openssl x509 -subject -nameopt RFC2253} prints it), holds a
 * comma, which is why the list is semicolon-separated.
 */
class MetricsScraperIT {

  @Test
  void aListedCertificateSubjectReadsMetricsWithoutAToken() {
    try (VaultServer server =
        VaultServer.fresh(
            "metrics-scraper",
            Map.of(
                "tokenvault.tls.client-auth", "want",
                "tokenvault.metrics.scraper-subjects",
                "O=tokenvault,CN=someone else; O=tokenvault,CN=tokenvault demo client"))) {
      server.start();
      Path tls = server.dataDir.resolve("tls");
      String base = "https://localhost:" + server.port;
      Http scraper = new Http(base, Http.withClientCertificate(tls));
      Http noCert = new Http(base, tls.resolve("ca.pem"));

      HttpResponse<String> scraped = scraper.get("/metrics", null);
      assertThat(scraped.statusCode()).isEqualTo(200);
      assertThat(scraped.body()).contains("tokenvault_");

      assertThat(noCert.get("/metrics", null).statusCode()).isEqualTo(401);
    }
  }

  @Test
  void anUnlistedCertificateSubjectNeedsAToken() {
    try (VaultServer server =
        VaultServer.fresh(
            "metrics-unlisted",
            Map.of(
                "tokenvault.tls.client-auth", "want",
                "tokenvault.metrics.scraper-subjects", "CN=prometheus,O=bank"))) {
      server.start();
      Path tls = server.dataDir.resolve("tls");
      Http demo = new Http("https://localhost:" + server.port, Http.withClientCertificate(tls));

      assertThat(demo.get("/metrics", null).statusCode()).isEqualTo(401);
    }
  }
}
