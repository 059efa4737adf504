package dev.tokenvault.server.http;

import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.server.monitoring.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Requests and latency per route template, method and status class: the timer {@code
 * tokenvault.http.requests{route, method, status}}, recorded when the response ends (one
 * lock-free timer update, on the event loop).
 *
 * <p>The route is the matched resource's template ({@code /v1/tokens/{token}}), never the request
 * path: a path may hold anything a client sends (a card number, by mistake or on purpose), and raw
 * paths would also make the meter's cardinality unbounded. Requests no resource matched are
 * {@code unmatched}. Methods outside the standard set are {@code other}.
 *
 * <p>Also closes Quarkus' own {@code /q/metrics}, which the Micrometer extension always serves and
 * which would bypass the vault's authentication: metrics are served only by {@code
 * MetricsResource} at {@code /metrics}.
 */
@ApplicationScoped
public class RequestMetrics {
  public static final String ROUTE_KEY = "tokenvault.route";
  private static final Set<String> METHODS =
      Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");

  @Inject MeterRegistry registry;
  @Inject CurrentVertxRequest vertxRequest;

  private final Map<Method, String> templates = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  void install(@Observes Router router) {
    router.routeWithRegex("/q/metrics(/.*)?").order(Integer.MIN_VALUE + 5).handler(rc ->
        HttpPipeline.send(rc, Problem.ofRequest(RequestIds.of(rc), 404, "not_found",
            "no route serves this path")));
    router.route().order(Integer.MIN_VALUE + 11).handler(this::time);
  }

  private void time(RoutingContext rc) {
    long start = System.nanoTime();
    String method = rc.request().method().name();
    rc.addEndHandler(v -> {
      String route = rc.get(ROUTE_KEY);
      int status = rc.response().getStatusCode();
      timer(route == null ? "unmatched" : route, METHODS.contains(method) ? method : "other",
          (status / 100) + "xx")
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    });
    rc.next();
  }

  private Timer timer(String route, String method, String status) {
    return timers.computeIfAbsent(route + " " + method + " " + status, k ->
        Timer.builder(Meters.HTTP_REQUESTS)
            .description("HTTP requests by route template, method and status class")
            .tag("route", route).tag("method", method).tag("status", status)
            .register(registry));
  }

  /** Runs once the REST layer matched a resource method, before authentication. */
  @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.AUTHENTICATION - 100)
  public void matched(ResourceInfo info) {
    Method m = info.getResourceMethod();
    RoutingContext rc = vertxRequest.getCurrent();
    if (m != null && rc != null) {
      rc.put(ROUTE_KEY, templates.computeIfAbsent(m, RequestMetrics::template));
    }
  }

  static String template(Method m) {
    Path cp = m.getDeclaringClass().getAnnotation(Path.class);
    Path mp = m.getAnnotation(Path.class);
    String p = "/" + (cp == null ? "" : cp.value()) + "/" + (mp == null ? "" : mp.value());
    p = p.replaceAll("/+", "/");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
