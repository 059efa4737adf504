package dev.tokenvault.server.http;

import dev.tokenvault.server.error.Problem;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Bounds every request body the REST layer reads to {@code quarkus.http.limits.max-body-size}:
 * reading past it fails with {@link TooLarge}, answered as the 413 problem ({@code
 * request_too_large}) that closes an HTTP/1.x connection (the rest of the body is never read).
 *
 * <p>A declared {@code Content-Length} over the limit never gets here ({@link HttpPipeline}
 * answers it before the body is read); this is for bodies of unknown length, whose limit {@link
 * HttpPipeline} takes off the REST layer's own reader because that reader answers a bare 413. The
 * hot routes read their bodies themselves, with the same limit.
 */
@Provider
public class BodyLimit implements ReaderInterceptor {

  /**
   * A body passed the limit while the REST layer read it. An {@link IOException}, because Jackson
   * passes those through as they are (it wraps runtime exceptions from its input into a mapping
   * error, which would answer 400).
   */
  public static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("request body over the limit");
    }
  }

  @Inject
  @ConfigProperty(name = "quarkus.http.limits.max-body-size")
  MemorySize maxBodySize;

  /**
   * The 413 problem; on HTTP/1.x also {@code Connection: close}, since the rest of the body is
   * never read and the connection cannot carry another request (HTTP/2 resets the stream itself).
   */
  @ServerExceptionMapper
  public Response tooLarge(TooLarge e, HttpServerRequest request) {
    Response.ResponseBuilder answer = Problem.of(413, "request_too_large",
        "the request body is larger than " + maxBodySize.asLongValue() + " bytes").toResponseBuilder();
    if (request.version() != HttpVersion.HTTP_2) {
      answer.header(HttpHeaders.CONNECTION.toString(), "close");
    }
    return answer.build();
  }

  @Override
  public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
    context.setInputStream(new Bounded(context.getInputStream(), maxBodySize.asLongValue()));
    return context.proceed();
  }

  /** Fails a read that would take the body past {@code limit} bytes. */
  static final class Bounded extends FilterInputStream {
    private final long limit;
    private long read;

    Bounded(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      if (skipped > 0) {
        count(skipped);
      }
      return skipped;
    }

    private void count(long n) throws TooLarge {
      read += n;
      if (read > limit) {
        throw new TooLarge();
      }
    }
  }
}
