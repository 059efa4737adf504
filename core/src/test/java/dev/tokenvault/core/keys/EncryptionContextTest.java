package dev.tokenvault.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EncryptionContextTest {

  @Test
  void canonicalBytes_areOrderIndependent() {
    Map<String, String> forward = new LinkedHashMap<>();
    forward.put("tokenvault:namespace", "shop-1");
    forward.put("tokenvault:key-id", "dk_1");
    forward.put("tokenvault:purpose", "record");
    Map<String, String> backward = new LinkedHashMap<>();
    backward.put("tokenvault:purpose", "record");
    backward.put("tokenvault:key-id", "dk_1");
    backward.put("tokenvault:namespace", "shop-1");

    EncryptionContext a = new EncryptionContext(forward);
    EncryptionContext b = new EncryptionContext(backward);
    EncryptionContext c = EncryptionContext.of("tokenvault:purpose", "record", "tokenvault:namespace", "shop-1", "tokenvault:key-id", "dk_1");

    assertThat(a.canonicalBytes()).isEqualTo(b.canonicalBytes()).isEqualTo(c.canonicalBytes());
    assertThat(a).isEqualTo(b).isEqualTo(c);
  }

  @Test
  void canonicalBytes_areUnambiguous() {
    assertThat(EncryptionContext.of("ab", "c").canonicalBytes())
        .isNotEqualTo(EncryptionContext.of("a", "bc").canonicalBytes());
    assertThat(EncryptionContext.of("a", "").canonicalBytes())
        .isNotEqualTo(EncryptionContext.of().canonicalBytes());
    assertThat(EncryptionContext.of("a", "b", "c", "d").canonicalBytes())
        .isNotEqualTo(EncryptionContext.of("a", "b\u0000\u0001c\u0000\u0001d").canonicalBytes());
    assertThat(EncryptionContext.of("a", "1").canonicalBytes())
        .isNotEqualTo(EncryptionContext.of("a", "2").canonicalBytes());
  }

  @Test
  void canonicalBytes_layoutIsSortedLengthPrefixedUtf8() {
    assertThat(EncryptionContext.of("b", "\u00e9", "a", "xy").canonicalBytes())
        .containsExactly(0, 1, 'a', 0, 2, 'x', 'y', 0, 1, 'b', 0, 2, 0xc3, 0xa9);
    assertThat(EncryptionContext.of().canonicalBytes()).isEmpty();
  }

  @Test
  void entries_areCopiedAndUnmodifiable() {
    Map<String, String> source = new HashMap<>(Map.of("a", "1"));
    EncryptionContext ec = new EncryptionContext(source);
    source.put("b", "2");

    assertThat(ec.entries()).containsOnlyKeys("a");
    assertThatThrownBy(() -> ec.entries().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void of_rejectsOddArgumentsAndNulls() {
    assertThatIllegalArgumentException().isThrownBy(() -> EncryptionContext.of("a"));
    assertThatNullPointerException().isThrownBy(() -> EncryptionContext.of("a", null));
    assertThatNullPointerException().isThrownBy(() -> EncryptionContext.of(null, "1"));
    assertThatNullPointerException().isThrownBy(() -> new EncryptionContext(null));
  }
}
