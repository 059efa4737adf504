package dev.tokenvault.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.annotation.Annotation;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.NotificationOptions;
import jakarta.enterprise.util.TypeLiteral;
import org.junit.jupiter.api.Test;

class AuthFailureRecorderTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final List<AuthenticationFailed> fired = new ArrayList<>();
  final Instant now = Instant.parse("2026-01-01T00:00:00Z");
  final AuthFailureRecorder recorder = new AuthFailureRecorder(registry, new Recording(fired),
      Clock.fixed(now, ZoneOffset.UTC));

  @Test
  void failuresAreCountedByReasonAndFiredAsEvents() {
    recorder.failed(AuthFailureReason.EXPIRED, "merchant", "127.0.0.1");
    recorder.failed(AuthFailureReason.EXPIRED, null, "127.0.0.1");
    recorder.failed(AuthFailureReason.ALGORITHM, null, "10.0.0.9");
    recorder.rateLimited("client");
    recorder.rateLimited("auth_lockout");
    recorder.lockedOut();
    assertThat(registry.get("tokenvault.auth.failures").tag("reason", "expired").counter().count()).isEqualTo(2);
    assertThat(registry.get("tokenvault.auth.failures").tag("reason", "algorithm").counter().count()).isEqualTo(1);
    assertThat(registry.get("tokenvault.auth.failures").tag("reason", "certificate_binding").counter().count()).isZero();
    assertThat(registry.get("tokenvault.ratelimit.hits").tag("limit", "client").counter().count()).isEqualTo(1);
    assertThat(registry.get("tokenvault.ratelimit.hits").tag("limit", "auth_lockout").counter().count()).isEqualTo(1);
    assertThat(registry.get("tokenvault.auth.lockouts").counter().count()).isEqualTo(1);
    assertThat(fired).containsExactly(
        new AuthenticationFailed("expired", "merchant", "127.0.0.1", now),
        new AuthenticationFailed("expired", null, "127.0.0.1", now),
        new AuthenticationFailed("algorithm", null, "10.0.0.9", now));
  }

  @Test
  void everyReasonTagIsTheDocumentedOne() {
    assertThat(java.util.Arrays.stream(AuthFailureReason.values()).map(AuthFailureReason::tag)).containsExactly(
        "missing", "malformed", "expired", "not_yet_valid", "issuer", "audience", "unknown_key",
        "signature", "algorithm", "scope", "certificate_binding", "locked_out");
  }

  /** A CDI {@link Event} that records what is fired (the recorder's only use of it). */
  record Recording(List<AuthenticationFailed> fired) implements Event<AuthenticationFailed> {
    @Override
    public void fire(AuthenticationFailed event) {
      fired.add(event);
    }

    @Override
    public <U extends AuthenticationFailed> CompletionStage<U> fireAsync(U event) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <U extends AuthenticationFailed> CompletionStage<U> fireAsync(U event, NotificationOptions options) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Event<AuthenticationFailed> select(Annotation... qualifiers) {
      return this;
    }

    @Override
    public <U extends AuthenticationFailed> Event<U> select(Class<U> subtype, Annotation... qualifiers) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <U extends AuthenticationFailed> Event<U> select(TypeLiteral<U> subtype, Annotation... qualifiers) {
      throw new UnsupportedOperationException();
    }
  }
}
