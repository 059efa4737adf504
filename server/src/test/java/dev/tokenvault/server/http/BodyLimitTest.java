package dev.tokenvault.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** {@link BodyLimit.Bounded}: a body of exactly the limit reads whole; one byte more fails. */
class BodyLimitTest {

  private static InputStream bounded(int size, long limit) {
    return new BodyLimit.Bounded(new ByteArrayInputStream(new byte[size]), limit);
  }

  @Test
  void aBodyOfExactlyTheLimitReadsWhole() throws IOException {
    try (InputStream in = bounded(16, 16)) {
      assertThat(in.readAllBytes()).hasSize(16);
    }
  }

  @Test
  void aBodyOverTheLimitFailsWhenTheReadPassesIt() throws IOException {
    try (InputStream in = bounded(17, 16)) {
      byte[] first = new byte[10];
      assertThat(in.read(first, 0, 10)).isEqualTo(10);
      assertThatThrownBy(in::readAllBytes).isInstanceOf(BodyLimit.TooLarge.class);
    }
  }

  @Test
  void singleByteReadsAndSkipsCountToo() throws IOException {
    try (InputStream in = bounded(17, 16)) {
      assertThat(in.skip(16)).isEqualTo(16);
      assertThatThrownBy(in::read).isInstanceOf(BodyLimit.TooLarge.class);
    }
    try (InputStream in = bounded(17, 16)) {
      assertThatThrownBy(() -> in.skip(17)).isInstanceOf(BodyLimit.TooLarge.class);
    }
  }
}
