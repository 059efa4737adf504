package dev.tokenvault.core.vault;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.prf.Prf;
import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.crypto.EcKeyPairs;
import dev.tokenvault.core.crypto.TinkPrimitives;
import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.RandomIds;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data keys and fingerprint keys of every namespace, as the vault uses them.
 *
 * <h2>Key hierarchy</h2>
 *
 * The key manager's KEK wraps data keys; data keys encrypt records (one AES-256-GCM key for up to
 * {@link KeyRingSettings#maxEncryptionsPerKey} records or {@link KeyRingSettings#maxKeyAge});
 * each namespace also has a fingerprint key (HMAC-SHA256), versioned; the vault has one
 * idempotency key (HMAC-SHA256) for payments' {@code Idempotency-Key} references. Keys are stored
 * only wrapped.
 *
 * <h2>Fingerprint-key versions</h2>
 *
 * A namespace's fingerprint keys are stored as {@code fk_v<N>_<namespace>}; the highest stored
 * version is current, so every process agrees without any other shared state. A process loads the
 * namespace's versions once, then checks every {@link #FINGERPRINT_RECHECK} that the successor of
 * its current version does not exist yet (one key read); a deterministic insert made under a stale
 * version is refused by the store ({@code FingerprintKeySuperseded}) and retried after a reload, so
 * staleness never costs correctness, only the fingerprint version of a random token made in that
 * window (the re-fingerprint job moves it).
 *
 * <h2>Key-manager calls</h2>
 *
 * One {@code GenerateDataKey} per data key, one {@code Decrypt} per data key per process per
 * cache lifetime: not one per request. Each call is audited (the CloudTrail {@code kms:*}
 * analogue), and the operation that needed it waits until its event is durable. Key-manager
 * calls may block, so they run on {@code blockingExecutor}, never on the caller's thread.
 *
 * <h2>Current data keys are per process</h2>
 *
 * A process generates its own data key per namespace and never shares it with another process:
 * the encryption count is then exact in memory, with no coordination, and the nonce bound holds
 * by construction. A restart costs one {@code GenerateDataKey} per namespace in use.
 */
final class KeyRing {
  /**
   * How long a process trusts its list of a namespace's fingerprint-key versions before it checks
   * for a newer one: short enough that random tokens soon get the new version after a rotation
   * made by another process, long enough that the check (one key read) is off the request path.
   */
  static final Duration FINGERPRINT_RECHECK = Duration.ofSeconds(30);

  private static final Pattern FINGERPRINT_KEY_ID = Pattern.compile("fk_v([1-9][0-9]{0,8})_(.+)");
  /**
   * The id of the vault's one idempotency key ({@link KeyPurpose#IDEMPOTENCY}, in {@link
   * Namespace#SYSTEM}). Not rotated: a new key would orphan every stored reference, so retries of
   * earlier payments would no longer be recognised. KEK rotation rewraps it like every key.
   */
  static final String IDEMPOTENCY_KEY_ID = "ik_v1";

  private static final Pattern VAULT_KID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final KeyManager keyManager;
  private final TokenStore store;
  private final Clock clock;
  private final Executor blockingExecutor;
  private final KeyRingSettings settings;
  private final VaultListener listener;

  private final ConcurrentHashMap<Namespace, CompletableFuture<ActiveKey>> current =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Namespace, CompletableFuture<FingerprintKeys>> fingerprintKeys =
      new ConcurrentHashMap<>();
  /** Unwrapped fingerprint PRFs by key id (a key id is never reused: versions only grow). */
  private final ConcurrentHashMap<String, CompletableFuture<Prf>> fingerprintPrfs =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<VaultKeyPair>> vaultKeyPairs =
      new ConcurrentHashMap<>();
  /** The vault's idempotency PRF, under {@link #IDEMPOTENCY_KEY_ID} (one entry, or none yet). */
  private final ConcurrentHashMap<String, CompletableFuture<Prf>> idempotencyPrf =
      new ConcurrentHashMap<>();
  private final AsyncCache<String, Aead> unwrapped;
  private final AtomicLong keyManagerCalls = new AtomicLong();

  KeyRing(
      KeyManager keyManager,
      TokenStore store,
      Clock clock,
      Executor blockingExecutor,
      KeyRingSettings settings) {
    this(keyManager, store, clock, blockingExecutor, settings, VaultListener.NONE);
  }

  KeyRing(
      KeyManager keyManager,
      TokenStore store,
      Clock clock,
      Executor blockingExecutor,
      KeyRingSettings settings,
      VaultListener listener) {
    this.listener = listener;
    this.keyManager = keyManager;
    this.store = store;
    this.clock = clock;
    this.blockingExecutor = blockingExecutor;
    this.settings = settings;
    this.unwrapped =
        Caffeine.newBuilder()
            .maximumSize(settings.cacheSize())
            .expireAfterWrite(settings.cacheTtl())
            .executor(blockingExecutor)
            .buildAsync();
  }

  /** A data key in use for encryption, with its usage count. */
  record ActiveKey(String keyId, Aead aead, Instant createdAt, AtomicLong used) {}

  /** A data key for one more encryption in {@code namespace}: the current one, or a new one. */
  CompletionStage<ActiveKey> keyForEncryption(Namespace namespace, RequestContext ctx) {
    while (true) {
      CompletableFuture<ActiveKey> f = current.get(namespace);
      if (f == null) {
        CompletableFuture<ActiveKey> mine = new CompletableFuture<>();
        if (current.putIfAbsent(namespace, mine) == null) {
          generate(namespace, ctx).whenComplete((k, e) -> settle(namespace, mine, k, e));
          return mine.thenCompose(k -> reserveOrRetry(namespace, k, ctx));
        }
        continue;
      }
      if (!f.isDone()) {
        return f.thenCompose(k -> reserveOrRetry(namespace, k, ctx));
      }
      if (f.isCompletedExceptionally()) {
        current.remove(namespace, f);
        continue;
      }
      ActiveKey k = f.join();
      if (reserve(k)) {
        return CompletableFuture.completedFuture(k);
      }
      current.remove(namespace, f);
    }
  }

  private void settle(
      Namespace namespace, CompletableFuture<ActiveKey> f, ActiveKey key, Throwable error) {
    if (error != null) {
      current.remove(namespace, f);
      f.completeExceptionally(error);
    } else {
      f.complete(key);
    }
  }

  private CompletionStage<ActiveKey> reserveOrRetry(
      Namespace namespace, ActiveKey key, RequestContext ctx) {
    if (reserve(key)) {
      return CompletableFuture.completedFuture(key);
    }
    current.computeIfPresent(namespace, (ns, f) -> f.getNow(null) == key ? null : f);
    return keyForEncryption(namespace, ctx);
  }

  private boolean reserve(ActiveKey key) {
    if (!clock.instant().isBefore(key.createdAt().plus(settings.maxKeyAge()))) {
      return false;
    }
    return key.used().incrementAndGet() <= settings.maxEncryptionsPerKey();
  }

  private CompletionStage<ActiveKey> generate(Namespace namespace, RequestContext ctx) {
    String keyId = RandomIds.next("dk_");
    EncryptionContext ec = context(namespace, keyId, KeyPurpose.RECORD);
    return CompletableFuture.supplyAsync(() -> callGenerate(ec), blockingExecutor)
        .thenCompose(
            dataKey -> {
              Instant now = clock.instant();
              DataKeyRecord record =
                  new DataKeyRecord(keyId, namespace, KeyPurpose.RECORD, dataKey.wrapped(), now);
              byte[] clear = dataKey.plaintext();
              dataKey.close();
              Aead aead = TinkPrimitives.aes256Gcm(clear);
              Arrays.fill(clear, (byte) 0);
              return store
                  .insertDataKey(record, keyEvent(AuditAction.GENERATE_DATA_KEY, ctx, record, ec))
                  .thenApply(
                      v -> {
                        unwrapped.put(keyId, CompletableFuture.completedFuture(aead));
                        return new ActiveKey(keyId, aead, now, new AtomicLong());
                      });
            });
  }

  /** The AEAD of data key {@code keyId}, which must belong to {@code namespace}. */
  CompletionStage<Aead> keyForDecryption(String keyId, Namespace namespace, RequestContext ctx) {
    CompletableFuture<Aead> hit = unwrapped.getIfPresent(keyId);
    if (hit != null) {
      listener.dataKeyCacheHit();
      return hit;
    }
    listener.dataKeyCacheMiss();
    return unwrapped.get(keyId, (id, executor) -> unwrap(id, namespace, ctx));
  }

  private CompletableFuture<Aead> unwrap(String keyId, Namespace namespace, RequestContext ctx) {
    return store
        .findDataKey(keyId)
        .thenCompose(
            found -> {
              DataKeyRecord record =
                  found
                      .filter(r -> r.namespace().equals(namespace))
                      .filter(r -> r.purpose() == KeyPurpose.RECORD)
                      .orElseThrow(
                          () ->
                              new VaultException(
                                  VaultException.Kind.INTEGRITY,
                                  "record_integrity_failure",
                                  "the record's data key is missing or belongs elsewhere"));
              return unwrapAudited(record, ctx);
            })
        .thenApply(
            clear -> {
              Aead aead = TinkPrimitives.aes256Gcm(clear);
              Arrays.fill(clear, (byte) 0);
              return aead;
            })
        .toCompletableFuture();
  }

  /** One version of a namespace's fingerprint key. */
  record FingerprintKey(int version, String keyId, Prf prf) {}

  /**
   * A namespace's fingerprint keys as this process knows them, newest first ({@code versions
   * .get(0)} is current), and when it last checked for a newer one.
   */
  record FingerprintKeys(Namespace namespace, List<FingerprintKey> versions, Instant checkedAt) {
    FingerprintKey current() {
      return versions.get(0);
    }

    /** The older versions, newest first. */
    List<FingerprintKey> older() {
      return versions.subList(1, versions.size());
    }

    /** The id the next version's key will have: its existence makes this list stale. */
    String successorKeyId() {
      return fingerprintKeyId(namespace, current().version() + 1);
    }
  }

  static String fingerprintKeyId(Namespace ns, int version) {
    return "fk_v" + version + "_" + ns.name();
  }

  /** The version in a fingerprint key's id, or -1 when the id is not one of {@code ns}'s. */
  static int fingerprintKeyVersion(String keyId, Namespace ns) {
    Matcher m = FINGERPRINT_KEY_ID.matcher(keyId);
    if (!m.matches() || !m.group(2).equals(ns.name())) {
      return -1;
    }
    return Integer.parseInt(m.group(1));
  }

  /**
   * The fingerprint keys of {@code namespace}; version 1 is created on first use by whichever
   * process wins. Checks for a newer version when the list is older than {@link
   * #FINGERPRINT_RECHECK}.
   */
  CompletionStage<FingerprintKeys> fingerprintKeys(Namespace namespace, RequestContext ctx) {
    CompletableFuture<FingerprintKeys> f = fingerprintKeys.get(namespace);
    if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
      FingerprintKeys known = f.join();
      if (clock.instant().isBefore(known.checkedAt().plus(FINGERPRINT_RECHECK))) {
        return f;
      }
      return store
          .findDataKey(known.successorKeyId())
          .thenCompose(
              found -> {
                if (found.isEmpty()) {
                  FingerprintKeys checked =
                      new FingerprintKeys(namespace, known.versions(), clock.instant());
                  fingerprintKeys.replace(namespace, f, CompletableFuture.completedFuture(checked));
                  return CompletableFuture.completedFuture(checked);
                }
                return reloadFingerprintKeys(namespace, known, ctx);
              });
    }
    return once(fingerprintKeys, namespace, ns -> loadFingerprintKeys(ns, ctx));
  }

  /**
   * Forgets {@code stale} (when it is still what this process holds) and loads the namespace's
   * versions from the store again.
   */
  CompletionStage<FingerprintKeys> reloadFingerprintKeys(
      Namespace namespace, FingerprintKeys stale, RequestContext ctx) {
    CompletableFuture<FingerprintKeys> f = fingerprintKeys.get(namespace);
    if (f != null
        && (stale == null
            || (f.isDone() && !f.isCompletedExceptionally() && f.join() == stale))) {
      fingerprintKeys.remove(namespace, f);
    }
    return once(fingerprintKeys, namespace, ns -> loadFingerprintKeys(ns, ctx));
  }

  private CompletionStage<FingerprintKeys> loadFingerprintKeys(Namespace ns, RequestContext ctx) {
    return store
        .listDataKeys(KeyPurpose.FINGERPRINT, ns)
        .thenCompose(
            stored -> {
              if (stored.isEmpty()) {
                String keyId = fingerprintKeyId(ns, 1);
                return once(
                        fingerprintPrfs,
                        keyId,
                        id ->
                            loadOrCreate(ns, id, KeyPurpose.FINGERPRINT, ctx)
                                .thenApply(KeyRing::prfOf))
                    .thenApply(
                        prf ->
                            new FingerprintKeys(
                                ns, List.of(new FingerprintKey(1, keyId, prf)), clock.instant()));
              }
              List<DataKeyRecord> newestFirst = new ArrayList<>();
              for (DataKeyRecord r : stored) {
                belongs(r, ns, KeyPurpose.FINGERPRINT);
                if (fingerprintKeyVersion(r.keyId(), ns) < 1) {
                  throw new VaultException(
                      VaultException.Kind.INTEGRITY,
                      "key_integrity_failure",
                      "a stored fingerprint key has an id outside the fk_v<N>_<namespace> scheme");
                }
                newestFirst.add(r);
              }
              newestFirst.sort(
                  Comparator.comparingInt((DataKeyRecord r) -> fingerprintKeyVersion(r.keyId(), ns))
                      .reversed());
              List<CompletableFuture<FingerprintKey>> keys = new ArrayList<>();
              for (DataKeyRecord r : newestFirst) {
                int version = fingerprintKeyVersion(r.keyId(), ns);
                keys.add(
                    once(
                            fingerprintPrfs,
                            r.keyId(),
                            id -> unwrapAudited(r, ctx).thenApply(KeyRing::prfOf))
                        .thenApply(prf -> new FingerprintKey(version, r.keyId(), prf))
                        .toCompletableFuture());
              }
              return CompletableFuture.allOf(keys.toArray(CompletableFuture[]::new))
                  .thenApply(
                      v ->
                          new FingerprintKeys(
                              ns,
                              keys.stream().map(CompletableFuture::join).toList(),
                              clock.instant()));
            });
  }

  private static Prf prfOf(Unwrapped k) {
    return prfOf(k.clear());
  }

  private static Prf prfOf(byte[] clear) {
    try {
      return TinkPrimitives.hmacSha256Prf(clear);
    } finally {
      Arrays.fill(clear, (byte) 0);
    }
  }

  /**
   * Generates fingerprint key version {@code version} of {@code ns} and stores it unless that id
   * exists; returns whether this call stored it (false: another rotation got there first). The
   * {@code GenerateDataKey} call is audited with the write.
   */
  CompletionStage<Boolean> createFingerprintKey(Namespace ns, int version, RequestContext ctx) {
    String keyId = fingerprintKeyId(ns, version);
    EncryptionContext ec = context(ns, keyId, KeyPurpose.FINGERPRINT);
    return CompletableFuture.supplyAsync(() -> callGenerate(ec), blockingExecutor)
        .thenCompose(
            dataKey -> {
              DataKeyRecord mine =
                  new DataKeyRecord(
                      keyId, ns, KeyPurpose.FINGERPRINT, dataKey.wrapped(), clock.instant());
              return store
                  .insertDataKeyIfAbsent(
                      mine, keyEvent(AuditAction.GENERATE_DATA_KEY, ctx, mine, ec))
                  .thenApply(
                      winner -> {
                        boolean created = winner.wrapped().equals(mine.wrapped());
                        if (created) {
                          fingerprintPrfs.put(
                              keyId, CompletableFuture.completedFuture(prfOf(dataKey.plaintext())));
                        }
                        return created;
                      })
                  .whenComplete((r, e) -> dataKey.close());
            });
  }

  /** Forgets a destroyed fingerprint key: its PRF, and every namespace list that holds it. */
  void forgetFingerprintKey(Namespace ns, String keyId) {
    fingerprintPrfs.remove(keyId);
    fingerprintKeys.remove(ns);
  }

  /**
   * {@code load(key)}, run once per key while it succeeds; a failed load is forgotten ({@code
   * whenComplete} runs at once if it already failed), so the next call tries again once the key
   * manager or store is back.
   */
  private static <K, V> CompletionStage<V> once(
      ConcurrentHashMap<K, CompletableFuture<V>> loaded,
      K key,
      java.util.function.Function<K, CompletionStage<V>> load) {
    CompletableFuture<V> f = loaded.computeIfAbsent(key, k -> load.apply(k).toCompletableFuture());
    return f.whenComplete(
        (v, e) -> {
          if (e != null) {
            loaded.remove(key, f);
          }
        });
  }

  /** A stored key and its unwrapped bytes (the caller zeroes them after use). */
  private record Unwrapped(DataKeyRecord record, byte[] clear) {}

  /**
   * The stored key {@code keyId}, unwrapped; generated and stored first if absent. When two
   * processes race to create it, the store keeps one and both use that one.
   */
  private CompletionStage<Unwrapped> loadOrCreate(
      Namespace ns, String keyId, KeyPurpose purpose, RequestContext ctx) {
    EncryptionContext ec = context(ns, keyId, purpose);
    return store
        .findDataKey(keyId)
        .thenCompose(
            found -> {
              if (found.isPresent()) {
                DataKeyRecord r = belongs(found.get(), ns, purpose);
                return unwrapAudited(r, ctx).thenApply(clear -> new Unwrapped(r, clear));
              }
              return CompletableFuture.supplyAsync(() -> callGenerate(ec), blockingExecutor)
                  .thenCompose(
                      dataKey -> {
                        DataKeyRecord mine =
                            new DataKeyRecord(
                                keyId, ns, purpose, dataKey.wrapped(), clock.instant());
                        return store
                            .insertDataKeyIfAbsent(
                                mine, keyEvent(AuditAction.GENERATE_DATA_KEY, ctx, mine, ec))
                            .thenCompose(
                                winner -> {
                                  if (winner.wrapped().equals(mine.wrapped())) {
                                    return CompletableFuture.completedFuture(
                                        new Unwrapped(mine, dataKey.plaintext()));
                                  }
                                  DataKeyRecord r = belongs(winner, ns, purpose);
                                  return unwrapAudited(r, ctx)
                                      .thenApply(clear -> new Unwrapped(r, clear));
                                })
                            .whenComplete((r, e) -> dataKey.close());
                      });
            });
  }

  private static DataKeyRecord belongs(DataKeyRecord r, Namespace ns, KeyPurpose purpose) {
    if (!r.namespace().equals(ns) || r.purpose() != purpose) {
      throw new VaultException(
          VaultException.Kind.INTEGRITY,
          "key_integrity_failure",
          "a stored key belongs to another namespace or purpose");
    }
    return r;
  }

  /**
   * The vault's idempotency PRF, created by the first payment of the first process and unwrapped
   * once per process after that (one audited key-manager call).
   */
  CompletionStage<Prf> idempotencyPrf(RequestContext ctx) {
    return once(
        idempotencyPrf,
        IDEMPOTENCY_KEY_ID,
        id -> loadOrCreate(Namespace.SYSTEM, id, KeyPurpose.IDEMPOTENCY, ctx)
            .thenApply(KeyRing::prfOf));
  }

  /**
   * The vault's key pair {@code kid} for {@code purpose}, created on first use. The caller
   * chooses kids (they are published); never pass one taken from a request: use {@link
   * #findVaultKeyPair} for those.
   */
  CompletionStage<VaultKeyPair> vaultKeyPair(KeyPurpose purpose, String kid, RequestContext ctx) {
    return once(
        vaultKeyPairs,
        vaultKeyId(purpose, kid),
        id ->
            loadOrCreate(Namespace.SYSTEM, id, purpose, ctx)
                .thenApply(k -> derive(kid, purpose, k)));
  }

  /** The vault's key pair {@code kid} for {@code purpose} if it exists; never creates one. */
  CompletionStage<Optional<VaultKeyPair>> findVaultKeyPair(
      KeyPurpose purpose, String kid, RequestContext ctx) {
    if (!VAULT_KID.matcher(kid).matches()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String keyId = vaultKeyId(purpose, kid);
    CompletableFuture<VaultKeyPair> cached = vaultKeyPairs.get(keyId);
    if (cached != null && !cached.isCompletedExceptionally()) {
      return cached.thenApply(Optional::of);
    }
    return store
        .findDataKey(keyId)
        .thenCompose(
            found -> {
              if (found.isEmpty()
                  || found.get().purpose() != purpose
                  || !found.get().namespace().equals(Namespace.SYSTEM)) {
                return CompletableFuture.completedFuture(Optional.<VaultKeyPair>empty());
              }
              return vaultKeyPair(purpose, kid, ctx).thenApply(Optional::of);
            });
  }

  private static String vaultKeyId(KeyPurpose purpose, String kid) {
    if (purpose != KeyPurpose.SIGNING && purpose != KeyPurpose.CAPTURE_ENCRYPTION) {
      throw new IllegalArgumentException("not a key-pair purpose: " + purpose);
    }
    if (!VAULT_KID.matcher(kid).matches()) {
      throw new IllegalArgumentException("a kid is 1-64 characters of A-Z a-z 0-9 - _");
    }
    return (purpose == KeyPurpose.SIGNING ? "vk_sig_" : "vk_enc_") + kid;
  }

  private static VaultKeyPair derive(String kid, KeyPurpose purpose, Unwrapped k) {
    byte[] seed = k.clear();
    try {
      return new VaultKeyPair(
          kid,
          purpose,
          EcKeyPairs.p256FromSeed(seed, "tokenvault/" + purpose.name() + "/" + k.record().keyId()),
          k.record().createdAt());
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** Unwraps a stored key through the key manager, with its audited {@code Decrypt} event. */
  private CompletionStage<byte[]> unwrapAudited(DataKeyRecord record, RequestContext ctx) {
    EncryptionContext ec = context(record.namespace(), record.keyId(), record.purpose());
    return CompletableFuture.supplyAsync(
            () -> {
              keyManagerCalls.incrementAndGet();
              return keyManager.decryptDataKey(record.wrapped(), ec);
            },
            blockingExecutor)
        .handle((clear, error) -> afterUnwrap(record, ctx, ec, clear, error))
        .thenCompose(s -> s);
  }

  /** Audits an unwrap: success before the key is used, failure before the error is reported. */
  private CompletionStage<byte[]> afterUnwrap(
      DataKeyRecord record, RequestContext ctx, EncryptionContext ec, byte[] clear, Throwable err) {
    if (err == null) {
      return store.append(keyEvent(AuditAction.DECRYPT, ctx, record, ec)).thenApply(v -> clear);
    }
    Throwable cause = unwrapCompletion(err);
    String code =
        cause instanceof KeyManagerException.Unavailable
            ? "key_manager_unavailable"
            : "key_integrity_failure";
    if (!(cause instanceof KeyManagerException.Unavailable)) {
      listener.integrityFailure(code);
    }
    AuditEvent failed =
        AuditEvent.builder(AuditAction.DECRYPT, ctx, clock.instant())
            .namespace(record.namespace().name())
            .key(record.wrapped().kekId(), record.wrapped().kekVersion())
            .encryptionContext(ec.entries())
            .outcome(Outcome.ERROR, code)
            .build();
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    store.append(failed).whenComplete((v, e) -> result.completeExceptionally(translate(cause)));
    return result;
  }

  private DataKey callGenerate(EncryptionContext ec) {
    keyManagerCalls.incrementAndGet();
    try {
      return keyManager.generateDataKey(ec);
    } catch (KeyManagerException e) {
      throw translate(e);
    }
  }

  private AuditEvent keyEvent(
      String name, RequestContext ctx, DataKeyRecord record, EncryptionContext ec) {
    return AuditEvent.builder(name, ctx, clock.instant())
        .namespace(record.namespace().name())
        .key(record.wrapped().kekId(), record.wrapped().kekVersion())
        .encryptionContext(ec.entries())
        .build();
  }

  static EncryptionContext context(Namespace ns, String keyId, KeyPurpose purpose) {
    return EncryptionContext.of(
        "tokenvault:namespace", ns.name(),
        "tokenvault:key-id", keyId,
        "tokenvault:purpose", purpose.name().toLowerCase(java.util.Locale.ROOT));
  }

  static RuntimeException translate(Throwable t) {
    if (t instanceof VaultException v) {
      return v;
    }
    if (t instanceof KeyManagerException.Unavailable u) {
      return new VaultException(
          VaultException.Kind.UNAVAILABLE,
          "key_manager_unavailable",
          "the key manager is unavailable",
          u);
    }
    if (t instanceof KeyManagerException.IntegrityFailure f) {
      return new VaultException(
          VaultException.Kind.INTEGRITY, "key_integrity_failure", "a data key failed to unwrap", f);
    }
    if (t instanceof RuntimeException r) {
      return r;
    }
    return new CompletionException(t);
  }

  static Throwable unwrapCompletion(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Key-manager calls made by this process: for metrics and for the "handful of calls" test. */
  long keyManagerCalls() {
    return keyManagerCalls.get();
  }
}
