package dev.tokenvault.server.wiring;

import dev.tokenvault.core.audit.AuditCheckpoint;
import dev.tokenvault.core.audit.AuditCheckpointer;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.server.monitoring.Detectors;
import dev.tokenvault.server.monitoring.Meters;
import dev.tokenvault.server.monitoring.MeteredKeyManager;
import dev.tokenvault.server.monitoring.VaultMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.Vault;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the vault from configuration: {@code tokenvault.store.type} chooses the store, {@code
 * tokenvault.keys.type} the key manager; the payment processor is the simulated acquirer. The
 * adapters are opened at start (an unsupported type or an unreadable key file stops the start
 * with a clear message), and closed at shutdown, vault first.
 */
@ApplicationScoped
public class VaultProducer {
  private static final Logger LOG = Logger.getLogger(VaultProducer.class);
  /** The SQLite database file under the data directory. */
  static final String SQLITE_FILE = "tokenvault.db";

  @ConfigProperty(name = "tokenvault.data-dir")
  String dataDir;

  @ConfigProperty(name = "tokenvault.store.type")
  String storeType;

  @ConfigProperty(name = "tokenvault.keys.type")
  String keysType;

  /** Seals the local key file: the environment variable TOKENVAULT_KEK_PASSPHRASE. */
  @ConfigProperty(name = "tokenvault.kek.passphrase")
  Optional<String> kekPassphrase;

  /** How often the audit chain's head is signed (and at shutdown). */
  @ConfigProperty(name = "tokenvault.audit.checkpoint-interval", defaultValue = "5m")
  Duration checkpointInterval;

  @Inject MeterRegistry registry;
  @Inject VaultMetrics metrics;
  @Inject Detectors detectors;

  private static final Logger AUDIT = Logger.getLogger("tokenvault.audit");
  /** The kid of the vault's audit-checkpoint signing key (a {@code SIGNING} key pair). */
  public static final String CHECKPOINT_KID = "audit-v1";

  /**
   * Unseals a local key file sealed under key shares at start: the environment variable
   * TOKENVAULT_UNSEAL_SHARES, shares separated by commas or white space.
   */
  @ConfigProperty(name = "tokenvault.unseal.shares")
  Optional<String> unsealShares;

  private KeySeal seal;

  private Stores stores;
  private KeyManager keyManager;
  private DefaultVault vault;
  private AuditCheckpointer checkpointer;
  private volatile ScheduledExecutorService checkpoints;
  private Counter checkpointCounter;

  /** The store adapter, as both ports it serves. */
  record Stores(TokenStore tokens, PaymentStore payments, AutoCloseable closeable) {}

  @Produces
  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  /** A counter that reads {@code value} of {@code store} when {@code /metrics} is scraped. */
  private <S> void storeCounter(String name, S store, ToDoubleFunction<S> value,
      String description) {
    FunctionCounter.builder(name, store, value).description(description).register(registry);
  }

  /** The SQLite store's log syncs and log cycles ({@link Meters#LOG_SYNCS}). */
  private void registerDurabilityMeters(dev.tokenvault.store.jdbc.SqliteStore sqlite) {
    storeCounter(Meters.LOG_SYNCS, sqlite, s -> s.writerStats().logSyncs(),
        "fsyncs of the write-ahead log; every acknowledged write waits for one");
    storeCounter(Meters.LOG_SYNC_SECONDS, sqlite, s -> s.writerStats().logSyncNanos() / 1e9,
        "time the write-ahead log's fsyncs took");
    storeCounter(Meters.LOG_SYNCS_SLOW, sqlite, s -> s.writerStats().slowLogSyncs(),
        "fsyncs of the write-ahead log that took longer than 10 ms");
    storeCounter(Meters.WAL_CYCLES, sqlite, s -> s.walStats().cyclesEnded(),
        "write-ahead log cycles ended (the log restarts from its beginning)");
    storeCounter(Meters.WAL_WRITER_PAUSE_SECONDS, sqlite,
        s -> s.walStats().writerPauseNanos() / 1e9,
        "time the writer spent on each cycle's last checkpoint; no write commits meanwhile");
    storeCounter(Meters.WAL_DATABASE_SYNCS, sqlite, s -> s.walStats().databaseSyncs(),
        "fsyncs of the database file by the checkpoint thread");
    storeCounter(Meters.WAL_DATABASE_SYNC_SECONDS, sqlite,
        s -> s.walStats().databaseSyncNanos() / 1e9, "time the database file's fsyncs took");
  }

