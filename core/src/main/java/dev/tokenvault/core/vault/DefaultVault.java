package dev.tokenvault.core.vault;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.crypto.InvalidCiphertextException;
import dev.tokenvault.core.crypto.RecordCipher;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.payment.Authorization;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.payment.PaymentProcessor;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.CardScheme;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.RandomIds;
import dev.tokenvault.core.value.SensitiveValue;
import dev.tokenvault.core.value.Token;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vault's use cases over its ports: a {@link KeyManager} for custody of the KEK, a {@link
 * TokenStore} and a {@link PaymentStore} for persistence, a {@link PaymentProcessor} for
 * payments, and a {@link Clock}.
 *
 * <h2>Request path</h2>
 *
 * Parsing, validation, fingerprinting and encryption are microseconds of CPU and run on the
 * caller's thread; the store completes the returned stage when the write is durable, and
 * key-manager calls (rare, see {@link KeyRing}) run on a small blocking pool. Nothing here blocks
 * the caller, so the HTTP layer can call it from an event loop.
 *
 * <h2>Audit</h2>
 *
 * Writes carry their audit event into the store's transaction. Reads that reveal a value
 * (detokenize) or refuse one are audited, and answered only after the event is durable: if the
 * audit trail cannot be written the request fails (fail closed).
 *
 * <h2>What the caller learns</h2>
 *
 * A token of another namespace is indistinguishable from an unknown token. An expired token says
 * it expired (410) but nothing else.
 */
public final class DefaultVault implements Vault {
  private final TokenStore store;
  private final PaymentStore payments;
  private final PaymentProcessor processor;
  private final Clock clock;
  private final KeyRing keys;
  private final KeyCustody custody;
  private final FingerprintCustody fingerprintCustody;
  private final ExecutorService ownedExecutor;
  private final VaultListener listener;
  private final SecureRandom random = new SecureRandom();
  /**
   * Payments under way in this process, by client and key reference: a retry that arrives while
   * the first attempt is still running waits for it instead of asking the acquirer too.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<PaymentResult>>
      paymentsUnderWay = new java.util.concurrent.ConcurrentHashMap<>();

  private DefaultVault(Builder b) {
    this.store = Objects.requireNonNull(b.store, "store");
    this.payments = Objects.requireNonNull(b.payments, "payments");
    this.processor = Objects.requireNonNull(b.processor, "processor");
    this.clock = Objects.requireNonNull(b.clock, "clock");
    this.ownedExecutor = b.blockingExecutor == null ? newKeyManagerPool() : null;
    this.listener = Objects.requireNonNull(b.listener, "listener");
    this.keys =
        new KeyRing(
            Objects.requireNonNull(b.keyManager, "keyManager"),
            store,
            clock,
            b.blockingExecutor != null ? b.blockingExecutor : ownedExecutor,
            b.keyRingSettings,
            listener);
    this.custody =
        new KeyCustody(
            b.keyManager,
            store,
            clock,
            b.blockingExecutor != null ? b.blockingExecutor : ownedExecutor);
    this.fingerprintCustody = new FingerprintCustody(keys, store, clock, listener);
    if (b.rewrapOnStart) {
      // A rewrap cut short by the last shutdown (or a rotation by another process) resumes here,
      // and so does a re-fingerprint.
      RequestContext start = RequestContext.system("start-" + RandomIds.next("rq_"));
      custody.resumeRewrap(start);
      fingerprintCustody.resume(start);
    }
  }

  /** Fingerprint-key rotation, background re-fingerprint, retirement and their report. */
  public FingerprintAdministration fingerprintKeys() {
    return fingerprintCustody;
  }

  /** KEK rotation, background rewrap, retirement and the key report. */
  public KeyAdministration keyAdministration() {
    return custody;
  }

  public static Builder builder() {
    return new Builder();
  }

