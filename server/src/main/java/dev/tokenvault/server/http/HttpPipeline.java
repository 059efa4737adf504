package dev.tokenvault.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.MDC;

/**
 * What every HTTPS request goes through before and after the REST layer, as Vert.x handlers:
 *
 * <ul>
 *   <li>a request id ({@link RequestIds}), echoed as {@code X-Request-Id} and put in the log MDC;
 *   <li>response headers every answer carries: {@code Cache-Control: no-store} (answers may hold
 *       tokens or values), {@code X-Content-Type-Options: nosniff}, HSTS;
 *   <li>a 413 problem for a declared {@code Content-Length} over the body limit, before the body is
 *       read; a body of unknown length (HTTP/1.1 chunked, or HTTP/2 without the header) over the
 *       limit gets the same problem: the hot routes ({@code api.HotRoutes}) read their own, and
 *       on the REST layer's routes {@link BodyLimit} bounds it as it is read ({@link
 *       #boundUnknownLength});
 *   <li>a 431 problem when the request's headers together exceed {@link #MAX_HEADER_BYTES} (the
 *       HTTP decoder's own limit is set higher, since it answers a bare 431);
 *   <li>404 for Quarkus' own {@code /q/} paths (metrics, dev tools): nothing there is public;
 *   <li>one access-log line per request: method, path without query, status, duration. Never
 *       headers, query strings or bodies. Written off the event loop, in batches ({@link
 *       AccessLog}, {@code tokenvault.access-log.flush-interval});
 *   <li>a problem+json 404 for paths no route serves.
 * </ul>
 */
@ApplicationScoped
public class HttpPipeline {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** 16 KiB of headers: a bearer token is at most 8 KiB ({@code TokenVerifier}), the rest is slack. */
  static final int MAX_HEADER_BYTES = 16 * 1024;

  @Inject
  @ConfigProperty(name = "quarkus.http.limits.max-body-size")
  MemorySize maxBodySize;

  @Inject
  @ConfigProperty(name = "tokenvault.access-log.flush-interval", defaultValue = "1s")
  Duration accessLogFlushInterval;

  private volatile AccessLog accessLog;

  void install(@Observes Router router) {
    long limit = maxBodySize.asLongValue();
    AccessLog log = new AccessLog(accessLogFlushInterval);
    AccessLog previous = accessLog;
    accessLog = log;
    if (previous != null) {
      previous.close(); // a router built again (dev mode): one writer thread at a time
    }
    router.route().order(Integer.MIN_VALUE + 10).handler(rc -> before(rc, limit, log));
    // After Quarkus' upload-limit handler (order -2), before the REST layer's routes.
    router.route().order(-1).handler(HttpPipeline::boundUnknownLength);
    router.route().last().handler(rc -> send(rc, Problem.ofRequest(RequestIds.of(rc), 404,
        "not_found", "no route serves this path")));
  }

  /** Writes the access lines still queued; a request that ends later is logged at once. */
  void stop(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent ev) {
    AccessLog log = accessLog;
    if (log != null) {
      log.close();
    }
  }

  private static void before(RoutingContext rc, long limit, AccessLog log) {
    String id = RequestIds.accept(rc.request().getHeader(RequestIds.HEADER));
    rc.put(RequestIds.KEY, id);
    MDC.put("requestId", id);
    HttpServerResponse res = rc.response();
    res.putHeader(RequestIds.HEADER, id);
    res.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    res.putHeader("X-Content-Type-Options", "nosniff");
    res.putHeader("Strict-Transport-Security", "max-age=31536000");
    long start = System.nanoTime();
    String method = rc.request().method().name();
    String path = rc.request().path();
    if (log.enabled()) {
      rc.addEndHandler(v -> log.log(id, clientId(), method, path, res.getStatusCode(),
          (System.nanoTime() - start) / 1000));
    }
    if (path.startsWith("/q/") || path.equals("/q")) {
      send(rc, Problem.ofRequest(id, 404, "not_found", "no route serves this path"));
      return;
    }
    int headerBytes = 0;
    for (var h : rc.request().headers()) {
      headerBytes += h.getKey().length() + h.getValue().length() + 4;
    }
    if (headerBytes > MAX_HEADER_BYTES) {
      send(rc, Problem.ofRequest(id, 431, "request_headers_too_large",
          "the request headers are larger than " + MAX_HEADER_BYTES + " bytes"));
      return;
    }
    String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n < 0) {
        send(rc, Problem.ofRequest(id, 400, "invalid_content_length", "Content-Length is not a number"));
        return;
      }
      if (n > limit) {
        send(rc, Problem.ofRequest(id, 413, "request_too_large",
            "the request body is larger than " + limit + " bytes"));
        return;
      }
    }
    rc.next();
  }

  /**
   * For a body of unknown length, takes the limit off the REST layer's own body reader, which
   * would otherwise answer a bare 413 (no problem body) when it passes the limit, and leaves the
   * limit to {@link BodyLimit}, which bounds every body the REST layer reads and answers the 413
   * problem. The reader's limit is the routing-context entry Quarkus' upload-limit handler sets for
   * such requests ({@link VertxHttpRecorder#MAX_REQUEST_SIZE_KEY}); {@code TransportPolicyIT}
   * checks the outcome over HTTP/1.1 and HTTP/2.
   */
  private static void boundUnknownLength(RoutingContext rc) {
    if (rc.request().getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
      rc.remove(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY);
    }
    rc.next();
  }

  /** The caller's client id as the log context has it when the request ends, or null. */
  private static String clientId() {
    Object id = MDC.get("clientId");
    return id == null ? null : id.toString();
  }

  /**
   * Answers {@code p} as problem+json from a Vert.x handler; after a 413 or 431 an HTTP/1.x
   * connection is closed (its unread request cannot be skipped).
   */
  public static void send(RoutingContext rc, Problem p) {
    try {
      HttpServerResponse res = rc.response();
      if ((p.status() == 413 || p.status() == 431) && rc.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
        // the unread body makes the HTTP/1.x connection unusable (HTTP/2 resets the stream itself)
        res.putHeader(HttpHeaders.CONNECTION, "close");
      }
      res.setStatusCode(p.status())
          .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
          .end(JSON.writeValueAsString(p));
    } catch (JsonProcessingException e) {
      rc.fail(500, e);
    }
  }
}