  void start(@Observes StartupEvent ev, Clock clock) {
    Path dir = Path.of(dataDir);
    stores = openStore(dir);
    if (stores.tokens() instanceof dev.tokenvault.store.jdbc.SqliteStore sqlite) {
      FunctionCounter.builder(Meters.TOKEN_ROW_CACHE, sqlite,
              dev.tokenvault.store.jdbc.SqliteStore::tokenCacheHits)
          .tag("result", "hit").description("token lookups answered from memory")
          .register(registry);
      FunctionCounter.builder(Meters.TOKEN_ROW_CACHE, sqlite,
              dev.tokenvault.store.jdbc.SqliteStore::tokenCacheMisses)
          .tag("result", "miss").description("token lookups that read the store")
          .register(registry);
      registerDurabilityMeters(sqlite);
    }
    if (stores.tokens() instanceof dev.tokenvault.store.jdbc.JdbcStore jdbc) {
      storeCounter(Meters.WRITER_COMMITS, jdbc, s -> s.writerStats().batches(),
          "transactions the store's writer committed");
      storeCounter(Meters.WRITER_OPERATIONS, jdbc, s -> s.writerStats().operations(),
          "writes in the transactions the store's writer committed");
      storeCounter(Meters.WRITER_COMMITS_SLOW, jdbc, s -> s.writerStats().slowCommits(),
          "the store writer's commits that took longer than 10 ms");
    }
    try {
      keyManager = openKeyManager(dir, clock);
    } catch (RuntimeException e) {
      closeQuietly(stores.closeable());
      stores = null;
      throw e;
    }
    vault = DefaultVault.builder()
        .keyManager(new MeteredKeyManager(keyManager, registry))
        .tokenStore(stores.tokens())
        .paymentStore(stores.payments())
        .paymentProcessor(new SimulatedAcquirer())
        .clock(clock)
        .listener(metrics)
        .rewrapOnStart(seal == null)
        .build();
    startCheckpoints(clock);
    if (seal == null) {
      scheduleCheckpoints();
    } else {
      // Checkpoints need the signing key, which the key manager unwraps: they start at unseal.
      DefaultVault built = vault;
      seal.onUnseal(
          km -> {
            built.keyAdministration().resumeRewrap(
                dev.tokenvault.core.audit.RequestContext.system("unseal"));
            built.fingerprintKeys().resume(
                dev.tokenvault.core.audit.RequestContext.system("unseal"));
            scheduleCheckpoints();
          });
      unsealShares.ifPresent(
          all -> {
            int given = 0;
            for (String share : all.split("[,\\s]+")) {
              if (!share.isEmpty()) {
                given++;
                seal.offer(share);
              }
            }
            // An unseal from the environment is audited like one over HTTP (never the shares).
            stores.tokens().append(
                dev.tokenvault.core.audit.AuditEvent.builder(
                        dev.tokenvault.core.audit.AuditAction.UNSEAL,
                        dev.tokenvault.core.audit.RequestContext.system("start"),
                        clock.instant())
                    .encryptionContext(java.util.Map.of(
                        "tokenvault:source", "TOKENVAULT_UNSEAL_SHARES",
                        "tokenvault:shares-given", Integer.toString(given),
                        "tokenvault:sealed", Boolean.toString(seal.sealed())))
                    .outcome(seal.sealed()
                        ? dev.tokenvault.core.audit.Outcome.DENIED
                        : dev.tokenvault.core.audit.Outcome.SUCCESS,
                        seal.sealed() ? "unseal_failed" : null)
                    .build())
                .toCompletableFuture().join();
          });
      if (seal.sealed()) {
        LOG.warnf("vault SEALED: %d key shares are needed (POST /v1/unseal)", seal.status().threshold());
      }
    }
    LOG.infof("vault ready: store=%s keys=%s data-dir=%s", storeType, keysType, dir);
  }

  /** Signs the audit chain's head every {@code tokenvault.audit.checkpoint-interval}. */
  private void startCheckpoints(Clock clock) {
    if (checkpointInterval.isNegative() || checkpointInterval.isZero()) {
      throw new IllegalStateException("tokenvault.audit.checkpoint-interval must be positive");
    }
    checkpointCounter = Counter.builder(Meters.AUDIT_CHECKPOINTS)
        .description("signed audit checkpoints").register(registry);
    RequestContext system = RequestContext.system("audit-checkpoint");
    DefaultVault v = vault;
    checkpointer = new AuditCheckpointer(stores.tokens(),
        () -> v.vaultKeyPair(KeyPurpose.SIGNING, CHECKPOINT_KID, system)
            .thenApply(k -> new AuditCheckpointer.SigningKey(k.kid(), k.privateKey())),
        clock, system);
  }

