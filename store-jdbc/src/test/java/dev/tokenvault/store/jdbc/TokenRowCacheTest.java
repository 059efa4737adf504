package dev.tokenvault.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.testkit.TestRecords;
import org.junit.jupiter.api.Test;

/** The stamp rule that keeps {@link TokenRowCache} from holding a row older than a change. */
class TokenRowCacheTest {
  private final TokenRowCache cache = new TokenRowCache(100);
  private final TokenRecord row =
      TestRecords.tokenRecord(TestRecords.namespace(), "dk_test").build();
  private final String token = row.token().value();

  @Test
  void offerWhenNothingChangedSinceTheStampThenKept() {
    long stamp = cache.stamp();

    cache.offer(row, stamp);

    assertThat(cache.get(token)).isEqualTo(row);
  }

  @Test
  void offerWhenAChangeBeganSinceTheStampThenRefused() {
    long stamp = cache.stamp();
    cache.changing(token);

    cache.offer(row, stamp);

    assertThat(cache.get(token)).isNull();
  }

  @Test
  void offerWhenAChangeToAnotherTokenHappenedSinceTheStampThenRefusedToo() {
    long stamp = cache.stamp();
    cache.changing("tok_other");

    cache.offer(row, stamp);

    assertThat(cache.get(token)).isNull();
  }

  @Test
  void changingWhenTheRowIsHeldThenDropped() {
    cache.offer(row, cache.stamp());

    cache.changing(token);

    assertThat(cache.get(token)).isNull();
    // A read that starts after the change may keep what it finds.
    cache.offer(row, cache.stamp());
    assertThat(cache.get(token)).isEqualTo(row);
  }

  @Test
  void newWhenNoRowsThenRefused() {
    assertThatThrownBy(() -> new TokenRowCache(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
