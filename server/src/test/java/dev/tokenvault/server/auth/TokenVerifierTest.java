package dev.tokenvault.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final MutableClock clock = new MutableClock(T0);
  final FakeParser parser = new FakeParser();
  final TokenVerifier verifier = new TokenVerifier(parser, clock);

  @Test
  void aTokenIsVerifiedOnceThenServedFromTheCache() {
    parser.claims.put("good", claims("merchant", T0.plusSeconds(600)).scope("payments.read audit.read"));
    Caller first = verifier.verify("good");
    Caller second = verifier.verify("good");
    assertThat(parser.calls).isEqualTo(1);
    assertThat(second).isEqualTo(first);
    assertThat(first.scopes()).containsExactly("payments.read", "audit.read");
    assertThat(first.clientId()).isEqualTo("merchant");
    assertThat(first.namespace().name()).isEqualTo("default");
  }

  @Test
  void aCachedTokenIsRefusedOnceItExpires() {
    parser.claims.put("short", claims("merchant", T0.plusSeconds(60)));
    verifier.verify("short");
    clock.advance(Duration.ofSeconds(61));
    assertThatThrownBy(() -> verifier.verify("short")).isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void failuresAreNotCached() {
    assertThatThrownBy(() -> verifier.verify("forged")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify("forged")).isInstanceOf(InvalidTokenException.class);
    assertThat(parser.calls).isEqualTo(2);
  }

  @Test
  void emptyAndHugeTokensAreRefusedUnparsed() {
    assertThatThrownBy(() -> verifier.verify("")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify("x".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1)))
        .isInstanceOf(InvalidTokenException.class);
    assertThat(parser.calls).isZero();
  }

  @Test
  void scopesComeFromScopeOrScp() {
    parser.claims.put("scp-list", claims("c", T0.plusSeconds(60)).with("scp", List.of("a", "b")));
    parser.claims.put("scp-string", claims("c", T0.plusSeconds(60)).with("scp", "c d"));
    assertThat(verifier.verify("scp-list").scopes()).containsExactly("a", "b");
    assertThat(verifier.verify("scp-string").scopes()).containsExactly("c", "d");
  }

  @Test
  void theVaultsOwnClaimRules() {
    parser.claims.put("no-sub", claims("c", T0.plusSeconds(60)).with("sub", null));
    parser.claims.put("no-exp", claims("c", T0.plusSeconds(60)).with("exp", null));
    parser.claims.put("bad-ns", claims("c", T0.plusSeconds(60)).with(ClaimsValidator.NAMESPACE_CLAIM, "Bad NS"));
    parser.claims.put("ns", claims("c", T0.plusSeconds(60)).with(ClaimsValidator.NAMESPACE_CLAIM, "shop-1"));
    parser.claims.put("azp", claims("c", T0.plusSeconds(60)).with("client_id", null).with("azp", "web"));
    assertThatThrownBy(() -> verifier.verify("no-sub")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify("no-exp")).isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> verifier.verify("bad-ns")).isInstanceOf(InvalidTokenException.class);
    assertThat(verifier.verify("ns").namespace().name()).isEqualTo("shop-1");
    assertThat(verifier.verify("azp").clientId()).isEqualTo("web");
  }

  static Claims claims(String client, Instant exp) {
    return new Claims().with("sub", client).with("client_id", client).with("exp", exp.getEpochSecond());
  }

  /** A token's claims, as smallrye-jwt would hand them over after verification. */
  static final class Claims implements JsonWebToken {
    final Map<String, Object> map = new HashMap<>();

    Claims with(String k, Object v) {
      if (v == null) {
        map.remove(k);
      } else {
        map.put(k, v);
      }
      return this;
    }

    Claims scope(String s) {
      return with("scope", s);
    }

    @Override
    public String getName() {
      return (String) map.get("sub");
    }

    @Override
    public Set<String> getClaimNames() {
      return map.keySet();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getClaim(String name) {
      return (T) map.get(name);
    }

    @Override
    public long getExpirationTime() {
      Object v = map.get("exp");
      return v == null ? 0 : ((Number) v).longValue();
    }
  }

  /** Stands in for smallrye-jwt: known raw strings verify, everything else fails. */
  static final class FakeParser implements JWTParser {
    final Map<String, Claims> claims = new HashMap<>();
    int calls;

    @Override
    public JsonWebToken parse(String token) throws ParseException {
      calls++;
      Claims c = claims.get(token);
      if (c == null) {
        throw new ParseException("signature verification failed");
      }
      return c;
    }

    @Override
    public JsonWebToken parse(String token, JWTAuthContextInfo context) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken verify(String token, PublicKey key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken verify(String token, SecretKey key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken verify(String token, String secret) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken decrypt(String token, PrivateKey key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken decrypt(String token, SecretKey key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken decrypt(String token, String secret) {
      throw new UnsupportedOperationException();
    }

    @Override
    public JsonWebToken parseOnly(String token) {
      throw new UnsupportedOperationException();
    }
  }

  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
