package dev.tokenvault.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tokenvault.core.audit.AuditCheckpoint;
import dev.tokenvault.core.audit.AuditCheckpointer;
import dev.tokenvault.core.audit.AuditVerifier;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/audit}: the audit trail, filtered and paged, and a check of its hash chain. */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit")
public class AuditResource {
  /** Page size when the caller gives none. */
  static final int DEFAULT_LIMIT = 100;

  @Inject AuditLog auditLog;
  @Inject Vault vault;
  @Inject AuditCheckpointer checkpointer;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "AuditEvent")
  public record EventDto(
      long sequence,
      String eventId,
      Instant eventTime,
      String eventName,
      String principal,
      String clientId,
      List<String> scopes,
      String sourceIp,
      String userAgent,
      String clientCertSubject,
      String requestId,
      String namespace,
      String token,
      String keyId,
      Integer keyVersion,
      Map<String, String> encryptionContext,
      String outcome,
      String errorCode,
      String previousHash,
      String hash) {

    static EventDto of(StoredAuditEvent s) {
      AuditEvent e = s.event();
      return new EventDto(s.sequence(), e.eventId(), e.eventTime(), e.eventName(),
          e.actor().principal(), e.actor().clientId(), e.actor().scopes(), e.actor().sourceIp(),
          e.actor().userAgent(), e.actor().clientCertSubject(), e.actor().requestId(),
          e.namespace(), e.token(), e.keyId(), e.keyVersion(),
          e.encryptionContext().isEmpty() ? null : e.encryptionContext(),
          e.outcome().name().toLowerCase(Locale.ROOT), e.errorCode(), e.previousHash(), e.hash());
    }
  }

  @Schema(name = "AuditPage")
  public record Page(
      List<EventDto> events,
      @Schema(description = "pass as `after` for the next page; null at the end") Long next) {}

  @Schema(name = "AuditVerification")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Verification(
      boolean valid,
      long eventsChecked,
      @Schema(description = "sequence of the last event checked") long headSequence,
      @Schema(description = "hash of the last event checked") String headHash,
      @Schema(description = "signed checkpoints checked (signature and head)") long checkpointsChecked,
      Long firstBrokenSequence,
      @Schema(description = "hash_mismatch, link_mismatch, sequence_out_of_order, "
          + "checkpoint_signature_invalid, checkpoint_malformed, checkpoint_key_unknown, "
          + "checkpoint_mismatch or truncated") String reason,
      @Schema(description = "the newest valid signed checkpoint, compact form (docs/audit.md)")
      String lastCheckpoint) {}

  @GET
  @RequiresScope(Scopes.AUDIT_READ)
  @Operation(summary = "Audit events, oldest first, filtered and paged")
  @SecurityRequirement(name = "bearer", scopes = Scopes.AUDIT_READ)
  @APIResponse(responseCode = "200", description = "a page of events")
  public CompletionStage<Page> query(
      @QueryParam("action") String action,
      @QueryParam("eventName") String eventName,
      @QueryParam("principal") String principal,
      @QueryParam("clientId") String clientId,
      @QueryParam("token") String token,
      @QueryParam("outcome") String outcome,
      @QueryParam("from") String from,
      @QueryParam("to") String to,
      @QueryParam("after") String afterParam,
      @QueryParam("limit") String limitParam) {
    // numbers are parsed here, not by JAX-RS, whose conversion failure would answer 404
    long n = number(limitParam, "limit", DEFAULT_LIMIT);
    if (n < 1 || n > AuditQuery.MAX_LIMIT) {
      throw new InvalidValueException("invalid_limit", "limit",
          "limit must be between 1 and " + AuditQuery.MAX_LIMIT);
    }
    long after = number(afterParam, "after", 0);
    if (after < 0) {
      throw new InvalidValueException("invalid_after", "after", "after must be 0 or more");
    }
    if (action != null && eventName != null && !action.equals(eventName)) {
      throw new InvalidValueException("conflicting_filters", "action",
          "action and eventName are the same filter; give one");
    }
    AuditQuery q = new AuditQuery(eventName != null ? eventName : action, principal, clientId,
        token, outcome(outcome), instant(from, "from"), instant(to, "to"), after, (int) n);
    return auditLog.query(q).thenApply(list -> new Page(
        list.stream().map(EventDto::of).toList(),
        list.size() < n ? null : list.get(list.size() - 1).sequence()));
  }

  @GET
  @Path("/verify")
  @RequiresScope(Scopes.AUDIT_READ)
  @Operation(summary = "Check the audit hash chain; reports the first broken link")
  @SecurityRequirement(name = "bearer", scopes = Scopes.AUDIT_READ)
  @APIResponse(responseCode = "200", description = "the result of the check")
  public CompletionStage<Verification> verify() {
    // core's verifier pages through the log; each page's stage chains the next (non-blocking).
    // The last checkpoint this process signed is trusted from memory: a log truncated behind the
    // vault's back (checkpoint events included) no longer reaches it.
    AuditCheckpoint last = checkpointer.last();
    RequestContext system = RequestContext.system("audit-verify");
    AuditVerifier verifier = new AuditVerifier(auditLog,
        kid -> vault.findVaultKeyPair(KeyPurpose.SIGNING, kid, system)
            .thenApply(found -> found.map(k -> k.publicKey())),
        last == null ? List.of() : List.of(last));
    return verifier.verify().thenApply(v -> new Verification(v.valid(), v.eventsChecked(),
        v.headSequence(), v.headHash(), v.checkpointsChecked(),
        v.brokenAtSequence() < 0 ? null : v.brokenAtSequence(), v.reason(),
        v.lastCheckpoint() == null ? null : v.lastCheckpoint().compact()));
  }

  private static long number(String s, String field, long fallback) {
    if (s == null || s.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new InvalidValueException("invalid_number", field, field + " must be a whole number");
    }
  }

  private static Outcome outcome(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Outcome.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidValueException("invalid_outcome", "outcome",
          "outcome must be success, denied or error");
    }
  }

  private static Instant instant(String s, String field) {
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new InvalidValueException("invalid_time", field,
          field + " must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
    }
  }
}