  /** Signs a checkpoint every interval; only once the key manager can unwrap the signing key. */
  private synchronized void scheduleCheckpoints() {
    if (checkpoints != null) {
      return;
    }
    checkpoints = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tokenvault-audit-checkpoint");
      t.setDaemon(true);
      return t;
    });
    long millis = checkpointInterval.toMillis();
    checkpoints.scheduleWithFixedDelay(this::checkpoint, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** One checkpoint, waited for (on the scheduler thread, or at shutdown). */
  private void checkpoint() {
    try {
      AuditCheckpoint c = checkpointer.checkpoint().toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (c != null) {
        checkpointCounter.increment();
        AUDIT.infof("audit checkpoint signed head=%d events=%d checkpoint=%s", c.headSequence(),
            c.eventCount(), c.compact());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof AuditCheckpointer.TamperedException t) {
        AUDIT.errorf("audit chain broken at sequence %d: %s", t.sequence(), t.reason());
        detectors.auditFailure("audit chain broken reason=" + t.reason());
      } else {
        AUDIT.warnf("audit checkpoint failed: %s", cause.getClass().getName());
        detectors.auditFailure("audit checkpoint failed");
      }
    }
  }

  void stop(@Observes ShutdownEvent ev) {
    if (checkpoints != null) {
      checkpoints.shutdown();
      try {
        checkpoints.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      checkpoint();
    }
    if (vault != null) {
      vault.close();
    }
    if (seal != null) {
      seal.close();
    } else if (keyManager != null) {
      keyManager.close();
    }
    if (stores != null) {
      closeQuietly(stores.closeable());
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warnf("closing the store failed: %s", e.getClass().getName());
    }
  }

  @Produces
  @Singleton
  Vault vault() {
    if (vault == null) {
      throw new IllegalStateException("the vault is not started");
    }
    return vault;
  }

  /** KEK rotation, rewrap, retirement and the key report. */
  public dev.tokenvault.core.vault.KeyAdministration keyAdministration() {
    if (vault == null) {
      throw new IllegalStateException("the vault is not started");
    }
    return vault.keyAdministration();
  }

  /** Fingerprint-key rotation, re-fingerprint, retirement and their report. */
  public dev.tokenvault.core.vault.FingerprintAdministration fingerprintKeys() {
    if (vault == null) {
      throw new IllegalStateException("the vault is not started");
    }
    return vault.fingerprintKeys();
  }

  /** The seal of a key file sealed under key shares, or null when there is none. */
  public KeySeal seal() {
    return seal;
  }

  @Produces
  @Singleton
  AuditCheckpointer checkpointer() {
    if (checkpointer == null) {
      throw new IllegalStateException("the vault is not started");
    }
    return checkpointer;
  }

  @Produces
  @Singleton
  AuditLog auditLog() {
    if (stores == null) {
      throw new IllegalStateException("the vault is not started");
    }
    return stores.tokens();
  }

  private Stores openStore(Path dir) {
    String type = storeType.trim().toLowerCase(Locale.ROOT);
    switch (type) {
      case "sqlite":
        return Adapters.sqlite(dir.resolve(SQLITE_FILE));
      case "postgres":
        return Adapters.postgres();
      case "dynamodb":
        return Adapters.dynamoDb();
      default:
        throw new IllegalStateException("unknown tokenvault.store.type '" + safe(type)
            + "': use sqlite, postgres or dynamodb");
    }
  }

  private KeyManager openKeyManager(Path dir, Clock clock) {
    String type = keysType.trim().toLowerCase(Locale.ROOT);
    switch (type) {
      case "local":
        if (LocalKeyManager.sealMode(dir) == LocalKeyManager.SealMode.SHARES) {
          seal = new KeySeal(dir, clock);
          return seal.keyManager();
        }
        char[] pass = kekPassphrase.filter(s -> !s.isEmpty()).map(String::toCharArray).orElse(null);
        return LocalKeyManager.open(dir, pass, clock);
      case "pkcs11":
        return Adapters.pkcs11();
      case "awskms":
        return Adapters.awsKms();
      default:
        throw new IllegalStateException("unknown tokenvault.keys.type '" + safe(type)
            + "': use local, pkcs11 or awskms");
    }
  }

  private static String safe(String s) {
    String cut = s.length() > 32 ? s.substring(0, 32) : s;
    return cut.replaceAll("[^a-z0-9_-]", "?");
  }
}
