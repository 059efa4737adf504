package dev.tokenvault.bench;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.testkit.InMemoryStore;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tokenization's own cost, the store stubbed by the in-memory fake: fingerprint (HMAC-SHA256),
 * AES-256-GCM, token generation, audit event. {@code mode}: random or deterministic tokens.
 * Deterministic mode over 100,000 distinct PANs repeats values, so most calls find an existing
 * token, as a real deterministic workload does.
 *
 * <p>Run: {@code ./mvnw -B -q -pl bench -am package -DskipTests && java -jar
 * bench/target/benchmarks.jar TokenizeBenchmark -t 2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenizeBenchmark {
  private static final int DISTINCT_PANS = 100_000;

  @Param({"random", "deterministic"})
  public String mode;

  private DefaultVault vault;
  private InMemoryStore store;
  private Pan[] pans;
  private final AtomicInteger next = new AtomicInteger();

  @Setup(Level.Iteration)
  public void setUp() {
    store = new InMemoryStore();
    vault =
        VaultFixture.vault(
            VaultFixture.localKeys(VaultFixture.tempDir()), store, store, KeyRingSettings.DEFAULTS);
    if (pans == null) {
      pans = VaultFixture.syntheticPans(DISTINCT_PANS, 42);
    }
  }

  @TearDown(Level.Iteration)
  public void tearDown() {
    vault.close();
  }

  @Benchmark
  public Object tokenize() {
    Pan pan = pans[Math.floorMod(next.getAndIncrement(), pans.length)];
    TokenizeCommand cmd =
        new TokenizeCommand(Namespace.DEFAULT, pan, "deterministic".equals(mode), null, Map.of());
    return vault.tokenize(cmd, VaultFixture.CTX).toCompletableFuture().join();
  }
}
