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
 *   <li><b>Fingerprint-key versions.</b> A namespace's fingerprint keys are data keys of purpose
 *       {@link KeyPurpose#FINGERPRINT} with ids {@code fk_v<N>_<namespace>}; the highest stored
 *       version is current. A fingerprint says which version made it ({@link FingerprintFormat}).
 *       Deterministic inserts, fingerprint moves ({@link #refingerprintToken}) and the creation of
 *       a new fingerprint key are linearizable with each other (every adapter serializes them:
 *       one writer transaction, a database-wide write lock, or one DynamoDB transaction with
 *       conditions on every item read), which is what keeps one deterministic token per value
 *       while a namespace moves from one version to the next (see {@code
 *       docs/key-managers.md#fingerprint-key-rotation}).
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
  default CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record, AuditEvent event, Instant now) {
    return insertTokenIfFingerprintAbsent(record, List.of(), null, event, now);
  }

  /**
   * The deterministic insert during a fingerprint-key transition. {@code record.fingerprint()} is
   * the value's fingerprint under the namespace's current version as the caller knows it; {@code
   * olderFingerprints} are the same value's fingerprints under every older version still stored
   * (empty when there is one version). In one linearizable step:
   *
   * <ol>
   *   <li>if a live deterministic token of the namespace carries any of these fingerprints, it is
   *       returned ({@code created = false}; the event names it). Expired ones are deleted;
   *   <li>otherwise, if data key {@code successorKeyId} exists (a newer fingerprint key made the
   *       caller's version stale), nothing is written and the stage fails with {@link
   *       StoreException.FingerprintKeySuperseded}: the caller reloads its keys and retries;
   *   <li>otherwise {@code record} is stored under its fingerprint, with its event.
   * </ol>
   *
   * {@code successorKeyId} null skips step 2 (the three-argument form).
   */
  CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record,
      List<String> olderFingerprints,
      String successorKeyId,
      AuditEvent event,
      Instant now);

  /**
   * Stored keys of {@code purpose} of {@code namespace} (null: of every namespace), ordered by
   * namespace then key id. Stores hold few keys per namespace; adapters may scan.
   */
  CompletionStage<List<DataKeyRecord>> listDataKeys(KeyPurpose purpose, Namespace namespace);

  /**
   * Deletes (destroys) data key {@code keyId} with its event; returns whether it existed. Whatever
   * the key protected is lost: the vault calls this only to retire a fingerprint-key version that
   * no token carries any more.
   */
  CompletionStage<Boolean> deleteDataKey(String keyId, AuditEvent event);

  /**
   * Tokens of {@code namespace} (deterministic or not, expired or not) whose fingerprint was made
   * by fingerprint-key version {@code version}, at most {@code limit}, from {@code cursor} (null:
   * from the start; otherwise a {@link TokenPage#next} this store returned). Tokens written or
   * moved meanwhile may or may not appear. For the background re-fingerprint job, which pages
   * through them after a fingerprint-key rotation.
   */
  CompletionStage<TokenPage> listTokensByFingerprintVersion(
      Namespace namespace, int version, String cursor, int limit);

  /**
   * How many tokens of {@code namespace} carry a fingerprint of each version below {@code
   * belowVersion} (versions with none are absent). For retirement and the key report.
   */
  CompletionStage<Map<Integer, Long>> countTokensByFingerprintVersion(
      Namespace namespace, int belowVersion);

  /**
   * Moves token {@code token} from fingerprint {@code expected} to {@code replacement} (the same
   * value under the namespace's current fingerprint key), with its event in the same write,
   * <b>only if</b> the token exists and still carries {@code expected}. A deterministic token's
   * uniqueness entry moves with it. Returns whether it was moved; when not, nothing is written.
   */
  CompletionStage<Boolean> refingerprintToken(
      Token token, String expected, String replacement, AuditEvent event);

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
