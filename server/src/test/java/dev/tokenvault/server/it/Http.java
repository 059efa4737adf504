package dev.tokenvault.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** An HTTPS client that trusts only the vault's dev CA, with small helpers. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();

  final String base;
  final HttpClient client;

  Http(String base, Path caPem) {
    this(base, trusting(caPem));
  }

  Http(String base, SSLContext ssl) {
    this(base, ssl, HttpClient.Version.HTTP_2);
  }

  /** A client of its own that speaks {@code version} (HTTP/2 is offered by ALPN, as by default). */
  Http(String base, SSLContext ssl, HttpClient.Version version) {
    this.base = base;
    this.client = HttpClient.newBuilder()
        .sslContext(ssl)
        .version(version)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  static SSLContext trusting(Path caPem) {
    try (InputStream in = Files.newInputStream(caPem)) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Trusts the dev CA and presents the demo client certificate ({@code DIR/tls/client.pem}). */
  static SSLContext withClientCertificate(Path tlsDir) {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", dev.tokenvault.server.bootstrap.DevPki.readCert(tlsDir.resolve("ca.pem")));
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      char[] pw = "test".toCharArray();
      keys.setKeyEntry("client", dev.tokenvault.server.bootstrap.DevPki.readKey(tlsDir.resolve("client-key.pem")), pw,
          new java.security.cert.Certificate[] {
            dev.tokenvault.server.bootstrap.DevPki.readCert(tlsDir.resolve("client.pem"))});
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, pw);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  HttpRequest.Builder request(String path, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return b;
  }

  HttpResponse<String> send(HttpRequest r) {
    try {
      return client.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest r) {
    return client.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String bearer) {
    return send(request(path, bearer).GET().build());
  }

  HttpResponse<String> delete(String path, String bearer) {
    return send(request(path, bearer).DELETE().build());
  }

  HttpResponse<String> postJson(String path, String bearer, String json) {
    return send(request(path, bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  HttpResponse<String> postForm(String path, String form, String basicAuth) {
    HttpRequest.Builder b = request(path, null)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
    if (basicAuth != null) {
      b.header("Authorization", "Basic " + basicAuth);
    }
    return send(b.build());
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON (status " + r.statusCode() + ")", e);
    }
  }
}
