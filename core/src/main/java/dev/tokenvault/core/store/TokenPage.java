package dev.tokenvault.core.store;

import java.util.List;
import java.util.Objects;

/**
 * One page of tokens, and where the next one starts.
 *
 * @param tokens the records of this page (possibly empty even when more follow: a store that
 *     filters a scan may return an empty page with a cursor)
 * @param next an opaque cursor for the next page, or null when this was the last
 */
public record TokenPage(List<TokenRecord> tokens, String next) {
  public TokenPage {
    tokens = List.copyOf(Objects.requireNonNull(tokens, "tokens"));
  }
}
