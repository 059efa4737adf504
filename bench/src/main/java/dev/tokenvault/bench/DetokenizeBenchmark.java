package dev.tokenvault.bench;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.testkit.InMemoryStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * Detokenization's own cost, the store stubbed by the in-memory fake, tokens drawn Zipf over the
 * existing ones (a few hot, most cold).
 *
 * <ul>
 *   <li>{@code cache=hit}: 100,000 tokens under a few data keys that stay cached (the normal
 *       state): record lookup, AES-256-GCM decrypt, value parse, audit event.
 *   <li>{@code cache=miss}: 2,000 tokens, each under its own data key, and a cache of one key, so
 *       every call unwraps its data key through the (local) key manager and writes an extra
 *       {@code Decrypt} audit event: what a cold process pays per key.
 * </ul>
 *
 * <p>Run: {@code ./mvnw -B -q -pl bench -am package -DskipTests && java -jar
 * bench/target/benchmarks.jar DetokenizeBenchmark -t 2}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DetokenizeBenchmark {
  @Param({"hit", "miss"})
  public String cache;

  private DefaultVault vault;
  private Token[] tokens;
  private ZipfIndex zipf;

  @Setup(Level.Trial)
  public void setUp() {
    boolean miss = "miss".equals(cache);
    KeyRingSettings settings =
        miss
            ? new KeyRingSettings(1, Duration.ofDays(1), 1, Duration.ofHours(1))
            : KeyRingSettings.DEFAULTS;
    InMemoryStore store = new InMemoryStore();
    vault = VaultFixture.vault(VaultFixture.localKeys(VaultFixture.tempDir()), store, store, settings);
    int n = miss ? 2_000 : 100_000;
    Pan[] pans = VaultFixture.syntheticPans(n, 42);
    tokens = new Token[n];
    for (int i = 0; i < n; i++) {
      tokens[i] =
          vault
              .tokenize(new TokenizeCommand(Namespace.DEFAULT, pans[i], false, null, Map.of()),
                  VaultFixture.CTX)
              .toCompletableFuture()
              .join()
              .token()
              .token();
    }
    zipf = new ZipfIndex(n, 1.0, 1 << 20, Thread.currentThread().getId());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vault.close();
  }

  @Benchmark
  public Object detokenize() {
    return vault
        .detokenize(Namespace.DEFAULT, tokens[zipf.next()], VaultFixture.CTX)
        .toCompletableFuture()
        .join();
  }
}
