package dev.tokenvault.server.auth;

import dev.tokenvault.server.http.PeerCertificates;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * TLS client certificates that may read a route marked {@link Admits} without a bearer token:
 * Prometheus scrapes with a certificate more easily than with an OAuth2 token. The certificate is
 * verified against {@code tokenvault.tls.trust} (so {@code tokenvault.tls.client-auth} must be
 * {@code want} or {@code need}); its subject, as an RFC 2253 string, must be listed in {@code
 * tokenvault.metrics.scraper-subjects}. {@link BearerAuthFilter} asks this before it looks for a
 * token, so every other request to such a route gets the filter's own checks (lockout, rate
 * limit, certificate binding, scope).
 */
@ApplicationScoped
public class ScraperCertificates {

  /** A route that a listed scraper certificate may read without a token. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.METHOD)
  public @interface Admits {}

  private final Set<String> subjects;

  /**
   * @param subjects semicolon-separated: an RFC 2253 subject holds commas itself ({@code
   *     O=bank,CN=scraper}), so a comma-separated list (MicroProfile Config's list syntax) would
   *     cut every subject apart
   */
  ScraperCertificates(
      @ConfigProperty(name = "tokenvault.metrics.scraper-subjects") Optional<String> subjects) {
    this.subjects =
        Arrays.stream(subjects.orElse("").split(";"))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toUnmodifiableSet());
  }

  /** Whether the request's client certificate is a listed scraper's. */
  boolean admits(RoutingContext rc) {
    if (subjects.isEmpty() || rc == null) {
      return false;
    }
    String subject = PeerCertificates.of(rc.request()).subject();
    return subject != null && subjects.contains(subject);
  }
}
