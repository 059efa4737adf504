package dev.tokenvault.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

/** Access tokens for tests: from the dev issuer, or forged with a chosen key and claims. */
final class DevTokens {
  static final String ALL_SCOPES =
      "payments.tokenize payments.create payments.read payments.detokenize audit.read keys.admin";

  private DevTokens() {}

  static String secret(Path dataDir, String clientId) {
    try {
      for (JsonNode c : Http.JSON.readTree(Files.readString(dataDir.resolve("dev-clients.json")))) {
        if (c.get("clientId").asText().equals(clientId)) {
          return c.get("clientSecret").asText();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalArgumentException("no client " + clientId);
  }

  static String basic(String id, String secret) {
    return Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  /** A dev-issuer token of the admin client narrowed to {@code scopes}. */
  static String token(VaultServer server, String scopes) {
    return token(server, "admin", scopes);
  }

  /** A dev-issuer token of {@code client} ({@code merchant} or {@code admin}) narrowed to {@code scopes}. */
  static String token(VaultServer server, String client, String scopes) {
    HttpResponse<String> r = server.http().postForm("/oauth2/token",
        "grant_type=client_credentials&scope=" + URLEncoder.encode(scopes, StandardCharsets.UTF_8),
        basic(client, secret(server.dataDir, client)));
    if (r.statusCode() != 200) {
      throw new AssertionError("token endpoint answered " + r.statusCode() + ": " + r.body());
    }
    return Http.json(r).get("access_token").asText();
  }

  static RSAKey devKey(Path dataDir) {
    try {
      return RSAKey.parse(Files.readString(dataDir.resolve("dev-issuer").resolve("signing-key.jwk")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ParseException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Claims like the dev issuer's, for forging variants. */
  static JWTClaimsSet.Builder claims(String issuer, String scope, Instant iat, Instant exp) {
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience("tokenvault")
        .subject("test-client")
        .claim("client_id", "test-client")
        .claim("scope", scope)
        .issueTime(Date.from(iat))
        .notBeforeTime(Date.from(iat))
        .expirationTime(Date.from(exp))
        .jwtID(UUID.randomUUID().toString());
  }

  static String sign(RSAKey key, JWTClaimsSet claims) {
    try {
      JWSSigner signer = new RSASSASigner(key);
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
          .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token ({@code alg: none}, RFC 7519 §6). */
  static String unsigned(JWTClaimsSet claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String payload = b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
    return header + "." + payload + ".";
  }
}
