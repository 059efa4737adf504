package dev.tokenvault.core.vault;

import com.google.crypto.tink.Aead;
import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.crypto.InvalidCiphertextException;
import dev.tokenvault.core.crypto.RecordCipher;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenPage;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FingerprintAdministration} over the vault's key ring and store. See the interface for
 * the design; this class adds how the re-fingerprint job runs.
 *
 * <h2>The job</h2>
 *
 * One thread of its own ({@code tokenvault-refingerprint}), namespaces one after the other, so the
 * job never takes the key ring's blocking pool from requests (it waits on data-key unwraps that
 * run there). In passes: load the namespace's fingerprint keys from the store, count its tokens
 * per older version, page through each such version ({@link #PAGE} tokens at a time) and move
 * every token. A pass that moved no token ends the job; one that moved some is followed by
 * another, which catches tokens a process that had not yet seen the rotation made meanwhile.
 * Values are decrypted into a byte array that is zeroed as soon as the fingerprint is computed;
 * nothing of a value is ever logged.
 */
final class FingerprintCustody implements FingerprintAdministration, AutoCloseable {
  /** Tokens read per page: small pages keep a restart's repeated work negligible. */
  static final int PAGE = 100;

  private static final Logger LOG = LoggerFactory.getLogger(FingerprintCustody.class);

  private final KeyRing keys;
  private final TokenStore store;
  private final Clock clock;
  private final VaultListener listener;
  private final ExecutorService jobThread;
  private final ConcurrentHashMap<Namespace, Job> jobs = new ConcurrentHashMap<>();

  FingerprintCustody(KeyRing keys, TokenStore store, Clock clock, VaultListener listener) {
    this.keys = keys;
    this.store = store;
    this.clock = clock;
    this.listener = listener;
    this.jobThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tokenvault-refingerprint");
              t.setDaemon(true);
              return t;
            });
  }

  /** One namespace's job in this process. */
  private static final class Job {
    final CompletableFuture<Progress> done = new CompletableFuture<>();
    final AtomicLong moved = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    volatile Progress.State state = Progress.State.RUNNING;
    volatile String errorCode;

    Progress progress() {
      return new Progress(state, moved.get(), failed.get(), errorCode);
    }

    boolean running() {
      return !done.isDone();
    }
  }

  // ---- rotate

  @Override
  public CompletionStage<Rotation> rotate(Namespace ns, RequestContext ctx) {
    CompletionStage<int[]> rotated;
    if (ns.isReserved()) {
      rotated = CompletableFuture.failedFuture(reserved());
    } else if (running(ns)) {
      rotated = CompletableFuture.failedFuture(incomplete("the re-fingerprint job is running"));
    } else {
      rotated =
          versions(ns)
              .thenCompose(
                  versions -> {
                    int current = versions.last();
                    return store
                        .countTokensByFingerprintVersion(ns, current)
                        .thenCompose(
                            counts -> {
                              long left = sum(counts);
                              if (left > 0) {
                                startJob(ns, RequestContext.system(ctx.requestId()));
                                throw incomplete(
                                    left + " tokens still carry fingerprints of older versions;"
                                        + " the re-fingerprint job moves them first");
                              }
                              return keys.createFingerprintKey(ns, current + 1, ctx);
                            })
                        .thenApply(
                            created -> {
                              if (!created) {
                                throw new VaultException(
                                    VaultException.Kind.CONFLICT,
                                    "fingerprint_rotation_conflict",
                                    "another rotation of this namespace's fingerprint key won");
                              }
                              return new int[] {current, current + 1};
                            });
                  });
    }
    return rotated
        .handle(
            (v, error) -> {
              AuditEvent.Builder event =
                  AuditEvent.builder(AuditAction.ROTATE_FINGERPRINT_KEY, ctx, clock.instant())
                      .namespace(ns.name());
              if (error == null) {
                event
                    .key(KeyRing.fingerprintKeyId(ns, v[1]), v[1])
                    .encryptionContext(
                        Map.of("tokenvault:previous-fingerprint-version", Integer.toString(v[0])));
                return store
                    .append(event.build())
                    .thenCompose(x -> keys.reloadFingerprintKeys(ns, null, ctx))
                    .thenApply(
                        x -> {
                          LOG.info(
                              "fingerprint key of namespace {} rotated from version {} to {};"
                                  + " re-fingerprinting its tokens",
                              ns, v[0], v[1]);
                          Job job = startJob(ns, RequestContext.system(ctx.requestId()));
                          return new Rotation(ns, v[0], v[1], job.progress());
                        });
              }
              return this.<Rotation>refuse(event, error);
            })
        .thenCompose(s -> s);
  }

  // ---- retire

  @Override
  public CompletionStage<NamespaceReport> retire(Namespace ns, int version, RequestContext ctx) {
    String keyId = KeyRing.fingerprintKeyId(ns, Math.max(version, 1));
    AuditEvent.Builder event =
        AuditEvent.builder(AuditAction.RETIRE_FINGERPRINT_KEY, ctx, clock.instant())
            .namespace(ns.name())
            .key(keyId, version);
    CompletionStage<Boolean> deleted =
        versions(ns)
            .thenCompose(
                versions -> {
                  if (!versions.contains(version)) {
                    throw new VaultException(
                        VaultException.Kind.NOT_FOUND,
                        "fingerprint_version_not_found",
                        "no fingerprint key version " + version + " in this namespace");
                  }
                  if (version == versions.last()) {
                    throw new VaultException(
                        VaultException.Kind.CONFLICT,
                        "fingerprint_version_current",
                        "the current fingerprint key version cannot be retired");
                  }
                  return store.countTokensByFingerprintVersion(ns, versions.last());
                })
            .thenCompose(
                counts -> {
                  long left = counts.getOrDefault(version, 0L);
                  if (left > 0) {
                    if (!running(ns)) {
                      startJob(ns, RequestContext.system(ctx.requestId()));
                    }
                    throw new VaultException(
                        VaultException.Kind.CONFLICT,
                        "fingerprint_version_in_use",
                        left + " tokens still carry fingerprints of version " + version);
                  }
                  // No new token can get this version any more (it is not current, and the
                  // store refuses deterministic inserts under a superseded version), so the count
                  // cannot go up again between the check and the delete.
                  return store.deleteDataKey(keyId, event.build());
                });
    return deleted
        .handle(
            (gone, error) -> {
              if (error == null) {
                keys.forgetFingerprintKey(ns, keyId);
                LOG.info("fingerprint key version {} of namespace {} retired", version, ns);
                return report(ns);
              }
              return this.<NamespaceReport>refuse(event, error);
            })
        .thenCompose(s -> s);
  }

  /** Audits a refusal (denied, or error when unavailable), then fails with it. */
  private <T> CompletionStage<T> refuse(AuditEvent.Builder event, Throwable error) {
    RuntimeException refused = KeyRing.translate(KeyRing.unwrapCompletion(error));
    boolean unavailable =
        (refused instanceof VaultException v && v.kind() == VaultException.Kind.UNAVAILABLE)
            || refused instanceof StoreException;
    event.outcome(
        unavailable ? Outcome.ERROR : Outcome.DENIED,
        refused instanceof VaultException v
            ? v.code()
            : refused instanceof StoreException ? "store_unavailable" : "internal_error");
    CompletableFuture<T> result = new CompletableFuture<>();
    store.append(event.build()).whenComplete((x, e) -> result.completeExceptionally(refused));
    return result;
  }

  // ---- report

  @Override
  public CompletionStage<List<NamespaceReport>> report() {
    return store
        .listDataKeys(KeyPurpose.FINGERPRINT, null)
        .thenCompose(
            all -> {
              Map<Namespace, TreeSet<Integer>> byNamespace = new TreeMap<>(
                  Comparator.comparing(Namespace::name));
              for (DataKeyRecord k : all) {
                int v = KeyRing.fingerprintKeyVersion(k.keyId(), k.namespace());
                if (v > 0) {
                  byNamespace.computeIfAbsent(k.namespace(), n -> new TreeSet<>()).add(v);
                }
              }
              List<CompletableFuture<NamespaceReport>> reports = new ArrayList<>();
              byNamespace.forEach(
                  (ns, versions) -> reports.add(report(ns, versions).toCompletableFuture()));
              return CompletableFuture.allOf(reports.toArray(CompletableFuture[]::new))
                  .thenApply(x -> reports.stream().map(CompletableFuture::join).toList());
            });
  }

  @Override
  public CompletionStage<NamespaceReport> report(Namespace ns) {
    return versions(ns).thenCompose(versions -> report(ns, versions));
  }

  /** Tokens on older versions are counted while more than one version is stored. */
  private CompletionStage<NamespaceReport> report(Namespace ns, TreeSet<Integer> versions) {
    // the job's state before the count, as in KeyCustody.report: "done" then counts after the end
    var progress = progress(ns);
    CompletionStage<Long> left =
        versions.size() > 1 || running(ns)
            ? store.countTokensByFingerprintVersion(ns, versions.last()).thenApply(this::sum)
            : CompletableFuture.completedFuture(0L);
    return left.thenApply(
        n -> new NamespaceReport(ns, versions.last(), List.copyOf(versions), n, progress));
  }

  /** The namespace's stored versions, ascending; {@code fingerprint_key_not_found} if none. */
  private CompletionStage<TreeSet<Integer>> versions(Namespace ns) {
    return store
        .listDataKeys(KeyPurpose.FINGERPRINT, ns)
        .thenApply(
            stored -> {
              TreeSet<Integer> versions = new TreeSet<>();
              for (DataKeyRecord k : stored) {
                int v = KeyRing.fingerprintKeyVersion(k.keyId(), ns);
                if (v > 0 && k.namespace().equals(ns)) {
                  versions.add(v);
                }
              }
              if (versions.isEmpty()) {
                throw new VaultException(
                    VaultException.Kind.NOT_FOUND,
                    "fingerprint_key_not_found",
                    "the namespace has no fingerprint key (nothing was tokenized in it)");
              }
              return versions;
            });
  }

  private long sum(Map<Integer, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  // ---- the job

  @Override
  public CompletionStage<Void> resume(RequestContext ctx) {
    return store
        .listDataKeys(KeyPurpose.FINGERPRINT, null)
        .thenCompose(
            all -> {
              Map<Namespace, Integer> versions = new TreeMap<>(
                  Comparator.comparing(Namespace::name));
              for (DataKeyRecord k : all) {
                if (KeyRing.fingerprintKeyVersion(k.keyId(), k.namespace()) > 0) {
                  versions.merge(k.namespace(), 1, Integer::sum);
                }
              }
              List<CompletableFuture<Progress>> started = new ArrayList<>();
              versions.forEach(
                  (ns, n) -> {
                    if (n > 1) {
                      started.add(startJob(ns, ctx).done);
                    }
                  });
              return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new));
            });
  }

  @Override
  public CompletionStage<Progress> completion(Namespace ns) {
    Job job = jobs.get(ns);
    return job == null ? CompletableFuture.completedFuture(Progress.IDLE) : job.done;
  }

  @Override
  public Progress progress(Namespace ns) {
    Job job = jobs.get(ns);
    return job == null ? Progress.IDLE : job.progress();
  }

  private boolean running(Namespace ns) {
    Job job = jobs.get(ns);
    return job != null && job.running();
  }

  /** Starts the namespace's job unless it runs already; returns the running one. */
  private synchronized Job startJob(Namespace ns, RequestContext ctx) {
    Job existing = jobs.get(ns);
    if (existing != null && existing.running()) {
      return existing;
    }
    Job job = new Job();
    jobs.put(ns, job);
    try {
      jobThread.execute(() -> run(ns, job, ctx));
    } catch (RuntimeException e) {
      finish(ns, job, "refingerprint_not_started", e);
    }
    return job;
  }

  private void run(Namespace ns, Job job, RequestContext ctx) {
    try {
      boolean progressed;
      do {
        progressed = pass(ns, job, ctx);
      } while (progressed);
      finish(ns, job, null, null);
    } catch (RuntimeException e) {
      Throwable cause = KeyRing.unwrapCompletion(e);
      String code =
          cause instanceof KeyManagerException.Unavailable
                  || (cause instanceof VaultException v
                      && v.kind() == VaultException.Kind.UNAVAILABLE)
              ? "key_manager_unavailable"
              : cause instanceof StoreException ? "store_unavailable" : "refingerprint_failed";
      finish(ns, job, code, cause);
    }
  }

  private void finish(Namespace ns, Job job, String code, Throwable cause) {
    job.errorCode = code;
    job.state = code == null ? Progress.State.DONE : Progress.State.FAILED;
    if (code == null) {
      LOG.info(
          "re-fingerprint of namespace {} done: {} tokens moved, {} failed",
          ns, job.moved.get(), job.failed.get());
    } else {
      LOG.warn(
          "re-fingerprint of namespace {} stopped ({}) after {} tokens; it resumes at the next"
              + " start: {}",
          ns, code, job.moved.get(), cause == null ? "" : cause.getClass().getSimpleName());
    }
    job.done.complete(job.progress());
  }

  /** One pass over every older version's tokens; true if it moved at least one. */
  private boolean pass(Namespace ns, Job job, RequestContext ctx) {
    KeyRing.FingerprintKeys fks = join(keys.reloadFingerprintKeys(ns, null, ctx));
    KeyRing.FingerprintKey current = fks.current();
    Map<Integer, Long> counts =
        new TreeMap<>(join(store.countTokensByFingerprintVersion(ns, current.version())));
    boolean progressed = false;
    for (Map.Entry<Integer, Long> e : counts.entrySet()) {
      if (e.getValue() == 0) {
        continue;
      }
      String cursor = null;
      do {
        TokenPage page =
            join(store.listTokensByFingerprintVersion(ns, e.getKey(), cursor, PAGE));
        for (TokenRecord r : page.tokens()) {
          progressed |= moveOne(r, current, job, ctx);
        }
        cursor = page.next();
      } while (cursor != null);
    }
    return progressed;
  }

  /** Moves one token to the current version; true if this process stored the move. */
  private boolean moveOne(
      TokenRecord r, KeyRing.FingerprintKey current, Job job, RequestContext ctx) {
    int from = FingerprintFormat.version(r.fingerprint());
    Map<String, String> context =
        Map.of(
            "tokenvault:source-fingerprint-version", Integer.toString(from),
            "tokenvault:key-id", current.keyId());
    String fingerprint;
    byte[] clear = null;
    try {
      Aead aead = join(keys.keyForDecryption(r.dataKeyId(), r.namespace(), ctx));
      clear = RecordCipher.decrypt(aead, r.ciphertext(), r.namespace(), r.token(), r.type());
      fingerprint =
          DefaultVault.Fingerprints.compute(current.prf(), current.version(), r.type(), clear);
    } catch (InvalidCiphertextException | VaultException e) {
      if (e instanceof VaultException v && v.kind() != VaultException.Kind.INTEGRITY) {
        throw v;
      }
      String code = e instanceof VaultException v ? v.code() : "record_integrity_failure";
      listener.integrityFailure(code);
      job.failed.incrementAndGet();
      join(
          store.append(
              AuditEvent.builder(AuditAction.REFINGERPRINT_TOKEN, ctx, clock.instant())
                  .namespace(r.namespace().name())
                  .token(r.token().value())
                  .key(current.keyId(), current.version())
                  .encryptionContext(context)
                  .outcome(Outcome.ERROR, code)
                  .build()));
      LOG.error(
          "token {} does not decrypt ({}): its fingerprint is left at version {}",
          r.token(), code, from);
      return false;
    } finally {
      if (clear != null) {
        Arrays.fill(clear, (byte) 0);
      }
    }
    AuditEvent event =
        AuditEvent.builder(AuditAction.REFINGERPRINT_TOKEN, ctx, clock.instant())
            .namespace(r.namespace().name())
            .token(r.token().value())
            .key(current.keyId(), current.version())
            .encryptionContext(context)
            .build();
    boolean stored = join(store.refingerprintToken(r.token(), r.fingerprint(), fingerprint, event));
    if (stored) {
      job.moved.incrementAndGet();
    }
    return stored;
  }

  /** Waits for {@code stage}; its failure is thrown as it is, not wrapped. */
  private static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable cause = KeyRing.unwrapCompletion(e);
      throw cause instanceof RuntimeException r ? r : e;
    }
  }

  private static VaultException reserved() {
    return new VaultException(
        VaultException.Kind.INVALID,
        "reserved_namespace",
        "the namespace is reserved for the vault's own keys");
  }

  private static VaultException incomplete(String why) {
    return new VaultException(
        VaultException.Kind.CONFLICT, "fingerprint_refingerprint_incomplete", why);
  }

  /** Stops the job thread; a job cut short resumes at the next start. */
  @Override
  public void close() {
    jobThread.shutdownNow();
  }
}
