package dev.tokenvault.core.audit;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The append-only audit trail.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #append} completes only once the event is durable, chained after the previous
 *       event ({@link AuditEvent#chain}). If it completes exceptionally the event may not be
 *       relied upon, and the vault fails the operation it audits (fail closed).
 *   <li>Events that audit a write are not appended here but handed to the store together with the
 *       write, which commits both in one transaction.
 *   <li>{@link #query} returns events in chain order.
 * </ul>
 */
public interface AuditLog {

  CompletionStage<Void> append(AuditEvent event);

  CompletionStage<List<StoredAuditEvent>> query(AuditQuery query);
}
