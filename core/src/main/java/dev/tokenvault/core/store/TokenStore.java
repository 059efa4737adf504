package dev.tokenvault.core.store;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where tokens and wrapped data keys live. A store sees ciphertext and safe metadata only, never
 * a value or an unwrapped key.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Durability.</b> A returned stage completes normally only after the write is durable
 *       (committed and synced to stable storage); an acknowledged write survives a crash.
 *   <li><b>Audit with the write.</b> Every write carries its {@link AuditEvent}; the store
 *       commits the event (chained, see {@link AuditEvent#chain}) in the same transaction as the
 *       write, so there is never a write without its event nor an event for a write that did not
 *       happen.
 *   <li><b>Atomicity.</b> A write that fails leaves nothing behind: no record, no event.
 *   <li><b>Deterministic tokens.</b> {@link #insertTokenIfFingerprintAbsent} is linearizable per
 *       (namespace, fingerprint): any number of concurrent callers with the same fingerprint get
 *       one and the same token. An expired token does not count as present: it is replaced.
 *   <li><b>Non-blocking callers.</b> Methods may be called from event-loop threads and must not
 *       block them; adapters do their I/O on their own threads.
 *   <li>Failures complete the stage with {@link StoreException}.
 * </ul>
 *
 * <p>Stores also implement {@link AuditLog} for events that audit reads (detokenize, metadata).
 */
public interface TokenStore extends AuditLog, AutoCloseable {

  /** Stores a new wrapped data key with its {@code GenerateDataKey} audit event. */
  CompletionStage<Void> insertDataKey(DataKeyRecord key, AuditEvent event);

  /**
   * Stores {@code key} unless a key with the same id exists; returns the stored one (the given
   * key, or the existing one, whose event is then not written). Used for keys that every vault
   * process must agree on, like a namespace's fingerprint key.
   */
  CompletionStage<DataKeyRecord> insertDataKeyIfAbsent(DataKeyRecord key, AuditEvent event);

  CompletionStage<Optional<DataKeyRecord>> findDataKey(String keyId);

  /**
   * Data keys of every purpose wrapped under version {@code kekVersion} of KEK {@code kekId},
   * ordered by key id: at most {@code limit} of them, with a key id greater than {@code
   * afterKeyId} (null: from the first). Pages are consistent with writes acknowledged before the
   * call; a key rewrapped meanwhile may or may not appear. For background rewrap after a KEK
   * rotation: stores hold few data keys (one per namespace per process and week), so adapters may
   * scan.
   */
  CompletionStage<List<DataKeyRecord>> listDataKeysWrappedUnder(
      String kekId, int kekVersion, String afterKeyId, int limit);

  /** How many data keys (every purpose) are wrapped under each version of KEK {@code kekId}. */
  CompletionStage<Map<Integer, Long>> countDataKeysByKekVersion(String kekId);

  /**
   * Replaces data key {@code keyId}'s wrapping by {@code rewrapped} (the same key, wrapped under
   * another KEK version), with its event in the same write, <b>only if</b> the stored wrapping is
   * still exactly {@code expected} (KEK id, version and bytes). Returns whether it was replaced;
   * when not (another process rewrapped it first, or it is gone) nothing is written, event
   * included. Id, namespace, purpose and creation time never change.
   */
  CompletionStage<Boolean> rewrapDataKey(
      String keyId, WrappedKey expected, WrappedKey rewrapped, AuditEvent event);

  /** Stores a new token; fails with {@link StoreException.DuplicateToken} if it exists. */
  CompletionStage<Void> insertToken(TokenRecord record, AuditEvent event);

  /**
   * Stores {@code record} as the namespace's token for its fingerprint unless a live one exists
   * (an expired one at {@code now} is deleted and replaced). The event is written either way, with
   * its token set to the returned record's token. {@code record.deterministic()} must be true.
   */
  CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record, AuditEvent event, Instant now);

  /** The token's record, expired or not (the caller decides what expiry means). */
  CompletionStage<Optional<TokenRecord>> findToken(Token token);

  /**
   * Deletes the token's record (and so its ciphertext) if it belongs to {@code namespace}; returns
   * whether a record was deleted. The event is written only when it was.
   */
  CompletionStage<Boolean> deleteToken(Token token, Namespace namespace, AuditEvent event);

  @Override
  void close();
}
