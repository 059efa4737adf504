package dev.tokenvault.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import java.text.ParseException;

/** Capture JWEs made the way a browser does (ECDH-ES + A256GCM), with Nimbus on the client side. */
final class CaptureJwes {
  private CaptureJwes() {}

  static String payload(String number, String expiry, String cvv, String name, String session) {
    return "{\"number\":\"" + number + "\",\"expiry\":\"" + expiry + "\",\"cvv\":\"" + cvv
        + "\",\"name\":\"" + name + "\",\"session\":\"" + session + "\"}";
  }

  static String seal(JsonNode encryptionJwk, String payload) {
    return seal(encryptionJwk, encryptionJwk.get("kid").asText(), payload);
  }

  static String seal(JsonNode encryptionJwk, String kid, String payload) {
    try {
      ECKey key = ECKey.parse(encryptionJwk.toString());
      JWEObject jwe = new JWEObject(
          new JWEHeader.Builder(JWEAlgorithm.ECDH_ES, EncryptionMethod.A256GCM).keyID(kid).build(),
          new Payload(payload));
      jwe.encrypt(new ECDHEncrypter(key));
      return jwe.serialize();
    } catch (ParseException | JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
