package dev.tokenvault.testkit;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A store in memory: a <b>fake</b> for unit tests of the use cases and for benchmarks that
 * isolate the vault's own cost from the database's. Not durable. It follows the {@link
 * TokenStore} and {@link PaymentStore} contracts otherwise (one lock makes every operation
 * atomic), so the conformance suites run against it too.
 *
 * <p>{@link #failWrites} and {@link #failAudit} make it fail on purpose, to test fail-closed
 * behaviour.
 */
public final class InMemoryStore implements TokenStore, PaymentStore {
  private final Map<String, TokenRecord> tokens = new HashMap<>();
  /** namespace + fingerprint of deterministic records, to their token. */
  private final Map<String, String> deterministic = new HashMap<>();
  private final Map<String, DataKeyRecord> keys = new HashMap<>();
  private final Map<String, Payment> payments = new LinkedHashMap<>();
  private final Map<String, String> paymentsByKey = new HashMap<>();
  private final List<StoredAuditEvent> audit = new ArrayList<>();
  private volatile boolean failWrites;
  private volatile boolean failAudit;

  /** While true, every write (and audit append) fails with a {@link StoreException}. */
  public void failWrites(boolean fail) {
    this.failWrites = fail;
  }

  /** While true, appending audit events (alone or with writes) fails. */
  public void failAudit(boolean fail) {
    this.failAudit = fail;
  }

  public synchronized List<StoredAuditEvent> auditEvents() {
    return List.copyOf(audit);
  }

  public synchronized List<TokenRecord> tokenRecords() {
    return List.copyOf(tokens.values());
  }

  public synchronized List<DataKeyRecord> dataKeys() {
    return List.copyOf(keys.values());
  }

  /**
   * Everything held, serialised as a database file would hold it (ciphertext bytes, clear
   * metadata, events), for the conformance suites' raw-storage scans.
   */
  public synchronized byte[] dump() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (TokenRecord r : tokens.values()) {
      out.writeBytes(r.ciphertext());
      out.writeBytes(
          (r.token() + "|" + r.namespace() + "|" + r.dataKeyId() + "|" + r.fingerprint() + "|"
                  + r.last4() + "|" + r.bin() + "|" + r.metadata())
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    for (DataKeyRecord k : keys.values()) {
      out.writeBytes(k.wrapped().ciphertext());
    }
    for (Payment p : payments.values()) {
      out.writeBytes(p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    for (StoredAuditEvent e : audit) {
      out.writeBytes(e.event().canonicalBytes());
    }
    return out.toByteArray();
  }

  /** Replaces a stored record as an attacker with write access to the database would. */
  public synchronized void overwrite(TokenRecord record) {
    tokens.put(record.token().value(), record);
  }

  private <T> CompletionStage<T> write(Supplier<T> op) {
    synchronized (this) {
      if (failWrites || failAudit) {
        return CompletableFuture.failedFuture(new StoreException("store unavailable (fake)", null));
      }
      try {
        return CompletableFuture.completedFuture(op.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  private <T> CompletionStage<T> read(Supplier<T> op) {
    synchronized (this) {
      return CompletableFuture.completedFuture(op.get());
    }
  }

  private void appendLocked(AuditEvent event) {
    String previous = audit.isEmpty() ? AuditEvent.GENESIS : audit.get(audit.size() - 1).event().hash();
    audit.add(new StoredAuditEvent(audit.size() + 1, event.chain(previous)));
  }

  @Override
  public CompletionStage<Void> append(AuditEvent event) {
    return write(
        () -> {
          appendLocked(event);
          return null;
        });
  }

  @Override
  public CompletionStage<List<StoredAuditEvent>> query(AuditQuery q) {
    return read(
        () ->
            // Sequence n is at index n - 1: a page starts where the last one ended, not at the
            // first event (the audit checkpointer pages through every event this way).
            audit.subList((int) Math.min(q.afterSequence(), audit.size()), audit.size()).stream()
                .filter(s -> q.eventName() == null || q.eventName().equals(s.event().eventName()))
                .filter(s -> q.principal() == null || q.principal().equals(s.event().actor().principal()))
                .filter(s -> q.clientId() == null || q.clientId().equals(s.event().actor().clientId()))
                .filter(s -> q.token() == null || q.token().equals(s.event().token()))
                .filter(s -> q.outcome() == null || q.outcome() == s.event().outcome())
                .filter(s -> q.from() == null || !s.event().eventTime().isBefore(q.from()))
                .filter(s -> q.to() == null || s.event().eventTime().isBefore(q.to()))
                .limit(q.limit())
                .toList());
  }

  @Override
  public CompletionStage<Void> insertDataKey(DataKeyRecord key, AuditEvent event) {
    return write(
        () -> {
          if (keys.putIfAbsent(key.keyId(), key) != null) {
            throw new StoreException("data key exists", null);
          }
          appendLocked(event);
          return null;
        });
  }

  @Override
  public CompletionStage<DataKeyRecord> insertDataKeyIfAbsent(DataKeyRecord key, AuditEvent event) {
    return write(
        () -> {
          DataKeyRecord existing = keys.get(key.keyId());
          if (existing != null) {
            return existing;
          }
          keys.put(key.keyId(), key);
          appendLocked(event);
          return key;
        });
  }

  @Override
  public CompletionStage<Optional<DataKeyRecord>> findDataKey(String keyId) {
    return read(() -> Optional.ofNullable(keys.get(keyId)));
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeysWrappedUnder(
      String kekId, int kekVersion, String afterKeyId, int limit) {
    return read(
        () ->
            keys.values().stream()
                .filter(k -> k.wrapped().kekId().equals(kekId))
                .filter(k -> k.wrapped().kekVersion() == kekVersion)
                .filter(k -> afterKeyId == null || k.keyId().compareTo(afterKeyId) > 0)
                .sorted(java.util.Comparator.comparing(DataKeyRecord::keyId))
                .limit(limit)
                .toList());
  }

  @Override
  public CompletionStage<Map<Integer, Long>> countDataKeysByKekVersion(String kekId) {
    return read(
        () -> {
          Map<Integer, Long> counts = new java.util.TreeMap<>();
          for (DataKeyRecord k : keys.values()) {
            if (k.wrapped().kekId().equals(kekId)) {
              counts.merge(k.wrapped().kekVersion(), 1L, Long::sum);
            }
          }
          return counts;
        });
  }

  @Override
  public CompletionStage<Boolean> rewrapDataKey(
      String keyId,
      dev.tokenvault.core.keys.WrappedKey expected,
      dev.tokenvault.core.keys.WrappedKey rewrapped,
      AuditEvent event) {
    return write(
        () -> {
          DataKeyRecord existing = keys.get(keyId);
          if (existing == null || !existing.wrapped().equals(expected)) {
            return false;
          }
          keys.put(
              keyId,
              new DataKeyRecord(
                  keyId, existing.namespace(), existing.purpose(), rewrapped, existing.createdAt()));
          appendLocked(event);
          return true;
        });
  }

  @Override
  public CompletionStage<Void> insertToken(TokenRecord record, AuditEvent event) {
    return write(
        () -> {
          if (tokens.containsKey(record.token().value())) {
            throw new StoreException.DuplicateToken(record.token().value());
          }
          tokens.put(record.token().value(), record);
          appendLocked(event);
          return null;
        });
  }

  @Override
  public CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record,
      List<String> olderFingerprints,
      String successorKeyId,
      AuditEvent event,
      Instant now) {
    if (!record.deterministic()) {
      throw new IllegalArgumentException("record must be deterministic");
    }
    return write(
        () -> {
          List<String> candidates = new ArrayList<>();
          candidates.add(record.fingerprint());
          candidates.addAll(olderFingerprints);
          for (String fp : candidates) {
            String fpKey = record.namespace().name() + "\n" + fp;
            String existingToken = deterministic.get(fpKey);
            TokenRecord existing = existingToken == null ? null : tokens.get(existingToken);
            if (existing != null && !existing.isExpiredAt(now)) {
              appendLocked(event.withToken(existing.token().value()));
              return new InsertResult(existing, false);
            }
          }
          if (successorKeyId != null && keys.containsKey(successorKeyId)) {
            throw new StoreException.FingerprintKeySuperseded(successorKeyId);
          }
          if (tokens.containsKey(record.token().value())) {
            throw new StoreException.DuplicateToken(record.token().value());
          }
          for (String fp : candidates) {
            String expired = deterministic.remove(record.namespace().name() + "\n" + fp);
            if (expired != null) {
              tokens.remove(expired);
            }
          }
          tokens.put(record.token().value(), record);
          deterministic.put(
              record.namespace().name() + "\n" + record.fingerprint(), record.token().value());
          appendLocked(event.withToken(record.token().value()));
          return new InsertResult(record, true);
        });
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeys(
      dev.tokenvault.core.store.KeyPurpose purpose, Namespace namespace) {
    return read(
        () ->
            keys.values().stream()
                .filter(k -> k.purpose() == purpose)
                .filter(k -> namespace == null || k.namespace().equals(namespace))
                .sorted(
                    java.util.Comparator.comparing((DataKeyRecord k) -> k.namespace().name())
                        .thenComparing(DataKeyRecord::keyId))
                .toList());
  }

  @Override
  public CompletionStage<Boolean> deleteDataKey(String keyId, AuditEvent event) {
    return write(
        () -> {
          if (keys.remove(keyId) == null) {
            return false;
          }
          appendLocked(event);
          return true;
        });
  }

  @Override
  public CompletionStage<dev.tokenvault.core.store.TokenPage> listTokensByFingerprintVersion(
      Namespace namespace, int version, String cursor, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    return read(
        () -> {
          List<TokenRecord> page =
              tokens.values().stream()
                  .filter(r -> r.namespace().equals(namespace))
                  .filter(r -> FingerprintFormat.version(r.fingerprint()) == version)
                  .filter(r -> cursor == null || r.token().value().compareTo(cursor) > 0)
                  .sorted(java.util.Comparator.comparing((TokenRecord r) -> r.token().value()))
                  .limit(limit)
                  .toList();
          String next = page.size() < limit ? null : page.get(page.size() - 1).token().value();
          return new dev.tokenvault.core.store.TokenPage(page, next);
        });
  }

  @Override
  public CompletionStage<Map<Integer, Long>> countTokensByFingerprintVersion(
      Namespace namespace, int belowVersion) {
    return read(
        () -> {
          Map<Integer, Long> counts = new java.util.TreeMap<>();
          for (TokenRecord r : tokens.values()) {
            int v = FingerprintFormat.version(r.fingerprint());
            if (r.namespace().equals(namespace) && v < belowVersion) {
              counts.merge(v, 1L, Long::sum);
            }
          }
          return counts;
        });
  }

  @Override
  public CompletionStage<Boolean> refingerprintToken(
      Token token, String expected, String replacement, AuditEvent event) {
    return write(
        () -> {
          TokenRecord r = tokens.get(token.value());
          if (r == null || !r.fingerprint().equals(expected)) {
            return false;
          }
          String ns = r.namespace().name() + "\n";
          if (r.deterministic()) {
            String holder = deterministic.get(ns + replacement);
            if (holder != null && !holder.equals(token.value())) {
              throw new StoreException(
                  "another deterministic token holds the replacement fingerprint", null);
            }
            deterministic.remove(ns + expected, token.value());
            deterministic.put(ns + replacement, token.value());
          }
          tokens.put(
              token.value(),
              new TokenRecord(
                  r.token(), r.namespace(), r.type(), r.ciphertext(), r.dataKeyId(), replacement,
                  r.deterministic(), r.last4(), r.bin(), r.scheme(), r.createdAt(), r.expiresAt(),
                  r.metadata()));
          appendLocked(event);
          return true;
        });
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> findToken(Token token) {
    return read(() -> Optional.ofNullable(tokens.get(token.value())));
  }

  @Override
  public CompletionStage<Boolean> deleteToken(Token token, Namespace namespace, AuditEvent event) {
    return write(
        () -> {
          TokenRecord r = tokens.get(token.value());
          if (r == null || !r.namespace().equals(namespace)) {
            return false;
          }
          tokens.remove(token.value());
          deterministic.values().remove(token.value());
          appendLocked(event);
          return true;
        });
  }

  @Override
  public CompletionStage<PaymentInsert> insertPaymentIfAbsent(Payment payment, AuditEvent event) {
    return write(
        () -> {
          String key = keySlot(payment.clientId(), payment.idempotencyKey());
          String existing = paymentsByKey.get(key);
          if (existing != null) {
            return new PaymentInsert(payments.get(existing), false);
          }
          payments.put(payment.id(), payment);
          paymentsByKey.put(key, payment.id());
          appendLocked(event);
          return new PaymentInsert(payment, true);
        });
  }

  @Override
  public CompletionStage<Optional<Payment>> findPayment(String id) {
    return read(() -> Optional.ofNullable(payments.get(id)));
  }

  @Override
  public CompletionStage<Optional<Payment>> findPaymentByIdempotencyKey(
      String clientId, String idempotencyKey) {
    return read(
        () ->
            Optional.ofNullable(paymentsByKey.get(keySlot(clientId, idempotencyKey)))
                .map(payments::get));
  }

  private static String keySlot(String clientId, String idempotencyKey) {
    return clientId + "\n" + idempotencyKey;
  }

  @Override
  public void close() {}
}
