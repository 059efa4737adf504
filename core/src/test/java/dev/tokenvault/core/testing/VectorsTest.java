package dev.tokenvault.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class VectorsTest {

  @Test
  void directory_isFoundAndHoldsTheVectorFolders() {
    assertThat(Vectors.directory()).isDirectory();
    assertThat(Files.isDirectory(Vectors.directory().resolve("wycheproof"))).isTrue();
    assertThat(Files.isDirectory(Vectors.directory().resolve("cards"))).isTrue();
  }

  @Test
  void directory_withoutThePropertyIsFoundByWalkingUp() {
    String configured = System.getProperty(Vectors.PROPERTY);
    try {
      System.clearProperty(Vectors.PROPERTY);
      assertThat(Vectors.directory()).isDirectory();
      assertThat(Vectors.directory().endsWith(java.nio.file.Paths.get("shared", "vectors"))).isTrue();
    } finally {
      if (configured != null) {
        System.setProperty(Vectors.PROPERTY, configured);
      }
    }
  }

  @Test
  void missingFile_failsInsteadOfSkipping() {
    assertThatThrownBy(() -> Vectors.file("wycheproof/no_such_file.json"))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void cards_areLoadedWithSpacesStripped() {
    assertThat(TestCards.adyenCards())
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.digits()).as("%s", c).matches("[0-9]{12,19}"));
    assertThat(TestCards.adyenIbans()).isNotEmpty();
  }

  @Test
  void cardToString_neverShowsDigits() {
    TestCards.Card c = TestCards.adyenCards().get(0);
    assertThat(c.toString()).doesNotContainPattern("[0-9]{5,}");
  }
}
