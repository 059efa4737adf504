package dev.tokenvault.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.server.api.PaymentDtos.PaymentRequest;
import dev.tokenvault.server.api.PaymentDtos.PaymentResponse;
import dev.tokenvault.server.api.TokenDtos.DetokenizeRequest;
import dev.tokenvault.server.api.TokenDtos.TokenResponse;
import dev.tokenvault.server.api.TokenDtos.TokenizeRequest;
import dev.tokenvault.server.auth.BearerGate;
import dev.tokenvault.server.auth.Caller;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.error.ProblemMappers;
import dev.tokenvault.server.error.RequestIds;
import dev.tokenvault.server.http.HttpPipeline;
import dev.tokenvault.server.http.RequestMetrics;
import dev.tokenvault.server.wiring.KeySeal;
import dev.tokenvault.server.wiring.VaultProducer;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The four routes that carry the traffic, served as plain Vert.x handlers instead of through the
 * REST layer: {@code POST /v1/tokens}, {@code POST /v1/detokenize}, {@code POST /v1/payments} and
 * {@code GET /v1/payments/{id}}.
 *
 * <p><b>Why.</b> A profile of tokenize (bench/README.md, session 4) put about a fifth of the event
 * loops' time in the REST layer's own machinery (Quarkus REST's handler chain, CDI request
 * context, Mutiny, dynamic writer lookup), none of it needed by a JSON-in, JSON-out route.
 *
 * <p><b>Same contract, same code.</b> A hot route does exactly what the resource method does, with
 * the same pieces: the sealed check of {@link SealedFilter}, the bearer decision of {@link
 * BearerGate} (which {@code BearerAuthFilter} also asks), the request-to-command functions of
 * {@link TokensResource} and {@link PaymentsResource}, the application's {@link ObjectMapper}, and
 * {@link ProblemMappers#toProblem} for every failure. It only claims a request whose shape leaves
 * nothing to negotiate: the exact path, a JSON body ({@code application/json}, UTF-8) or none, an
 * {@code Accept} of nothing, {@code * / *} or {@code application/json}, no {@code Expect}, one
 * {@code Authorization} and one {@code Content-Type} at most.
 * Anything else (another media type, a trailing slash, {@code Accept: text/plain}) goes on to the
 * REST layer, which answers it as it always did (415, 406, 404 ...). {@code HotRoutesIT} sends
 * the same requests down both paths and compares the answers.
 *
 * <p><b>Body.</b> Read with the configured limit ({@code quarkus.http.limits.max-body-size}); a
 * chunked body over it gets the 413 problem here, as it does on the REST layer's routes ({@code
 * http.BodyLimit}).
 *
 * <p><b>Threads.</b> Everything up to the use case runs on the event loop (a cached token costs
 * one SHA-256); a token cache miss against a remote JWKS is decided on a worker. The use case's
 * stage completes on a store thread; the answer is written back on the request's event loop.
 */
@ApplicationScoped
public class HotRoutes {
  private static final Logger LOG = Logger.getLogger(HotRoutes.class);
  /**
   * The JSON media type, without the charset parameter the REST layer adds: RFC 8259 defines
   * none (JSON is UTF-8). Clients see no difference; tests use it to tell the paths apart.
   */
  static final String JSON = "application/json";
  private static final String PAYMENTS = "/v1/payments/";

  /** Resolved at the first request: the routes are installed before the vault has started. */
  @Inject Instance<Vault> vaults;
  @Inject VaultProducer producer;
  private volatile Vault vault;
  @Inject BearerGate gate;
  @Inject ObjectMapper mapper;

  @Inject
  @ConfigProperty(name = "quarkus.http.limits.max-body-size")
  MemorySize maxBodySize;

  private Vault vault() {
    Vault v = vault;
    if (v == null) {
      v = vaults.get();
      vault = v;
    }
    return v;
  }

  /** A hot route's work once the caller is known: the answer, or a failed stage. */
  private interface UseCase<B> {
    CompletionStage<Answer> run(Caller caller, B body, RoutingContext rc);
  }

  /** A JSON answer: status, entity and at most one extra header. */
  private record Answer(int status, Object entity, String header, String headerValue) {
    static Answer of(int status, Object entity) {
      return new Answer(status, entity, null, null);
    }
  }

