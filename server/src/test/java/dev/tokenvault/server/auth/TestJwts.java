package dev.tokenvault.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;


import java.time.Instant;


import java.util.Date;

/** Token fixtures: pre-filled claims, signing with a chosen key and algorithm, a clock to move. */
final class TestJwts {
  static final String ISSUER = "https://issuer.test/realms/shop";
  static final String AUDIENCE = "tokenvault";

  private TestJwts() {}

  /** Claims of a good token at {@code now}: 5 minutes of life, the given scope. */
  static JWTClaimsSet.Builder claims(Instant now, String scope) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject("merchant")
        .claim("client_id", "merchant")
        .claim("scope", scope)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300)));
  }

  static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
    return sign(key, new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(), claims);
  }

  static String sign(JWK key, JWSHeader header, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(header, claims);
      if (key instanceof RSAKey rsa) {
        jwt.sign(new RSASSASigner(rsa));
      } else if (key instanceof ECKey ec) {
        jwt.sign(new ECDSASigner(ec));
      } else {
        throw new IllegalArgumentException("key type");
      }
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HS256 with {@code secret} as the HMAC key (the algorithm-confusion attack when it is a public key). */
  static String hs256(byte[] secret, String kid, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

}
