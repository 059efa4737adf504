package dev.tokenvault.bench;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.store.jdbc.SqliteStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The vault on its embedded defaults: the local key manager and the SQLite store with {@code
 * synchronous=FULL} (every acknowledged write is on disk). Many threads wait on their own write
 * at once, as HTTP requests do, so the store's group commit batches them: this measures the
 * durable write path, not the crypto.
 *
 * <ul>
 *   <li>{@code tokenize}: random or deterministic ({@code mode}); each call commits a token row
 *       and its audit event.
 *   <li>{@code detokenize}: Zipf over 50,000 tokens; a read plus a durable audit event.
 * </ul>
 *
 * <p>Run: {@code ./mvnw -B -q -pl bench -am package -DskipTests && java -jar
 * bench/target/benchmarks.jar SqliteBenchmark}. The data directory is a temp dir on the same
 * disk as {@code java.io.tmpdir}: put it on the disk you mean to measure.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@Threads(64)
public class SqliteBenchmark {
  private static final int TOKENS = 50_000;

  @Param({"random", "deterministic"})
  public String mode;

  private SqliteStore store;
  private DefaultVault vault;
  private Pan[] pans;
  private Token[] tokens;
  private final AtomicInteger next = new AtomicInteger();

  @State(Scope.Thread)
  public static class Draws {
    ZipfIndex zipf = new ZipfIndex(TOKENS, 1.0, 1 << 16, Thread.currentThread().getId());
  }

  @Setup(Level.Trial)
  public void setUp() {
    Path dir = VaultFixture.tempDir();
    store = SqliteStore.open(dir.resolve("vault.db"));
    vault = VaultFixture.vault(VaultFixture.localKeys(dir), store, store, KeyRingSettings.DEFAULTS);
    pans = VaultFixture.syntheticPans(TOKENS, 42);
    tokens = new Token[TOKENS];
    var pending = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Token>>();
    for (int i = 0; i < TOKENS; i++) {
      pending.add(
          vault
              .tokenize(command(pans[i], false), VaultFixture.CTX)
              .toCompletableFuture()
              .thenApply(r -> r.token().token()));
    }
    for (int i = 0; i < TOKENS; i++) {
      tokens[i] = pending.get(i).join();
    }
  }

  private static TokenizeCommand command(Pan pan, boolean deterministic) {
    return new TokenizeCommand(Namespace.DEFAULT, pan, deterministic, null, Map.of());
  }

  @TearDown(Level.Iteration)
  public void report() {
    org.slf4j.LoggerFactory.getLogger(SqliteBenchmark.class).info("{}", store.writerStats());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vault.close();
    store.close();
  }

  @Benchmark
  public Object tokenize() {
    Pan pan = pans[Math.floorMod(next.getAndIncrement(), pans.length)];
    return vault
        .tokenize(command(pan, "deterministic".equals(mode)), VaultFixture.CTX)
        .toCompletableFuture()
        .join();
  }

  @Benchmark
  public Object detokenize(Draws draws) {
    return vault
        .detokenize(Namespace.DEFAULT, tokens[draws.zipf.next()], VaultFixture.CTX)
        .toCompletableFuture()
        .join();
  }
}
