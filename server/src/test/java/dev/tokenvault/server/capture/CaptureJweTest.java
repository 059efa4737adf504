package dev.tokenvault.server.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.tokenvault.core.crypto.EcKeyPairs;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The capture JWE policy: exactly ECDH-ES + A256GCM on P-256 with a kid in force. Independent
 * implementations' JWEs (RFC 7520 cookbook, Wycheproof) show that Nimbus with our configuration
 * accepts exactly what we allow: the vectors of other algorithms decrypt with a bare Nimbus
 * decrypter (so the refusal is the policy, not an interop failure) and are refused by ours.
 */
class CaptureJweTest {
  static final String KID = "capture-enc-2026-11";
  static final KeyPair PAIR = EcKeyPairs.p256FromSeed(new byte[32], "test");
  static final Function<String, Optional<ECPrivateKey>> KEYS =
      kid -> KID.equals(kid) ? Optional.of((ECPrivateKey) PAIR.getPrivate()) : Optional.empty();
  static final String COOKBOOK = "jose-cookbook/jwe/";

  static String seal(JWEHeader header, String plaintext) throws Exception {
    JWEObject jwe = new JWEObject(header, new Payload(plaintext));
    jwe.encrypt(new ECDHEncrypter((ECPublicKey) PAIR.getPublic()));
    return jwe.serialize();
  }

  static JWEHeader.Builder ours() {
    return new JWEHeader.Builder(JWEAlgorithm.ECDH_ES, EncryptionMethod.A256GCM).keyID(KID);
  }

  static String code(Runnable r) {
    CaptureException e = catchThrowableOfType(CaptureException.class, r::run);
    assertThat(e).as("refused").isNotNull();
    return e.code;
  }

  @Test
  void opensWhatThePolicyAllows() throws Exception {
    String jwe = seal(ours().build(), "{\"hello\":1}");
    assertThat(new String(CaptureJwe.open(jwe, KEYS), StandardCharsets.UTF_8)).isEqualTo("{\"hello\":1}");
  }

  @Test
  void refusesOtherEncryptionMethodsCompressionAndExtraHeaders() throws Exception {
    for (EncryptionMethod m : List.of(EncryptionMethod.A128GCM, EncryptionMethod.A192GCM,
        EncryptionMethod.A128CBC_HS256, EncryptionMethod.A256CBC_HS512)) {
      String jwe = seal(new JWEHeader.Builder(JWEAlgorithm.ECDH_ES, m).keyID(KID).build(), "x");
      assertThat(code(() -> CaptureJwe.open(jwe, KEYS))).as(m.getName()).isEqualTo("invalid_jwe");
    }
    for (JWEAlgorithm a : List.of(JWEAlgorithm.ECDH_ES_A128KW, JWEAlgorithm.ECDH_ES_A256KW)) {
      String jwe = seal(new JWEHeader.Builder(a, EncryptionMethod.A256GCM).keyID(KID).build(), "x");
      assertThat(code(() -> CaptureJwe.open(jwe, KEYS))).as(a.getName()).isEqualTo("invalid_jwe");
    }
    String zipped = seal(ours().compressionAlgorithm(com.nimbusds.jose.CompressionAlgorithm.DEF).build(), "x");
    assertThat(code(() -> CaptureJwe.open(zipped, KEYS))).isEqualTo("invalid_jwe");
    String jku = seal(ours().jwkURL(java.net.URI.create("https://attacker.example/jwks")).build(), "x");
    assertThat(code(() -> CaptureJwe.open(jku, KEYS))).isEqualTo("invalid_jwe");
    String custom = seal(ours().customParam("x-note", "hi").build(), "x");
    assertThat(code(() -> CaptureJwe.open(custom, KEYS))).isEqualTo("invalid_jwe");
  }

  @Test
  void refusesAnUnknownOrMissingKid() throws Exception {
    String other = seal(ours().keyID("capture-enc-2020-01").build(), "x");
    assertThat(code(() -> CaptureJwe.open(other, KEYS))).isEqualTo("unknown_kid");
    String none = seal(new JWEHeader.Builder(JWEAlgorithm.ECDH_ES, EncryptionMethod.A256GCM).build(), "x");
    assertThat(code(() -> CaptureJwe.open(none, KEYS))).isEqualTo("unknown_kid");
  }

