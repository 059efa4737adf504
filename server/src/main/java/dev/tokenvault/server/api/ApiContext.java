package dev.tokenvault.server.api;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.CurrentCaller;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.server.http.PeerCertificates;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.List;

/** Builds the audit {@link RequestContext} of the current request from the caller and the connection. */
@RequestScoped
public class ApiContext {
  /** User agents are cut to this length in audit events. */
  static final int MAX_USER_AGENT = 256;

  @Inject CurrentCaller caller;
  @Inject CurrentVertxRequest vertxRequest;

  public Caller caller() {
    return caller.get();
  }

  public RequestContext requestContext() {
    return of(caller.get(), vertxRequest.getCurrent());
  }

  /** The audit context of a request by {@code c}. */
  public static RequestContext of(Caller c, RoutingContext rc) {
    HttpServerRequest req = rc.request();
    String ip = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
    String ua = req.getHeader("User-Agent");
    if (ua != null && ua.length() > MAX_USER_AGENT) {
      ua = ua.substring(0, MAX_USER_AGENT);
    }
    if (ua != null) {
      // the User-Agent is the client's free text and lands in the audit trail: mask card numbers
      ua = dev.tokenvault.server.logging.Redactor.redact(ua);
    }
    return new RequestContext(c.subject(), c.clientId(), List.copyOf(c.scopes()), ip, ua,
        clientCertSubject(req), RequestIds.of(rc));
  }

  private static String clientCertSubject(HttpServerRequest req) {
    return PeerCertificates.of(req).subject();
  }

}
