package dev.tokenvault.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hand-written JSON of string maps and lists reads back through Jackson to the same value. */
class RowsJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> HARD =
      List.of("", "plain", "quote\"inside", "back\\slash", "new\nline", "tab\t", "\u0000nul",
          "\u001f", "unicode é ü 漢字 \ud83d\ude00", "</script>", "\u2028sep");

  @Test
  void mapsRoundTrip() throws Exception {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < HARD.size(); i++) {
      map.put("k" + i + HARD.get(i), HARD.get((i + 1) % HARD.size()));
    }
    String json = Rows.toJson(map);
    assertThat(JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {}))
        .containsExactlyEntriesOf(map);
    assertThat(Rows.toJson(Map.of())).isEqualTo("{}");
  }

  @Test
  void listsRoundTrip() throws Exception {
    String json = Rows.toJson(HARD);
    assertThat(JSON.readValue(json, new TypeReference<List<String>>() {})).isEqualTo(HARD);
    assertThat(Rows.toJson(List.of())).isEqualTo("[]");
  }
}
