package dev.tokenvault.core.value;

import static dev.tokenvault.core.testing.Rejections.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ValueTypeTest {

  @Test
  void wireNames_roundTrip() {
    for (ValueType t : ValueType.values()) {
      assertThat(ValueType.fromWireName(t.wireName())).isEqualTo(t);
    }
    assertThat(ValueType.CARD.wireName()).isEqualTo("card");
    assertThat(ValueType.ACCOUNT.wireName()).isEqualTo("account");
  }

  @Test
  void fromWireName_whenUnknownThenInvalidType() {
    assertRejected(() -> ValueType.fromWireName("CARD")).isEqualTo("invalid_type");
    assertRejected(() -> ValueType.fromWireName("")).isEqualTo("invalid_type");
    assertRejected(() -> ValueType.fromWireName(null)).isEqualTo("invalid_type");
  }
}