  void install(@Observes Router router) {
    long limit = maxBodySize.asLongValue();
    // After HttpPipeline (MIN_VALUE + 10) and RequestMetrics (+ 11), before the REST layer.
    int order = Integer.MIN_VALUE + 20;
    router.post("/v1/tokens").order(order).handler(rc -> route(rc, "/v1/tokens",
        Scopes.TOKENIZE, TokenizeRequest.class, limit, (caller, body, ctx) ->
            vault().tokenize(TokensResource.command(body, caller), ApiContext.of(caller, ctx))
                .thenApply(r -> Answer.of(TokensResource.status(r), TokenResponse.of(r.token())))));
    router.post("/v1/detokenize").order(order).handler(rc -> route(rc, "/v1/detokenize",
        Scopes.DETOKENIZE, DetokenizeRequest.class, limit, (caller, body, ctx) ->
            vault().detokenize(caller.namespace(), TokensResource.token(body), ApiContext.of(caller, ctx))
                .thenApply(d -> Answer.of(200, TokensResource.answer(d)))));
    router.post("/v1/payments").order(order).handler(rc -> route(rc, "/v1/payments",
        Scopes.CREATE_PAYMENT, PaymentRequest.class, limit, (caller, body, ctx) ->
            vault().pay(PaymentsResource.command(
                    ctx.request().getHeader(PaymentsResource.IDEMPOTENCY_KEY), body, caller),
                    ApiContext.of(caller, ctx))
                .thenApply(r -> r.created()
                    ? Answer.of(201, PaymentResponse.of(r.payment()))
                    : new Answer(201, PaymentResponse.of(r.payment()), PaymentsResource.REPLAYED, "true"))));
    router.getWithRegex("/v1/payments/[^/]+").order(order).handler(rc -> route(rc,
        "/v1/payments/{id}", Scopes.READ, Void.class, limit, (caller, body, ctx) -> {
          String id = ctx.request().path().substring("/v1/payments/".length());
          return vault().payment(caller.namespace(), PaymentsResource.paymentId(id), ApiContext.of(caller, ctx))
              .thenApply(p -> Answer.of(200, PaymentResponse.of(p)));
        }));
  }

  /**
   * Whether the raw path is exactly the route's (no trailing slash, no dot segment, no encoded
   * character): anything else is left to the REST layer.
   */
  static boolean exactPath(String path, String template) {
    return template.endsWith("{id}")
        ? path.startsWith(PAYMENTS) && PaymentsResource.isPaymentId(path, PAYMENTS.length())
        : path.equals(template);
  }

  private <B> void route(RoutingContext rc, String template, String scope, Class<B> bodyType,
      long limit, UseCase<B> useCase) {
    HttpServerRequest req = rc.request();
    boolean hasBody = bodyType != Void.class;
    if (!exactPath(req.path(), template)
        || !plainAccept(req.getHeader(HttpHeaders.ACCEPT))
        || req.getHeader(HttpHeaders.EXPECT) != null
        || (hasBody && !jsonUtf8(req.getHeader(HttpHeaders.CONTENT_TYPE)))
        || repeated(req, HttpHeaders.AUTHORIZATION) || repeated(req, HttpHeaders.CONTENT_TYPE)) {
      rc.next();
      return;
    }
    rc.put(RequestMetrics.ROUTE_KEY, template);
    KeySeal seal = producer.seal();
    if (seal != null && seal.sealed()) {
      problem(rc, Problem.ofRequest(RequestIds.of(rc), 503, "vault_sealed",
          "the vault is sealed: key custodians must unseal it (POST /v1/unseal)"), null, null);
      return;
    }
    String authorization = req.getHeader(HttpHeaders.AUTHORIZATION);
    BearerGate.Decision d = gate.decide(rc, authorization, scope, false);
    if (d.needsWorker()) {
      rc.vertx().<BearerGate.Decision>executeBlocking(() -> gate.decide(rc, authorization, scope, true), false)
          .onComplete(ar -> {
            if (ar.succeeded()) {
              decided(rc, ar.result(), bodyType, limit, useCase);
            } else {
              fail(rc, ar.cause());
            }
          });
      return;
    }
    decided(rc, d, bodyType, limit, useCase);
  }

