package dev.tokenvault.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The published test cards and IBANs of {@code shared/vectors/cards}. They are test numbers, but
 * tests still never print them: {@link #toString()} names a card by its index and logo only, so a
 * parameterized test's display name or a failure message cannot carry the digits.
 */
public final class TestCards {
  private TestCards() {}

  /** One card of {@code adyen-cards.json}, spaces stripped. */
  public record Card(int index, String logo, String digits) {
    @Override
    public String toString() {
      return "card #" + index + " (" + logo + ")";
    }
  }

  /** One IBAN of {@code adyen-ibans.json}. */
  public record Iban(int index, String country, String value) {
    @Override
    public String toString() {
      return "iban #" + index + " (" + country + ")";
    }
  }

  public static List<Card> adyenCards() {
    List<Card> cards = new ArrayList<>();
    for (JsonNode group : Vectors.json("cards/adyen-cards.json")) {
      String logo = group.get("logo").asText();
      for (JsonNode item : group.get("items")) {
        cards.add(new Card(cards.size(), logo, item.get("cardnumber").asText().replace(" ", "")));
      }
    }
    if (cards.isEmpty()) {
      throw new AssertionError("no cards in cards/adyen-cards.json");
    }
    return cards;
  }

  public static List<Iban> adyenIbans() {
    List<Iban> ibans = new ArrayList<>();
    for (JsonNode item : Vectors.json("cards/adyen-ibans.json")) {
      ibans.add(new Iban(ibans.size(), item.get("country").asText(), item.get("iban").asText()));
    }
    if (ibans.isEmpty()) {
      throw new AssertionError("no IBANs in cards/adyen-ibans.json");
    }
    return ibans;
  }
}