  @Test
  void refusesEveryTamperedPart() throws Exception {
    String jwe = seal(ours().build(), "{\"number\":\"4111111111111111\"}");
    String[] parts = jwe.split("\\.", -1);
    assertThat(parts).hasSize(5);
    for (int part : new int[] {0, 2, 3, 4}) {
      byte[] bytes = Base64URL.from(parts[part]).decode();
      for (int at : new int[] {0, bytes.length / 2, bytes.length - 1}) {
        byte[] flipped = bytes.clone();
        flipped[at] ^= 0x01;
        String[] t = parts.clone();
        t[part] = Base64URL.encode(flipped).toString();
        String tampered = String.join(".", t);
        String c = code(() -> CaptureJwe.open(tampered, KEYS));
        assertThat(c).as("part %d byte %d", part, at).isIn("invalid_jwe", "unknown_kid");
      }
    }
    // an encrypted key where ECDH-ES has none, a missing tag, a truncated IV
    String[] t = parts.clone();
    t[1] = "AAAA";
    assertThat(code(() -> CaptureJwe.open(String.join(".", t), KEYS))).isEqualTo("invalid_jwe");
    assertThat(code(() -> CaptureJwe.open(parts[0] + ".." + parts[2] + "." + parts[3] + ".", KEYS)))
        .isEqualTo("invalid_jwe");
    assertThat(code(() -> CaptureJwe.open(parts[0] + ".." + parts[2].substring(4) + "." + parts[3]
        + "." + parts[4], KEYS))).isEqualTo("invalid_jwe");
    assertThat(code(() -> CaptureJwe.open("not a jwe", KEYS))).isEqualTo("invalid_jwe");
    assertThat(code(() -> CaptureJwe.open("", KEYS))).isEqualTo("invalid_jwe");
    assertThat(code(() -> CaptureJwe.open("a".repeat(CaptureJwe.MAX_LENGTH + 1), KEYS)))
        .isEqualTo("request_too_large");
  }

  @Test
  void refusesAnEphemeralKeyOffTheCurve() throws Exception {
    String jwe = seal(ours().build(), "x");
    String[] parts = jwe.split("\\.", -1);
    JWEHeader h = JWEHeader.parse(Base64URL.from(parts[0]));
    ECKey epk = (ECKey) h.getEphemeralPublicKey();
    // the same x with y + 1: not a point of P-256 (an invalid-curve attack's key)
    java.math.BigInteger y = epk.getY().decodeToBigInteger().add(java.math.BigInteger.ONE);
    String json = h.toJSONObject().toString();
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(h.toJSONObject());
    java.util.Map<String, Object> e = new java.util.LinkedHashMap<>(epk.toJSONObject());
    e.put("y", Base64URL.encode(com.nimbusds.jose.util.BigIntegerUtils.toBytesUnsigned(y)).toString());
    m.put("epk", e);
    String forged = Base64URL.encode(com.nimbusds.jose.util.JSONObjectUtils.toJSONString(m)).toString();
    assertThat(json).isNotEmpty();
    assertThat(code(() -> CaptureJwe.open(forged + ".." + parts[2] + "." + parts[3] + "." + parts[4], KEYS)))
        .isEqualTo("invalid_jwe");
  }

  // ---------- RFC 7520 (JOSE cookbook) ----------

  /** 5.5: ECDH-ES on P-256, but with A128CBC-HS256: Nimbus decrypts it, our policy refuses it. */
  @Test
  void cookbookEcdhEsWithCbcHmacDecryptsInNimbusAndIsRefused() throws Exception {
    JsonNode v = CaptureVectors.json(COOKBOOK + "5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json");
    assertBareNimbusDecrypts(v, new ECDHDecrypter(ECKey.parse(v.get("input").get("key").toString())));
    ECPrivateKey key = ECKey.parse(v.get("input").get("key").toString()).toECPrivateKey();
    String compact = v.get("output").get("compact").asText();
    assertThat(code(() -> CaptureJwe.open(compact, kid -> Optional.of(key)))).isEqualTo("invalid_jwe");
  }

