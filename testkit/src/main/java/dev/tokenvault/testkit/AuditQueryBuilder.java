package dev.tokenvault.testkit;

import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.Outcome;
import java.time.Instant;

/** Builds an {@link AuditQuery}; unset filters match everything, the limit defaults to the max. */
public final class AuditQueryBuilder {
  private String eventName;
  private String principal;
  private String clientId;
  private String token;
  private Outcome outcome;
  private Instant from;
  private Instant to;
  private long after;
  private int limit = AuditQuery.MAX_LIMIT;

  public static AuditQueryBuilder query() {
    return new AuditQueryBuilder();
  }

  public AuditQueryBuilder eventName(String v) {
    eventName = v;
    return this;
  }

  public AuditQueryBuilder principal(String v) {
    principal = v;
    return this;
  }

  public AuditQueryBuilder clientId(String v) {
    clientId = v;
    return this;
  }

  public AuditQueryBuilder token(String v) {
    token = v;
    return this;
  }

  public AuditQueryBuilder outcome(Outcome v) {
    outcome = v;
    return this;
  }

  public AuditQueryBuilder from(Instant v) {
    from = v;
    return this;
  }

  public AuditQueryBuilder to(Instant v) {
    to = v;
    return this;
  }

  public AuditQueryBuilder after(long sequence) {
    after = sequence;
    return this;
  }

  public AuditQueryBuilder limit(int v) {
    limit = v;
    return this;
  }

  public AuditQuery build() {
    return new AuditQuery(eventName, principal, clientId, token, outcome, from, to, after, limit);
  }
}