  private static ExecutorService newKeyManagerPool() {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        4,
        r -> {
          Thread t = new Thread(r, "tokenvault-keys-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Times a deterministic tokenize reloads the namespace's fingerprint keys and tries again after
   * the store said a newer version exists: one reload settles it unless rotations follow each
   * other within milliseconds, which the vault refuses anyway while a re-fingerprint runs.
   */
  private static final int SUPERSEDED_RETRIES = 3;

  @Override
  public CompletionStage<TokenizeResult> tokenize(TokenizeCommand cmd, RequestContext ctx) {
    Namespace ns = cmd.namespace();
    if (ns.isReserved()) {
      return CompletableFuture.failedFuture(reservedNamespace());
    }
    return tokenize(cmd, ctx, 0);
  }

  private CompletionStage<TokenizeResult> tokenize(
      TokenizeCommand cmd, RequestContext ctx, int attempt) {
    Namespace ns = cmd.namespace();
    return keys.fingerprintKeys(ns, ctx)
        .thenCompose(
            fks ->
                keys.keyForEncryption(ns, ctx)
                    .thenApply(key -> seal(cmd, fks, key, ctx))
                    .thenCompose(
                        pending ->
                            cmd.deterministic()
                                ? insertDeterministic(cmd, ctx, attempt, fks, pending)
                                : store
                                    .insertToken(pending.record, pending.event)
                                    .thenApply(
                                        v ->
                                            new TokenizeResult(
                                                TokenMetadata.of(pending.record), true))));
  }

  /**
   * The namespace's token for the value under any stored fingerprint-key version, or a new one
   * under the current version. When the store says the version this process took for current is
   * superseded (another process rotated), loads the versions again and starts over.
   */
  private CompletionStage<TokenizeResult> insertDeterministic(
      TokenizeCommand cmd,
      RequestContext ctx,
      int attempt,
      KeyRing.FingerprintKeys fks,
      Pending pending) {
    CompletableFuture<TokenizeResult> result = new CompletableFuture<>();
    store
        .insertTokenIfFingerprintAbsent(
            pending.record,
            pending.olderFingerprints,
            fks.successorKeyId(),
            pending.event,
            clock.instant())
        .whenComplete(
            (r, e) -> {
              if (e == null) {
                result.complete(new TokenizeResult(TokenMetadata.of(r.record()), r.created()));
              } else if (KeyRing.unwrapCompletion(e)
                      instanceof StoreException.FingerprintKeySuperseded
                  && attempt < SUPERSEDED_RETRIES) {
                keys.reloadFingerprintKeys(cmd.namespace(), fks, ctx)
                    .thenCompose(k -> tokenize(cmd, ctx, attempt + 1))
                    .whenComplete(
                        (again, e2) -> {
                          if (e2 == null) {
                            result.complete(again);
                          } else {
                            result.completeExceptionally(e2);
                          }
                        });
              } else {
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  private record Pending(TokenRecord record, List<String> olderFingerprints, AuditEvent event) {}

  private Pending seal(
      TokenizeCommand cmd, KeyRing.FingerprintKeys fks, KeyRing.ActiveKey key,
      RequestContext ctx) {
    SensitiveValue value = cmd.value();
    Token token = Token.random(random);
    Instant now = clock.instant();
    byte[] clear = value.reveal();
    try {
      KeyRing.FingerprintKey current = fks.current();
      String fingerprint =
          Fingerprints.compute(current.prf(), current.version(), value.type(), clear);
      List<String> older = new ArrayList<>();
      if (cmd.deterministic()) {
        // The same value under every older version still stored, newest first: a token made
        // before the rotation and not yet moved by the re-fingerprint job is found under one.
        for (KeyRing.FingerprintKey k : fks.older()) {
          older.add(Fingerprints.compute(k.prf(), k.version(), value.type(), clear));
        }
      }
      byte[] ciphertext =
          RecordCipher.encrypt(key.aead(), key.keyId(), cmd.namespace(), token, value.type(), clear);
      String bin = null;
      String scheme = null;
      if (value instanceof Pan pan) {
        bin = pan.bin();
        scheme = pan.scheme() == CardScheme.UNKNOWN ? null : pan.scheme().wireName();
      }
      TokenRecord record =
          new TokenRecord(
              token,
              cmd.namespace(),
              value.type(),
              ciphertext,
              key.keyId(),
              fingerprint,
              cmd.deterministic(),
              value.last4(),
              bin,
              scheme,
              now,
              cmd.ttl() == null ? null : now.plus(cmd.ttl()),
              cmd.metadata());
      AuditEvent event =
          AuditEvent.builder(AuditAction.TOKENIZE, ctx, now)
              .namespace(cmd.namespace().name())
              .token(token.value())
              .key(key.keyId(), null)
              .build();
      return new Pending(record, List.copyOf(older), event);
    } finally {
      Arrays.fill(clear, (byte) 0);
    }
  }

  @Override
  public CompletionStage<TokenMetadata> metadata(Namespace ns, Token token, RequestContext ctx) {
    return live(ns, token, AuditAction.GET_TOKEN_METADATA, ctx)
        .thenCompose(
            r ->
                audit(event(AuditAction.GET_TOKEN_METADATA, ctx, ns, token).build())
                    .thenApply(v -> TokenMetadata.of(r)));
  }

  @Override
  public CompletionStage<Detokenized> detokenize(Namespace ns, Token token, RequestContext ctx) {
    return live(ns, token, AuditAction.DETOKENIZE, ctx)
        .thenCompose(r -> open(r, AuditAction.DETOKENIZE, ctx).thenApply(v -> new Opened(r, v)))
        .thenCompose(
            o ->
                audit(event(AuditAction.DETOKENIZE, ctx, ns, token)
                        .key(o.record.dataKeyId(), null)
                        .build())
                    .thenApply(v -> {
                      listener.detokenized(ctx, token);
                      return new Detokenized(TokenMetadata.of(o.record), o.value);
                    }));
  }

  private record Opened(TokenRecord record, SensitiveValue value) {}

  @Override
  public CompletionStage<Void> delete(Namespace ns, Token token, RequestContext ctx) {
    AuditEvent event = event(AuditAction.DELETE_TOKEN, ctx, ns, token).build();
    return store
        .deleteToken(token, ns, event)
        .thenCompose(
            deleted -> {
              if (deleted) {
                return CompletableFuture.completedFuture(null);
              }
              return denied(AuditAction.DELETE_TOKEN, ctx, ns, token, VaultException.tokenNotFound());
            });
  }

  @Override
  public CompletionStage<PaymentResult> pay(PayCommand cmd, RequestContext ctx) {
    String clientId = ctx.clientId() == null ? ctx.principal() : ctx.clientId();
    String requestHash = requestHash(cmd);
    return keys.idempotencyPrf(ctx)
        .thenApply(prf -> IdempotencyRefs.compute(prf, clientId, cmd.idempotencyKey()))
        .thenCompose(ref -> payOnce(cmd, ctx, clientId, ref, requestHash));
  }

  /**
   * A retry is answered from the store, before the acquirer is asked again: a second
   * authorization would hold the cardholder's funds twice. A retry that arrives while an attempt
   * with the same key is under way in this process waits for that attempt, then looks again.
   * (Attempts on two processes at once, with a server database, may still each reach the
   * acquirer; the store keeps one payment.)
   */
  private CompletionStage<PaymentResult> payOnce(
      PayCommand cmd, RequestContext ctx, String clientId, String ref, String requestHash) {
    String slot = clientId.length() + ":" + clientId + ref;
    CompletableFuture<PaymentResult> mine = new CompletableFuture<>();
    CompletableFuture<PaymentResult> underWay = paymentsUnderWay.putIfAbsent(slot, mine);
    if (underWay != null) {
      return underWay
          .handle((result, error) -> null)
          .thenCompose(ignored -> payOnce(cmd, ctx, clientId, ref, requestHash));
    }
    payments
        .findPaymentByIdempotencyKey(clientId, ref)
        .thenCompose(
            stored ->
                stored.isPresent()
                    ? CompletableFuture.completedFuture(
                        outcome(new PaymentInsert(stored.get(), false), requestHash))
                    : pay(cmd, ctx, clientId, ref, requestHash))
        .whenComplete(
            (result, error) -> {
              paymentsUnderWay.remove(slot, mine);
              if (error != null) {
                mine.completeExceptionally(error);
              } else {
                mine.complete(result);
              }
            });
    return mine;
  }

  /** The caller's answer: a replay of another request under the same key is a conflict. */
  private static PaymentResult outcome(PaymentInsert inserted, String requestHash) {
    Payment p = inserted.payment();
    if (!inserted.created() && !p.requestHash().equals(requestHash)) {
      throw new VaultException(
          VaultException.Kind.CONFLICT,
          "idempotency_key_reused",
          "this Idempotency-Key was used for a different request");
    }
    return new PaymentResult(p, inserted.created());
  }

  private CompletionStage<PaymentResult> pay(
      PayCommand cmd, RequestContext ctx, String clientId, String idempotencyRef,
      String requestHash) {
    Namespace ns = cmd.namespace();
    return live(ns, cmd.token(), AuditAction.CREATE_PAYMENT, ctx)
        .thenCompose(
            r -> open(r, AuditAction.CREATE_PAYMENT, ctx).thenApply(v -> new Opened(r, v)))
        .thenCompose(
            o -> {
              Authorization auth;
              try {
                auth = processor.authorize(o.value, cmd.amount(), cmd.currency());
              } catch (RuntimeException e) {
                return denied(
                    AuditAction.CREATE_PAYMENT,
                    ctx,
                    ns,
                    cmd.token(),
                    new VaultException(
                        VaultException.Kind.UNAVAILABLE,
                        "acquirer_unavailable",
                        "the acquirer could not be reached",
                        e),
                    Outcome.ERROR);
              }
              Instant now = clock.instant();
              Payment payment =
                  new Payment(
                      RandomIds.next("pay_", random),
                      ns,
                      cmd.token(),
                      o.value.masked(),
                      cmd.amount(),
                      cmd.currency(),
                      auth.status(),
                      auth.declineCode(),
                      auth.authorizationCode(),
                      clientId,
                      idempotencyRef,
                      requestHash,
                      now);
              AuditEvent event =
                  event(AuditAction.CREATE_PAYMENT, ctx, ns, cmd.token())
                      .key(o.record.dataKeyId(), null)
                      .build();
              return payments.insertPaymentIfAbsent(payment, event);
            })
        .thenApply(inserted -> outcome(inserted, requestHash));
  }

  @Override
  public CompletionStage<VaultKeyPair> vaultKeyPair(
      KeyPurpose purpose, String kid, RequestContext ctx) {
    return keys.vaultKeyPair(purpose, kid, ctx);
  }

  @Override
  public CompletionStage<Optional<VaultKeyPair>> findVaultKeyPair(
      KeyPurpose purpose, String kid, RequestContext ctx) {
    return keys.findVaultKeyPair(purpose, kid, ctx);
  }

  private static VaultException reservedNamespace() {
    return new VaultException(
        VaultException.Kind.INVALID,
        "reserved_namespace",
        "the namespace is reserved for the vault's own keys");
  }

  @Override
  public CompletionStage<Payment> payment(Namespace ns, String paymentId, RequestContext ctx) {
    return payments
        .findPayment(paymentId)
        .thenApply(
            found ->
                found
                    .filter(p -> p.namespace().equals(ns))
                    .orElseThrow(
                        () ->
                            new VaultException(
                                VaultException.Kind.NOT_FOUND,
                                "payment_not_found",
                                "no such payment")));
  }

  /** The token's record if it is live in {@code ns}; otherwise an audited refusal. */
  private CompletionStage<TokenRecord> live(
      Namespace ns, Token token, String action, RequestContext ctx) {
    return store
        .findToken(token)
        .thenCompose(
            found -> {
              if (found.isEmpty() || !found.get().namespace().equals(ns)) {
                return denied(action, ctx, ns, token, VaultException.tokenNotFound());
              }
              if (found.get().isExpiredAt(clock.instant())) {
                return denied(action, ctx, ns, token, VaultException.tokenExpired());
              }
              return CompletableFuture.completedFuture(found.get());
            });
  }

  /** Decrypts a record's value; a record that fails authentication is audited as an error. */
  private CompletionStage<SensitiveValue> open(TokenRecord r, String action, RequestContext ctx) {
    return keys.keyForDecryption(r.dataKeyId(), r.namespace(), ctx)
        .thenCompose(
            aead -> {
              byte[] clear = null;
              try {
                clear = RecordCipher.decrypt(aead, r.ciphertext(), r.namespace(), r.token(), r.type());
                return CompletableFuture.completedFuture(
                    SensitiveValue.parse(r.type(), new String(clear, StandardCharsets.US_ASCII)));
              } catch (InvalidCiphertextException | IllegalArgumentException e) {
                listener.integrityFailure("record_integrity_failure");
                return denied(
                    action,
                    ctx,
                    r.namespace(),
                    r.token(),
                    new VaultException(
                        VaultException.Kind.INTEGRITY,
                        "record_integrity_failure",
                        "the stored record failed authentication"),
                    Outcome.ERROR);
              } finally {
                if (clear != null) {
                  Arrays.fill(clear, (byte) 0);
                }
              }
            });
  }

  private <T> CompletionStage<T> denied(
      String action, RequestContext ctx, Namespace ns, Token token, VaultException error) {
    return denied(action, ctx, ns, token, error, Outcome.DENIED);
  }

  /** Writes the refusal's audit event, then fails with {@code error} (or the audit failure). */
  private <T> CompletionStage<T> denied(
      String action,
      RequestContext ctx,
      Namespace ns,
      Token token,
      VaultException error,
      Outcome outcome) {
    AuditEvent event = event(action, ctx, ns, token).outcome(outcome, error.code()).build();
    CompletableFuture<T> result = new CompletableFuture<>();
    audit(event)
        .whenComplete(
            (v, e) -> result.completeExceptionally(e == null ? error : KeyRing.unwrapCompletion(e)));
    return result;
  }

  /**
   * Appends the audit event of a read or a refusal. Fail closed: when the event cannot be written,
   * the stage fails with {@code audit_unavailable} (503) and the caller returns nothing.
   */
  private CompletionStage<Void> audit(AuditEvent event) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    store
        .append(event)
        .whenComplete(
            (v, e) -> {
              if (e == null) {
                result.complete(null);
                return;
              }
              listener.auditWriteFailed(event.eventName());
              result.completeExceptionally(
                  new VaultException(
                      VaultException.Kind.UNAVAILABLE,
                      "audit_unavailable",
                      "the audit trail cannot be written; the request was refused",
                      KeyRing.unwrapCompletion(e)));
            });
    return result;
  }

  private AuditEvent.Builder event(String action, RequestContext ctx, Namespace ns, Token token) {
    return AuditEvent.builder(action, ctx, clock.instant())
        .namespace(ns.name())
        .token(token.value());
  }

  private static String requestHash(PayCommand cmd) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      String canonical =
          cmd.namespace().name() + "\n" + cmd.token().value() + "\n" + cmd.amount() + "\n"
              + cmd.currency();
      return HexFormat.of().formatHex(sha.digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** Key-manager calls made so far by this vault (generate + decrypt). */
  public long keyManagerCalls() {
    return keys.keyManagerCalls();
  }

  @Override
  public void close() {
    fingerprintCustody.close();
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  /** Assembles a vault. Every port is required; the clock defaults to UTC system time. */
  public static final class Builder {
    private KeyManager keyManager;
    private TokenStore store;
    private PaymentStore payments;
    private PaymentProcessor processor;
    private Clock clock = Clock.systemUTC();
    private java.util.concurrent.Executor blockingExecutor;
    private KeyRingSettings keyRingSettings = KeyRingSettings.DEFAULTS;
    private VaultListener listener = VaultListener.NONE;
    private boolean rewrapOnStart = true;

    private Builder() {}

    /** Told about detokenizations, integrity and audit failures, data-key cache use. */
    public Builder listener(VaultListener v) {
      this.listener = v;
      return this;
    }

    /**
     * Whether {@link #build()} starts a rewrap of data keys left under older KEK versions and a
     * re-fingerprint of tokens left on older fingerprint-key versions (default true). Off for a
     * vault whose key manager is not usable yet (sealed): call {@link
     * KeyAdministration#resumeRewrap} and {@link FingerprintAdministration#resume} once it is.
     */
    public Builder rewrapOnStart(boolean v) {
      this.rewrapOnStart = v;
      return this;
    }

    public Builder keyManager(KeyManager v) {
      this.keyManager = v;
      return this;
    }

    public Builder tokenStore(TokenStore v) {
      this.store = v;
      return this;
    }

    public Builder paymentStore(PaymentStore v) {
      this.payments = v;
      return this;
    }

    public Builder paymentProcessor(PaymentProcessor v) {
      this.processor = v;
      return this;
    }

    public Builder clock(Clock v) {
      this.clock = v;
      return this;
    }

    /** Where key-manager calls run (they may block); default: a private pool of 4 threads. */
    public Builder blockingExecutor(java.util.concurrent.Executor v) {
      this.blockingExecutor = v;
      return this;
    }

    public Builder keyRingSettings(KeyRingSettings v) {
      this.keyRingSettings = v;
      return this;
    }

    public DefaultVault build() {
      return new DefaultVault(this);
    }
  }

  /**
   * What a payment stores in place of its {@code Idempotency-Key}: {@code ik_} +
   * base64url(HMAC-SHA256(the vault's idempotency key, len(client) || client || len(key) || key)),
   * lengths as 4-byte big-endian counts of UTF-8 bytes. Keyed, so a key that holds a card number
   * (by design or by chance: about 1.2% of random UUIDs hold a Luhn-valid run of 12-19 digits) is
   * neither stored nor recoverable by hashing guesses; deterministic, so a retry finds its payment
   * in every process and after a restart.
   */
  static final class IdempotencyRefs {
    private IdempotencyRefs() {}

    static final String PREFIX = "ik_";

    static String compute(com.google.crypto.tink.prf.Prf prf, String clientId, String key) {
      byte[] client = clientId.getBytes(StandardCharsets.UTF_8);
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      java.nio.ByteBuffer input = java.nio.ByteBuffer.allocate(8 + client.length + k.length);
      input.putInt(client.length).put(client).putInt(k.length).put(k);
      Arrays.fill(k, (byte) 0);
      return PREFIX + base64UrlPrf(prf, input.array());
    }
  }

  /** base64url(the 32-byte output of {@code prf} on {@code input}); zeroes {@code input}. */
  private static String base64UrlPrf(com.google.crypto.tink.prf.Prf prf, byte[] input) {
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(prf.compute(input, 32));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HMAC failed", e);
    } finally {
      Arrays.fill(input, (byte) 0);
    }
  }

  /** The keyed fingerprint of a value ({@link FingerprintFormat}). */
  static final class Fingerprints {
    private Fingerprints() {}

    /**
     * {@link FingerprintFormat#prefix}(version) + base64url(HMAC-SHA256(the namespace's
     * fingerprint key of that version, type || 0x00 || value)): the type is in the input so a
     * card and an account with the same characters differ. Version 1 gives {@code fp_…}, as it
     * always did.
     */
    static String compute(
        com.google.crypto.tink.prf.Prf prf,
        int version,
        dev.tokenvault.core.value.ValueType type,
        byte[] value) {
      byte[] label = type.wireName().getBytes(StandardCharsets.US_ASCII);
      byte[] input = new byte[label.length + 1 + value.length];
      System.arraycopy(label, 0, input, 0, label.length);
      System.arraycopy(value, 0, input, label.length + 1, value.length);
      String mac = base64UrlPrf(prf, input);
      return FingerprintFormat.prefix(version) + mac;
    }
  }
}