  /** 5.4: ECDH-ES+A128KW on P-384 with A128GCM: refused (key wrapping, curve, enc). */
  @Test
  void cookbookEcdhEsKeyWrapIsRefused() throws Exception {
    JsonNode v = CaptureVectors.json(COOKBOOK + "5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json");
    ECKey jwk = ECKey.parse(v.get("input").get("key").toString());
    assertBareNimbusDecrypts(v, new ECDHDecrypter(jwk));
    String compact = v.get("output").get("compact").asText();
    assertThat(code(() -> CaptureJwe.open(compact, kid -> Optional.empty()))).isEqualTo("invalid_jwe");
  }

  /** 5.2: RSA-OAEP with A256GCM: a valid JWE of an algorithm we do not accept. */
  @Test
  void cookbookRsaOaepIsRefused() throws Exception {
    JsonNode v = CaptureVectors.json(COOKBOOK + "5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json");
    assertBareNimbusDecrypts(v, new RSADecrypter(RSAKey.parse(v.get("input").get("key").toString())));
    String compact = v.get("output").get("compact").asText();
    assertThat(code(() -> CaptureJwe.open(compact, KEYS))).isEqualTo("invalid_jwe");
  }

  /** 5.6 (dir) and 5.9 (zip): refused before any key is looked up. */
  @Test
  void cookbookDirectAndCompressedAreRefused() {
    for (String f : List.of("5_6.direct_encryption_using_aes-gcm.json", "5_9.compressed_content.json",
        "5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json")) {
      String compact = CaptureVectors.json(COOKBOOK + f).get("output").get("compact").asText();
      assertThat(code(() -> CaptureJwe.open(compact, KEYS))).as(f).isEqualTo("invalid_jwe");
    }
  }

  private static void assertBareNimbusDecrypts(JsonNode v, JWEDecrypter d) throws Exception {
    JWEObject o = JWEObject.parse(v.get("output").get("compact").asText());
    o.decrypt(d);
    assertThat(o.getPayload().toString()).isEqualTo(v.get("input").get("plaintext").asText());
  }

  // ---------- Wycheproof ----------

  /**
   * Every Wycheproof JWE vector: the one that is exactly ECDH-ES + A256GCM on P-256 (tcId 78) must
   * open to its plaintext; every other one (other algorithms, tampered, malformed, invalid curve
   * points) must be refused. All failures are collected, then asserted once.
   */
  @Test
  void wycheproofJsonWebEncryption() throws Exception {
    JsonNode doc = CaptureVectors.json("wycheproof/json_web_encryption_test.json");
    List<String> failures = new ArrayList<>();
    int opened = 0;
    int refused = 0;
    for (JsonNode g : doc.get("testGroups")) {
      JWK jwk = JWK.parse(g.get("private").toString());
      Optional<ECPrivateKey> key = jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())
          ? Optional.of(ec.toECPrivateKey()) : Optional.empty();
      for (JsonNode t : g.get("tests")) {
        int id = t.get("tcId").asInt();
        if (!t.get("jwe").isTextual()) {
          continue; // JSON serialization: not a compact JWE, cannot even be posted as one
        }
        String compact = t.get("jwe").asText();
        boolean ours = isEcdhEsA256Gcm(compact);
        try {
          byte[] pt = CaptureJwe.open(compact, kid -> key);
          opened++;
          if (!ours || !"valid".equals(t.get("result").asText())) {
            failures.add("tcId " + id + " opened but must be refused");
          } else if (!java.util.HexFormat.of().formatHex(pt).equals(t.get("pt").asText())) {
            failures.add("tcId " + id + " opened to the wrong plaintext");
          }
        } catch (CaptureException e) {
          refused++;
          if (ours && "valid".equals(t.get("result").asText())) {
            failures.add("tcId " + id + " refused (" + e.code + ") but is ours and valid");
          }
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(opened).as("vectors of exactly our algorithm that opened").isEqualTo(1);
    assertThat(refused).isGreaterThan(100);
  }

  private static boolean isEcdhEsA256Gcm(String compact) {
    try {
      JWEHeader h = JWEObject.parse(compact).getHeader();
      return JWEAlgorithm.ECDH_ES.equals(h.getAlgorithm())
          && EncryptionMethod.A256GCM.equals(h.getEncryptionMethod());
    } catch (java.text.ParseException e) {
      return false;
    }
  }

  @Test
  void checkHeaderIsTheWholePolicy() {
    assertThatThrownBy(() -> CaptureJwe.checkHeader(
        new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM).build()))
        .isInstanceOf(CaptureException.class);
  }
}
