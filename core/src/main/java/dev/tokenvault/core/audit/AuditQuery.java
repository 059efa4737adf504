package dev.tokenvault.core.audit;

import java.time.Instant;

/**
 * A filter over the audit log. Null fields match everything; set fields must all match (exact,
 * case-sensitive). The time range is half-open: {@code from <= eventTime < to}. Results come
 * oldest first, after the sequence number {@code afterSequence} (0 for the start), at most {@code
 * limit} of them; the last result's sequence is the {@code afterSequence} of the next page.
 */
public record AuditQuery(
    String eventName,
    String principal,
    String clientId,
    String token,
    Outcome outcome,
    Instant from,
    Instant to,
    long afterSequence,
    int limit) {

  public static final int MAX_LIMIT = 1000;

  public AuditQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT);
    }
    if (afterSequence < 0) {
      throw new IllegalArgumentException("afterSequence must be >= 0");
    }
  }

  public static AuditQuery all(int limit) {
    return new AuditQuery(null, null, null, null, null, null, null, 0, limit);
  }
}
