package dev.tokenvault.server.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The HTTP decoders' own header limits, set above the vault's 16 KiB ({@link
 * HttpPipeline#MAX_HEADER_BYTES}) so that oversized headers reach the pipeline and get a 431
 * problem instead of a bare 431 (HTTP/1.1) or a connection reset (HTTP/2 GOAWAY).
 */
@ApplicationScoped
public class HttpLimits implements HttpServerOptionsCustomizer {
  /** The decoders' hard limit: four times the answered one. */
  static final int DECODER_HEADER_LIMIT = 64 * 1024;

  @Override
  public void customizeHttpsServer(HttpServerOptions options) {
    options.getInitialSettings().setMaxHeaderListSize(DECODER_HEADER_LIMIT);
  }
}
