package dev.tokenvault.server.bootstrap;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The development PKI made on first start under {@code DIR/tls/}: a local CA, a server
 * certificate for {@code localhost}/{@code 127.0.0.1}/{@code ::1}, and a demo client certificate
 * for mutual TLS. All keys are EC P-256 (NIST SP 800-186), signatures ECDSA with SHA-256.
 *
 * <h2>Files</h2>
 *
 * {@code ca.pem}, {@code ca-key.pem}, {@code server.pem}, {@code server-key.pem}, {@code
 * client.pem}, {@code client-key.pem}: PEM, private keys as unencrypted PKCS#8, all mode 0600 in a
 * 0700 directory. They are reused on later starts; a leaf certificate within {@link #RENEW_BEFORE}
 * of its expiry is reissued under the same CA, so clients that trust {@code ca.pem} keep working.
 *
 * <h2>Threat model</h2>
 *
 * This is a development convenience: anyone who can read the data directory can impersonate the
 * server to clients that trust this CA. Production passes its own certificate through {@code
 * tokenvault.tls.cert}/{@code tokenvault.tls.key}, and then none of this runs.
 */
public final class DevPki {
  /** A CA that outlives any laptop's use of it. */
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** 397 days: the longest leaf validity that browsers accept (CA/Browser Forum). */
  static final Duration LEAF_VALIDITY = Duration.ofDays(397);
  /** Reissue a leaf this long before it expires. */
  static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private static final String SIG_ALG = "SHA256withECDSA";

  private final Path dir;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public DevPki(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  public Path caCert() {
    return dir.resolve("ca.pem");
  }

  public Path serverCert() {
    return dir.resolve("server.pem");
  }

  public Path serverKey() {
    return dir.resolve("server-key.pem");
  }

  /** Creates whatever is missing or about to expire; returns true if anything was written. */
  public boolean ensure() {
    SecureFiles.ownerOnlyDirectory(dir);
    boolean changed = false;
    try {
      Issued ca;
      if (!Files.exists(caCert()) || !Files.exists(dir.resolve("ca-key.pem"))
          || expiresSoon(readCert(caCert()))) {
        ca = issueCa();
        write("ca", ca);
        // a new CA invalidates every leaf
        Files.deleteIfExists(serverCert());
        Files.deleteIfExists(dir.resolve("client.pem"));
        changed = true;
      } else {
        ca = new Issued(readCert(caCert()), readKey(dir.resolve("ca-key.pem")));
      }
      if (!Files.exists(serverCert()) || !Files.exists(serverKey())
          || expiresSoon(readCert(serverCert()))) {
        write("server", issueServer(ca));
        changed = true;
      }
      if (!Files.exists(dir.resolve("client.pem")) || !Files.exists(dir.resolve("client-key.pem"))
          || expiresSoon(readCert(dir.resolve("client.pem")))) {
        write("client", issueClient(ca));
        changed = true;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the development certificates in " + dir, e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the development certificates", e);
    }
    return changed;
  }

  private boolean expiresSoon(X509Certificate cert) {
    return cert.getNotAfter().toInstant().isBefore(clock.instant().plus(RENEW_BEFORE));
  }

  record Issued(X509Certificate cert, PrivateKey key) {}

  private Issued issueCa() throws GeneralSecurityException, OperatorCreationException, IOException {
    KeyPair kp = newKeyPair();
    X500Name name = new X500Name("CN=tokenvault local development CA,O=tokenvault");
    JcaX509v3CertificateBuilder b = builder(name, name, CA_VALIDITY, kp.getPublic());
    JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
    return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
  }

  private Issued issueServer(Issued ca)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    KeyPair kp = newKeyPair();
    JcaX509v3CertificateBuilder b = leaf(ca, "CN=localhost,O=tokenvault", kp.getPublic());
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        new GeneralName(GeneralName.iPAddress, "::1")}));
    return new Issued(sign(b, ca.key()), kp.getPrivate());
  }

  private Issued issueClient(Issued ca)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    KeyPair kp = newKeyPair();
    JcaX509v3CertificateBuilder b = leaf(ca, "CN=tokenvault demo client,O=tokenvault", kp.getPublic());
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    return new Issued(sign(b, ca.key()), kp.getPrivate());
  }

  private JcaX509v3CertificateBuilder leaf(Issued ca, String subject, PublicKey pub)
      throws GeneralSecurityException, IOException {
    X500Name issuer = X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
    JcaX509v3CertificateBuilder b = builder(issuer, new X500Name(subject), LEAF_VALIDITY, pub);
    JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(pub));
    b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca.cert()));
    return b;
  }

  private JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, Duration validity, PublicKey pub) {
    Instant now = clock.instant();
    // back-dated an hour so that a client with a slightly slow clock accepts it
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, random).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, pub);
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner signer = new JcaContentSignerBuilder(SIG_ALG).build(key);
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
    kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
    return kpg.generateKeyPair();
  }

  private void write(String name, Issued issued) throws IOException {
    SecureFiles.writeOwnerOnly(dir.resolve(name + "-key.pem"), pem(new JcaPKCS8Generator(issued.key(), null)));
    SecureFiles.writeOwnerOnly(dir.resolve(name + ".pem"), pem(issued.cert()));
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }

  public static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
    try (PEMParser p = new PEMParser(new StringReader(SecureFiles.read(file)))) {
      Object o = p.readObject();
      if (!(o instanceof X509CertificateHolder h)) {
        throw new GeneralSecurityException("not a certificate: " + file);
      }
      return new JcaX509CertificateConverter().getCertificate(h);
    }
  }

  public static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
    try (PEMParser p = new PEMParser(new StringReader(SecureFiles.read(file)))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new GeneralSecurityException("not a PKCS#8 private key: " + file);
      }
      return new JcaPEMKeyConverter().getPrivateKey(info);
    }
  }
}
