package dev.tokenvault.server.it;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client that offers exactly one protocol version and (optionally) one cipher suite, run in
 * its own JVM by {@link TransportPolicyIT}: the JDK refuses to offer TLS 1.0/1.1 and legacy suites
 * by default ({@code jdk.tls.disabledAlgorithms}), and that setting is read once per JVM, so this
 * probe clears it before any TLS class loads. It prints {@code OK <protocol> <suite>} or {@code
 * REFUSED <message>}.
 *
 * <p>Usage: {@code TlsProbe PORT CA_PEM PROTOCOL [SUITE]}.
 */
public final class TlsProbe {
  private TlsProbe() {}

  public static void main(String[] args) throws Exception {
    Security.setProperty("jdk.tls.disabledAlgorithms", "");
    Security.setProperty("jdk.certpath.disabledAlgorithms", "");
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", Integer.parseInt(args[0]))) {
      s.setSoTimeout(30_000);
      s.setEnabledProtocols(new String[] {args[2]});
      if (args.length > 3) {
        s.setEnabledCipherSuites(new String[] {args[3]});
      }
      s.startHandshake();
      System.out.println("OK " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
    } catch (SSLException e) {
      System.out.println("REFUSED " + e.getMessage());
    }
  }
}
