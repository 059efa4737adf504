package dev.tokenvault.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/ab.sh --summarize}: the paired A/B table that lever measurements in bench/README
 * rely on. The results files here have the layout {@code bench/run.sh} writes; only the numbers
 * are made up, so that each verdict is known in advance.
 */
class AbSummaryTest {
  private static final Path SCRIPT = Path.of("ab.sh");

  @TempDir Path dir;

  /** Results files written so far in this test (their names are numbered). */
  private int files;

  @Test
  void eachRoundShowsBothRatiosAndTheCeilingRatioIsAgainstEachRunsOwnCeiling() throws Exception {
    // Round 1: B's tokenize has 15% more req/s, but its run's ceiling was 25% faster.
    Output out =
        summarize(
            rates(20000, 8000, 10000),
            rates(25000, 9200, 10100),
            rates(20000, 8000, 10000),
            rates(20000, 6800, 10500));

    assertThat(out.status).isZero();
    assertThat(out.lines)
        .anyMatch(l -> l.matches("tokenize +1 +8000 +9200 .* 1\\.15 +0\\.92 .*"));
    assertThat(out.lines)
        .contains(
            "tokenize    B/A 0.85-1.15, x ceiling 0.85-0.92, 2 round(s):"
                + " no difference of 3% or more in every round",
            "ceiling     B/A 1.00-1.25, x ceiling 1.00-1.25, 2 round(s):"
                + " no difference of 3% or more in every round");
  }

  @Test
  void aDifferenceBothRatiosShowInEveryRoundIsCalled() throws Exception {
    Output out =
        summarize(
            rates(20000, 8000, 10000),
            rates(20000, 6800, 10000),
            rates(20000, 8000, 10000),
            rates(22000, 7200, 10000));

    assertThat(out.lines)
        .contains(
            "tokenize    B/A 0.85-0.90, x ceiling 0.82-0.85, 2 round(s):"
                + " B behind by 3% or more in every round");
  }

  @Test
  void aGainInReqPerSecondThatTheCeilingRatioDoesNotShowIsNotCalled() throws Exception {
    // The A/A run of session 12: one commit against itself, detokenize +9% and +10% in req/s.
    Output out =
        summarize(
            rates(18635, 7729, 8288),
            rates(20980, 6980, 8999),
            rates(18714, 7638, 8970),
            rates(17274, 7788, 9825));

    assertThat(out.lines)
        .contains(
            "detokenize  B/A 1.09-1.10, x ceiling 0.96-1.19, 2 round(s):"
                + " no difference of 3% or more in every round");
  }

  @Test
  void aDifferenceSmallerThanTheMachinesDriftIsNotCalled() throws Exception {
    Output out =
        summarize(
            rates(20000, 8000, 10000),
            rates(20000, 8000, 10100),
            rates(20000, 8000, 10000),
            rates(20000, 8000, 10500));

    assertThat(out.lines)
        .contains(
            "detokenize  B/A 1.01-1.05, x ceiling 1.01-1.05, 2 round(s):"
                + " no difference of 3% or more in every round");

    Output ahead =
        summarize(
            rates(20000, 8000, 10000),
            rates(20000, 8000, 10400),
            rates(20000, 8000, 10000),
            rates(20000, 8000, 10500));
    assertThat(ahead.lines)
        .contains(
            "detokenize  B/A 1.04-1.05, x ceiling 1.04-1.05, 2 round(s):"
                + " B ahead by 3% or more in every round");
  }

  @Test
  void oneRoundCallsNothing() throws Exception {
    Output out =
        summarize(rates(20000, 8000, 10000), rates(20000, 6000, 10000));

    assertThat(out.lines)
        .contains(
            "tokenize    B/A 0.75-0.75, x ceiling 0.75-0.75, 1 round(s):"
                + " one round: no call, run two or more");
  }

  @Test
  void filesThatDoNotComeInPairsAreRefused() throws Exception {
    Output out = summarize(rates(20000, 8000, 10000));

    assertThat(out.status).isNotZero();
    assertThat(out.lines).containsExactly("ab: --summarize needs A and B files in pairs");
  }

  /** One run's req/s: the ceiling route, tokenize and detokenize. */
  private static int[] rates(int ceiling, int tokenize, int detokenize) {
    return new int[] {ceiling, tokenize, detokenize};
  }

  /** A results file as bench/run.sh writes it, with ceiling, tokenize and detokenize rows. */
  private Path results(int[] rates) throws IOException {
    String header =
        "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx | socket errors | × nginx |"
            + " × ceiling | load avg | CPU % vault/wrk/nginx/other | vault CPU µs/req | JIT s |"
            + " writes/commit | log sync ms | slow syncs/s | slow commits/s |"
            + " writer paused ms/s |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|"
            + "---:|---:|\n";
    String text =
        "# tokenvault HTTP load harness: 2026-11-24T08:00Z\n\n- commit: 0000000\n\n"
            + header
            + row("ceiling", rates[0], rates[0])
            + row("tokenize", rates[1], rates[0])
            + row("detokenize", rates[2], rates[0])
            + "\n- ceiling = `GET /v1/payments/{id}` of an existing payment (200).\n";
    Path file = dir.resolve("run" + (++files) + ".md");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static String row(String scenario, int rps, int ceiling) {
    return String.format(
        java.util.Locale.ROOT,
        "| %s | %d | 5.00 | 30.00 | 60.00 | 0 | 0 | n/a | %.2f | 1.00 1.00 1.00 |"
            + " 120/25/0/15 | 130 | 0.5 | 26.0 | 1.20 | 1.0 | 0.5 | 15.0 |%n",
        scenario,
        rps,
        (double) rps / ceiling);
  }

  private record Output(int status, List<String> lines) {}

  /** {@code ab.sh --summarize} over one results file per run, A and B of each round in turn. */
  private Output summarize(int[]... runs) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--summarize"));
    for (int[] run : runs) {
      command.add(results(run).toString());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Output(p.exitValue(), text.lines().toList());
  }
}
