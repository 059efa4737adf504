package dev.tokenvault.server.error;

import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The request id: the caller's {@code X-Request-Id} when it is a short safe string, else a new
 * UUID. Set by {@link dev.tokenvault.server.http.HttpPipeline} on the routing context, echoed in
 * the response header, put in the log MDC and in every audit event and problem.
 */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  public static final String KEY = "tokenvault.requestId";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private RequestIds() {}

  public static String accept(String incoming) {
    // an id that holds a card number is replaced: ids land in audit events and responses
    return incoming != null && SAFE.matcher(incoming).matches()
        && !dev.tokenvault.server.logging.Redactor.containsCardNumber(incoming)
        ? incoming
        : UUID.randomUUID().toString();
  }

  public static String of(RoutingContext rc) {
    String id = rc == null ? null : rc.get(KEY);
    return id;
  }

  /** The current request's id, or null outside a request. */
  public static String current() {
    ArcContainer c = Arc.container();
    if (c == null || !c.requestContext().isActive()) {
      return null;
    }
    CurrentVertxRequest cur = c.instance(CurrentVertxRequest.class).get();
    return cur == null ? null : of(cur.getCurrent());
  }
}
