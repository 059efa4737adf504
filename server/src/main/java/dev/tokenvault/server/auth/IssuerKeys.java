package dev.tokenvault.server.auth;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * The issuer's public keys: a fixed set (the dev issuer's JWKS file, a PEM key) or a JWKS URL.
 *
 * <h2>Remote JWKS: rotation without a restart</h2>
 *
 * A JWKS URL is fetched on first use and kept. A token whose {@code kid} is not in the kept set
 * triggers a refetch ({@link #refresh()}), so a key the issuer has just added is picked up at its
 * first token. Refetches are rate-limited ({@code tokenvault.auth.jwks-refresh-min-interval},
 * default 30 s): a flood of tokens with invented {@code kid}s costs the issuer at most one request
 * per interval. The set is also refetched when older than {@code tokenvault.auth.jwks-max-age}
 * (default 10 minutes), so a key the issuer removed stops verifying within that time. A failed
 * refetch keeps the old set; with no set at all the issuer is unavailable (503, not 401).
 * Fetches block: callers run them off the event loop ({@link #remote()}).
 */
public abstract class IssuerKeys {
  /** The current key set, fetching it first if it is missing or stale (remote only). */
  public abstract JWKSet current();

  /** Refetches the key set if the rate limit allows; true when a new set was fetched. */
  public abstract boolean refresh();

  /** True when {@link #current()} or {@link #refresh()} may do network I/O. */
  public abstract boolean remote();

  public static IssuerKeys fixed(JWKSet keys) {
    Objects.requireNonNull(keys, "keys");
    return new IssuerKeys() {
      @Override
      public JWKSet current() {
        return keys;
      }

      @Override
      public boolean refresh() {
        return false;
      }

      @Override
      public boolean remote() {
        return false;
      }
    };
  }

  public static IssuerKeys remote(URI jwksUri, Clock clock, Duration minRefreshInterval, Duration maxAge) {
    return new Remote(jwksUri.toString(), httpFetcher(jwksUri), clock, minRefreshInterval, maxAge);
  }

  /** A JWKS source with a given fetcher (tests fake the network with it). */
  static IssuerKeys remote(String name, java.util.function.Supplier<String> fetch, Clock clock,
      Duration minRefreshInterval, Duration maxAge) {
    return new Remote(name, fetch, clock, minRefreshInterval, maxAge);
  }

  /** How long one JWKS request may take. */
  static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  private static java.util.function.Supplier<String> httpFetcher(URI uri) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    return () -> {
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(FETCH_TIMEOUT)
            .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IllegalStateException("the JWKS endpoint answered " + r.statusCode());
        }
        return r.body();
      } catch (IOException e) {
        throw new IllegalStateException("cannot fetch the JWKS: " + e.getClass().getSimpleName(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while fetching the JWKS", e);
      }
    };
  }

  static final class Remote extends IssuerKeys {
    private static final Logger LOG = Logger.getLogger(IssuerKeys.class);
    private final String name;
    private final java.util.function.Supplier<String> fetch;
    private final Clock clock;
    private final Duration minRefreshInterval;
    private final Duration maxAge;
    private volatile JWKSet keys;
    private volatile Instant fetchedAt;
    /** When the last fetch was attempted (success or not): the rate limit's reference. */
    private Instant attemptedAt;
    int fetches;

    Remote(String name, java.util.function.Supplier<String> fetch, Clock clock,
        Duration minRefreshInterval, Duration maxAge) {
      this.name = name;
      this.fetch = fetch;
      this.clock = clock;
      this.minRefreshInterval = minRefreshInterval;
      this.maxAge = maxAge;
    }

    @Override
    public JWKSet current() {
      JWKSet k = keys;
      if (k != null && clock.instant().isBefore(fetchedAt.plus(maxAge))) {
        return k;
      }
      refresh();
      k = keys;
      if (k == null) {
        throw new IssuerUnavailableException("the issuer's JWKS at " + name + " cannot be fetched", null);
      }
      return k;
    }

    @Override
    public synchronized boolean refresh() {
      Instant now = clock.instant();
      if (attemptedAt != null && now.isBefore(attemptedAt.plus(minRefreshInterval))) {
        return false;
      }
      attemptedAt = now;
      fetches++;
      try {
        JWKSet fresh = JWKSet.parse(fetch.get());
        keys = fresh;
        fetchedAt = now;
        LOG.infof("fetched the issuer's JWKS from %s: %d keys", name, fresh.getKeys().size());
        return true;
      } catch (ParseException | RuntimeException e) {
        LOG.warnf("could not refresh the issuer's JWKS from %s (%s); keeping %s", name,
            e.getMessage(), keys == null ? "nothing" : "the previous keys");
        return false;
      }
    }

    @Override
    public boolean remote() {
      return true;
    }
  }

}
