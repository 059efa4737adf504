package dev.tokenvault.server.http;

import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The TLS client certificate of a request's connection, read once per TLS session.
 *
 * <p>{@link SSLSession#getPeerCertificates()} throws {@link SSLPeerUnverifiedException} when the
 * client sent no certificate, which is the usual case (bearer tokens without mTLS): building that
 * exception and its stack trace on every request cost about 9% of the event loops' CPU on the
 * cheapest authenticated route (async-profiler, bench/README.md, session 3). The answer is the
 * same for every request of a TLS session, so it is kept in the session itself ({@link
 * SSLSession#putValue}), with the derived subject and RFC 8705 thumbprint.
 *
 * <p>A session's peer certificates never change: a renegotiation (TLS 1.2) or a new handshake
 * makes a new {@code SSLSession}, with no cached value.
 */
public final class PeerCertificates {
  private static final String KEY = "dev.tokenvault.peer-certificate";
  private static final Peer NONE = new Peer(null, null, null);

  private PeerCertificates() {}

  /** What the vault uses of a client certificate; all null without one. */
  public record Peer(X509Certificate leaf, String subject, String thumbprint) {
    public boolean present() {
      return leaf != null;
    }
  }

  /** The peer of {@code request}'s TLS session ({@link Peer#present()} false without one). */
  public static Peer of(HttpServerRequest request) {
    SSLSession session = request == null ? null : request.sslSession();
    if (session == null) {
      return NONE;
    }
    Object cached = session.getValue(KEY);
    if (cached instanceof Peer p) {
      return p;
    }
    Peer p = read(session);
    session.putValue(KEY, p);
    return p;
  }

  private static Peer read(SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return NONE;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return NONE;
    }
    return new Peer(leaf, leaf.getSubjectX500Principal().getName(), thumbprint(leaf));
  }

  /** RFC 8705 §3.1: base64url (no padding) of the SHA-256 of the certificate's DER. */
  static String thumbprint(X509Certificate cert) {
    try {
      byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return new String(
          Base64.getUrlEncoder().withoutPadding().encode(sha256), StandardCharsets.US_ASCII);
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
