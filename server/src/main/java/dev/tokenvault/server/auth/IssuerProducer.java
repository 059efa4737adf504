package dev.tokenvault.server.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Builds the {@link JwtValidator} from the vault's settings: the expected issuer ({@code
 * tokenvault.auth.issuer}, else the dev issuer's), audience, and where the keys come from: a PEM
 * public key ({@code tokenvault.auth.public-key}), a JWKS URL or file ({@code
 * tokenvault.auth.jwks-uri}, discovered at start from the issuer when unset), else the dev
 * issuer's JWKS file.
 */
public class IssuerProducer {
  /** RFC 7519 §4.1.4 allows "some small leeway"; 30 s covers ordinary clock drift. */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

  @Produces
  @Singleton
  JwtValidator validator(
      @ConfigProperty(name = "tokenvault.auth.issuer") Optional<String> issuer,
      @ConfigProperty(name = "tokenvault.auth.audience") String audience,
      @ConfigProperty(name = "tokenvault.auth.public-key") Optional<String> publicKey,
      @ConfigProperty(name = "tokenvault.auth.jwks-uri") Optional<String> jwksUri,
      @ConfigProperty(name = "tokenvault.auth.jwks-refresh-min-interval", defaultValue = "30s") Duration minRefresh,
      @ConfigProperty(name = "tokenvault.auth.jwks-max-age", defaultValue = "10m") Duration maxAge,
      @ConfigProperty(name = "tokenvault.data-dir") String dataDir,
      Clock clock) {
    boolean external = issuer.filter(s -> !s.isBlank()).isPresent();
    IssuerKeys keys;
    if (external && publicKey.filter(s -> !s.isBlank()).isPresent()) {
      keys = IssuerKeys.fixed(new JWKSet(pemKey(Path.of(publicKey.get()))));
    } else if (external && jwksUri.filter(s -> !s.isBlank()).isPresent()) {
      String uri = jwksUri.get().trim();
      keys = uri.startsWith("https:") || uri.startsWith("http:")
          ? IssuerKeys.remote(URI.create(uri), clock, minRefresh, maxAge)
          : IssuerKeys.fixed(jwksFile(Path.of(uri)));
    } else if (external) {
      throw new IllegalStateException("tokenvault.auth.issuer is set but neither"
          + " tokenvault.auth.jwks-uri nor tokenvault.auth.public-key could be determined");
    } else {
      keys = IssuerKeys.fixed(jwksFile(Path.of(dataDir).resolve("dev-issuer").resolve("jwks.json")));
    }
    return new JwtValidator(keys, external ? issuer.get().trim() : DevIssuer.ISSUER, audience,
        CLOCK_SKEW, clock);
  }

  static JWKSet jwksFile(Path file) {
    try {
      return JWKSet.parse(Files.readString(file));
    } catch (IOException | ParseException e) {
      throw new IllegalStateException("cannot read the JWKS file " + file, e);
    }
  }

  /** A PEM SubjectPublicKeyInfo, RSA or EC P-256, as a JWK. */
  static com.nimbusds.jose.jwk.JWK pemKey(Path pem) {
    try {
      String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
      PublicKey key;
      try {
        key = KeyFactory.getInstance("RSA").generatePublic(spec);
      } catch (InvalidKeySpecException notRsa) {
        key = KeyFactory.getInstance("EC").generatePublic(spec);
      }
      if (key instanceof RSAPublicKey rsa) {
        return new RSAKey.Builder(rsa).build();
      }
      return new ECKey.Builder(Curve.forECParameterSpec(((ECPublicKey) key).getParams()),
          (ECPublicKey) key).build();
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "tokenvault.auth.public-key must be a PEM RSA or EC public key (SubjectPublicKeyInfo)", e);
    }
  }
}
