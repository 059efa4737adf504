package dev.tokenvault.server.bootstrap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;

/**
 * The dev issuer's RS256 signing key under {@code DIR/dev-issuer/}: {@code signing-key.jwk} (the
 * private JWK, mode 0600) and {@code jwks.json} (the public JWK set the resource server verifies
 * against and {@code /oauth2/jwks} publishes). Made on first start, reused afterwards.
 */
public final class DevIssuerKey {
  /** RSA modulus size: 2048 bits is the RFC 7518 minimum for RS256 and cheap to verify. */
  static final int RSA_BITS = 2048;

  private DevIssuerKey() {}

  public static Path jwksFile(Path dataDir) {
    return dataDir.resolve("dev-issuer").resolve("jwks.json");
  }

  public static Path privateKeyFile(Path dataDir) {
    return dataDir.resolve("dev-issuer").resolve("signing-key.jwk");
  }

  /** Creates the key if missing; returns true if it was created. */
  public static boolean ensure(Path dataDir) {
    SecureFiles.ownerOnlyDirectory(dataDir.resolve("dev-issuer"));
    if (Files.exists(privateKeyFile(dataDir)) && Files.exists(jwksFile(dataDir))) {
      return false;
    }
    try {
      RSAKey key = new RSAKeyGenerator(RSA_BITS)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.RS256)
          .keyIDFromThumbprint(true)
          .generate();
      SecureFiles.writeOwnerOnly(privateKeyFile(dataDir), key.toJSONString());
      SecureFiles.writeOwnerOnly(jwksFile(dataDir), new JWKSet(key.toPublicJWK()).toString());
      return true;
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate the dev issuer key", e);
    }
  }

  /** The private signing key. */
  public static RSAKey load(Path dataDir) {
    try {
      return RSAKey.parse(SecureFiles.read(privateKeyFile(dataDir)));
    } catch (ParseException e) {
      throw new IllegalStateException("the dev issuer key file is not a valid JWK", e);
    }
  }
}
