package dev.tokenvault.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Project Wycheproof's JOSE vectors ({@code shared/vectors/wycheproof/json_web_*}) against the
 * signature layer of {@link JwtValidator}, with each group's key as the issuer's only key:
 * every vector marked invalid is refused (modified signatures, payloads and headers, missing
 * parts, {@code alg: none}, algorithm confusion, embedded keys, ROCA and 1024-bit keys, duplicate
 * kids, keys for encryption, JWE in place of JWS...). A valid vector is accepted when its
 * algorithm is one the vault accepts (RS256, PS256, ES256) and its key is public; the vault is
 * stricter than the vectors require elsewhere (no HMAC, no RS384/512, no P-521), so those are
 * refused too, which the test also asserts.
 */
class WycheproofJoseTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> FILES = List.of(
      "json_web_signature_test.json", "json_web_key_test.json", "json_web_crypto_test.json");

  static Path vectors() {
    String configured = System.getProperty("tokenvault.vectors");
    if (configured != null && Files.isDirectory(Path.of(configured, "wycheproof"))) {
      return Path.of(configured, "wycheproof");
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("vectors").resolve("wycheproof");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError("shared/vectors/wycheproof not found; set -Dtokenvault.vectors");
  }

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (String file : FILES) {
      JsonNode root = JSON.readTree(vectors().resolve(file).toFile());
      for (JsonNode group : root.get("testGroups")) {
        JsonNode key = group.has("public") ? group.get("public") : group.get("private");
        for (JsonNode t : group.get("tests")) {
          String compact = t.has("jws") ? t.get("jws").asText() : t.get("jwe").asText();
          out.add(Arguments.of(file + " #" + t.get("tcId").asInt() + " " + t.get("comment").asText(),
              key == null ? null : key.toString(), compact, t.get("result").asText()));
        }
      }
    }
    assertThat(out).hasSizeGreaterThan(400);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void invalidVectorsAreRefused(String name, String key, String compact, String result) {
    JWKSet keys = publicKeys(key);
    JwtValidator validator = new JwtValidator(IssuerKeys.fixed(keys), "iss", "aud",
        Duration.ofSeconds(30), java.time.Clock.fixed(Instant.EPOCH, java.time.ZoneOffset.UTC));
    boolean accepted;
    try {
      validator.verifySignature(compact);
      accepted = true;
    } catch (InvalidTokenException e) {
      accepted = false;
    }
    if (!"valid".equals(result)) {
      assertThat(accepted).as("%s is invalid and must be refused", name).isFalse();
    } else {
      assertThat(accepted).as("%s is valid; accepted only with RS256/PS256/ES256 and a public key", name)
          .isEqualTo(acceptable(compact, keys));
    }
  }

  /** Group keys as the issuer would publish them: public parts only; unparseable sets are empty. */
  static JWKSet publicKeys(String json) {
    if (json == null) {
      return new JWKSet();
    }
    try {
      List<JWK> keys = json.contains("\"keys\"") ? JWKSet.parse(json).getKeys() : List.of(JWK.parse(json));
      List<JWK> pub = new ArrayList<>();
      for (JWK k : keys) {
        JWK p = k.toPublicJWK();
        if (p != null) {
          pub.add(p);
        }
      }
      return new JWKSet(pub);
    } catch (java.text.ParseException | RuntimeException e) {
      return new JWKSet();
    }
  }

  static boolean acceptable(String compact, JWKSet keys) {
    String header;
    try {
      header = new String(Base64.getUrlDecoder().decode(compact.split("\\.")[0]));
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (JWSAlgorithm alg : JwtValidator.ALGORITHMS) {
      if (header.contains("\"" + alg.getName() + "\"")) {
        return !keys.getKeys().isEmpty();
      }
    }
    return false;
  }
}
