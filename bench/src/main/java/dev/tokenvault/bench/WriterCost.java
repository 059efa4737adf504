package dev.tokenvault.bench;

import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyRingSettings;
import dev.tokenvault.core.vault.TokenizeCommand;
import dev.tokenvault.store.jdbc.SqliteStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one durable write costs the SQLite writer, in units that a busy machine does not distort:
 * the writer thread's CPU time per operation and the bytes the process wrote per operation
 * ({@code /proc/self/io}), plus operations per commit. Wall-clock throughput and the latency
 * percentiles of the measured operations (submit to completion, which includes the log fsync) are
 * printed too, but read them only on a quiet machine.
 *
 * <p>Run: {@code ./mvnw -B -q -pl bench -am package -DskipTests && java -cp
 * bench/target/benchmarks.jar dev.tokenvault.bench.WriterCost [tokenize|detokenize] [seconds]
 * [seeded tokens] [in flight]}.
 */
public final class WriterCost {
  private WriterCost() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "tokenize";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    int seeded = args.length > 2 ? Integer.parseInt(args[2]) : 50_000;
    int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 64;

    Path dir = VaultFixture.tempDir();
    SqliteStore store = SqliteStore.open(dir.resolve("vault.db"));
    DefaultVault vault =
        VaultFixture.vault(VaultFixture.localKeys(dir), store, store, KeyRingSettings.DEFAULTS);
    Pan[] pans = VaultFixture.syntheticPans(seeded + 600_000, 42);
    Token[] tokens = new Token[seeded];
    AtomicInteger next = new AtomicInteger();
    run(inFlight, seeded, i -> tokenize(vault, pans[i]).thenAccept(t -> tokens[i] = t));
    next.set(seeded);

    Thread writer = findThread("-writer");
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    // warm-up: no latencies recorded
    drive(vault, what, pans, tokens, next, inFlight, seconds / 3, new long[0], new AtomicInteger());
    List<Thread> readers = threads("-reader-");
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = mx.getThreadCpuTime(writer.getId());
    long readers0 = cpuOf(mx, readers);
    long process0 = os.getProcessCpuTime();
    long[] io0 = io();
    var s0 = store.writerStats();
    long t0 = System.nanoTime();
    long[] latencies = new long[MAX_RECORDED];
    AtomicInteger recorded = new AtomicInteger();
    long ops = drive(vault, what, pans, tokens, next, inFlight, seconds, latencies, recorded);
    long t1 = System.nanoTime();
    var s1 = store.writerStats();
    long[] io1 = io();
    long cpu1 = mx.getThreadCpuTime(writer.getId());
    long readers1 = cpuOf(mx, readers);
    long process1 = os.getProcessCpuTime();
    long committed = s1.operations() - s0.operations();
    long batches = s1.batches() - s0.batches();
    System.out.printf(
        "%s: ops %d, %.0f ops/s wall, writer CPU %.1f us/op, wrote %.1f KiB/op (wchar %.1f KiB/op),"
            + " %.1f ops/commit, commit %.1f us/batch, db %s MiB, wal %s MiB%n",
        what,
        ops,
        ops / ((t1 - t0) / 1e9),
        (cpu1 - cpu0) / 1e3 / committed,
        (io1[1] - io0[1]) / 1024.0 / committed,
        (io1[0] - io0[0]) / 1024.0 / committed,
        committed / (double) batches,
        (s1.commitNanos() - s0.commitNanos()) / 1e3 / batches,
        Files.size(dir.resolve("vault.db")) >> 20,
        Files.exists(dir.resolve("vault.db-wal")) ? Files.size(dir.resolve("vault.db-wal")) >> 20 : 0);
    System.out.printf(
        "%s: process CPU %.1f us/op (this harness included), readers CPU %.1f us/op%n",
        what, (process1 - process0) / 1e3 / ops, (readers1 - readers0) / 1e3 / ops);
    long[] lat = java.util.Arrays.copyOf(latencies, Math.min(recorded.get(), latencies.length));
    java.util.Arrays.sort(lat);
    System.out.printf(
        "%s latency (submit to completion, wall): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
        what, pct(lat, 50), pct(lat, 99), pct(lat, 99.9), lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6);
    vault.close();
    store.close();
  }

  /** Operations whose latency is kept (the first ones of the measured run). */
  private static final int MAX_RECORDED = 4_000_000;

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static long drive(
      DefaultVault vault, String what, Pan[] pans, Token[] tokens, AtomicInteger next,
      int inFlight, int seconds, long[] latencies, AtomicInteger recorded)
      throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    AtomicLong done = new AtomicLong();
    Semaphore permits = new Semaphore(inFlight);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    while (System.nanoTime() < end) {
      permits.acquire();
      long started = System.nanoTime();
      CompletableFuture<?> f =
          "detokenize".equals(what)
              ? vault
                  .detokenize(Namespace.DEFAULT, tokens[rnd.nextInt(tokens.length)], VaultFixture.CTX)
                  .toCompletableFuture()
              : tokenize(vault, pans[next.getAndIncrement()]);
      f.whenComplete((r, e) -> {
        if (e != null) {
          e.printStackTrace();
        }
        done.incrementAndGet();
        int i = recorded.getAndIncrement();
        if (i < latencies.length) {
          latencies[i] = System.nanoTime() - started;
        }
        permits.release();
      });
    }
    permits.acquire(inFlight);
    permits.release(inFlight);
    return done.get();
  }

  private static CompletableFuture<Token> tokenize(DefaultVault vault, Pan pan) {
    return vault
        .tokenize(new TokenizeCommand(Namespace.DEFAULT, pan, false, null, Map.of()), VaultFixture.CTX)
        .toCompletableFuture()
        .thenApply(r -> r.token().token());
  }

  private interface Step {
    CompletableFuture<?> start(int i);
  }

  private static void run(int inFlight, int n, Step step) throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight * 4);
    for (int i = 0; i < n; i++) {
      permits.acquire();
      step.start(i).whenComplete((r, e) -> permits.release());
    }
    permits.acquire(inFlight * 4);
  }

  /** The live threads whose name contains {@code part}. */
  private static List<Thread> threads(String part) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().contains(part))
        .toList();
  }

  private static long cpuOf(ThreadMXBean mx, List<Thread> threads) {
    long sum = 0;
    for (Thread t : threads) {
      long cpu = mx.getThreadCpuTime(t.getId());
      if (cpu > 0) {
        sum += cpu;
      }
    }
    return sum;
  }

  private static Thread findThread(String suffix) {
    List<Thread> all = new ArrayList<>(Thread.getAllStackTraces().keySet());
    return all.stream()
        .filter(t -> t.getName().endsWith(suffix))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no thread named *" + suffix));
  }

  /** {@code wchar} and {@code write_bytes} of this process. */
  private static long[] io() throws java.io.IOException {
    long wchar = 0;
    long writeBytes = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("wchar:")) {
        wchar = Long.parseLong(line.substring(6).trim());
      } else if (line.startsWith("write_bytes:")) {
        writeBytes = Long.parseLong(line.substring(12).trim());
      }
    }
    return new long[] {wchar, writeBytes};
  }
}
