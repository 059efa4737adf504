package dev.tokenvault.bench;

import dev.tokenvault.core.audit.AuditAction;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The audit hash chain's own cost per event: {@code chain} (the SQLite writer, once per event
 * written) and {@code verifyHash} (the audit checkpointer, once per event it reads back), on an
 * event shaped like a detokenize's: a caller with two scopes, a user agent, a token, a key and an
 * encryption context.
 *
 * <p>Run: {@code ./mvnw -B -q -pl bench -am package -DskipTests && java -jar
 * bench/target/benchmarks.jar AuditHashBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AuditHashBenchmark {
  private AuditEvent event;
  private AuditEvent chained;

  @Setup
  public void setUp() {
    RequestContext caller =
        new RequestContext(
            "merchant-a-service",
            "merchant-a",
            List.of("payments.detokenize", "payments.read"),
            "203.0.113.7",
            "wrk/4.1.0",
            null,
            "req-7d1f2a9c0b3e4d5f");
    event =
        AuditEvent.builder(
                AuditAction.DETOKENIZE, caller, Instant.parse("2026-11-23T20:15:02.123456Z"))
            .namespace("default")
            .token("tok_4uGZ0cQy1fQm8kQ2r9Hn3p")
            .key("dk_94b33c970f9e04d21b0df18c", 1)
            .encryptionContext(
                Map.of("tokenvault:namespace", "default", "tokenvault:purpose", "record"))
            .outcome(Outcome.SUCCESS, null)
            .build();
    chained = event.chain(AuditEvent.GENESIS);
  }

  @Benchmark
  public AuditEvent chain() {
    return event.chain(AuditEvent.GENESIS);
  }

  @Benchmark
  public boolean verifyHash() {
    return chained.verifyHash();
  }
}