  private <B> void decided(RoutingContext rc, BearerGate.Decision d, Class<B> bodyType, long limit,
      UseCase<B> useCase) {
    if (d.caller() == null) {
      if (d.delay().isZero()) {
        problem(rc, d.problem(), d.wwwAuthenticate(), d.retryAfter());
      } else {
        rc.vertx().setTimer(d.delay().toMillis(),
            t -> problem(rc, d.problem(), d.wwwAuthenticate(), d.retryAfter()));
      }
      return;
    }
    if (bodyType == Void.class) {
      run(rc, d.caller(), null, useCase);
      return;
    }
    readBody(rc, limit, body -> {
      B parsed;
      try {
        parsed = body.length() == 0 ? null : mapper.readValue(body.getBytes(), bodyType);
      } catch (IOException | RuntimeException e) {
        fail(rc, e);
        return;
      }
      run(rc, d.caller(), parsed, useCase);
    });
  }

  private <B> void run(RoutingContext rc, Caller caller, B body, UseCase<B> useCase) {
    CompletionStage<Answer> stage;
    try {
      stage = useCase.run(caller, body, rc);
    } catch (RuntimeException e) {
      fail(rc, e);
      return;
    }
    Context loop = rc.vertx().getOrCreateContext();
    stage.whenComplete((answer, error) -> loop.runOnContext(v -> {
      if (error != null) {
        fail(rc, error);
      } else {
        send(rc, answer);
      }
    }));
  }

  /** Reads the whole body, or answers 413 as soon as it passes {@code limit} bytes. */
  private static void readBody(RoutingContext rc, long limit, java.util.function.Consumer<Buffer> then) {
    HttpServerRequest req = rc.request();
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    req.exceptionHandler(e -> {
      if (!refused[0]) {
        refused[0] = true;
        LOG.debugf("request body not read: %s", e.getClass().getSimpleName());
        rc.response().reset();
      }
    });
    req.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if (body.length() + (long) chunk.length() > limit) {
        refused[0] = true;
        problem(rc, Problem.ofRequest(RequestIds.of(rc), 413, "request_too_large",
            "the request body is larger than " + limit + " bytes"), null, null);
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (!refused[0]) {
        then.accept(body);
      }
    });
  }

  private void send(RoutingContext rc, Answer a) {
    HttpServerResponse res = rc.response();
    if (res.ended() || res.closed()) {
      return;
    }
    byte[] json;
    try {
      json = mapper.writeValueAsBytes(a.entity());
    } catch (IOException e) {
      fail(rc, e);
      return;
    }
    res.setStatusCode(a.status()).putHeader(HttpHeaders.CONTENT_TYPE, JSON);
    if (a.header() != null) {
      res.putHeader(a.header(), a.headerValue());
    }
    res.end(Buffer.buffer(json));
  }

  private void fail(RoutingContext rc, Throwable t) {
    problem(rc, ProblemMappers.toProblem(t).withRequestId(RequestIds.of(rc)), null, null);
  }

  /** A problem answer (HttpPipeline's, which also closes an HTTP/1.x connection after a 413). */
  private static void problem(RoutingContext rc, Problem p, String wwwAuthenticate, String retryAfter) {
    HttpServerResponse res = rc.response();
    if (res.ended() || res.closed()) {
      return;
    }
    if (wwwAuthenticate != null) {
      res.putHeader("WWW-Authenticate", wwwAuthenticate);
    }
    if (retryAfter != null) {
      res.putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
    }
    HttpPipeline.send(rc, p);
  }

  /**
   * Whether the request carries {@code name} more than once. Vert.x reads the first value, the REST
   * layer all of them joined: such a request (two {@code Authorization} headers, say) is left to
   * the REST layer, so the two paths never read one request two ways.
   */
  private static boolean repeated(HttpServerRequest req, CharSequence name) {
    return req.headers().getAll(name).size() > 1;
  }

  /** An {@code Accept} the REST layer would answer with JSON without negotiating. */
  static boolean plainAccept(String accept) {
    if (accept == null) {
      return true;
    }
    String a = accept.trim().toLowerCase(Locale.ROOT);
    return a.isEmpty() || a.equals("*/*") || a.equals("application/json");
  }

  /** {@code application/json}, with no parameter or {@code charset=utf-8} only. */
  static boolean jsonUtf8(String contentType) {
    if (contentType == null) {
      return false;
    }
    String c = contentType.trim().toLowerCase(Locale.ROOT);
    int semi = c.indexOf(';');
    if (semi < 0) {
      return c.equals("application/json");
    }
    if (!c.substring(0, semi).trim().equals("application/json")) {
      return false;
    }
    String param = c.substring(semi + 1).trim().replace(" ", "");
    return param.equals("charset=utf-8") || param.equals("charset=\"utf-8\"");
  }
}
