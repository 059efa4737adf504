package dev.tokenvault.server.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped alert rules ({@code deploy/prometheus/alerts.yml}) are valid and behave as their
 * unit tests ({@code alerts.test.yml}) say: each alert fires on its synthetic pattern and none
 * fires on normal load. Runs Prometheus' own {@code promtool} (Debian package {@code prometheus},
 * installed by {@code .ci/run}); a missing promtool fails the test, it never skips.
 */
class PrometheusRulesTest {
  private static final Path RULES = Path.of("..", "deploy", "prometheus").toAbsolutePath().normalize();

  private static String promtool(String... args) throws Exception {
    Path bin = Path.of("/usr/bin/promtool");
    assertThat(bin).as("promtool (apt-get install prometheus; .ci/run installs it)").exists();
    List<String> cmd = new java.util.ArrayList<>(List.of(bin.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(RULES.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void rulesAreValid() throws Exception {
    assertThat(Files.exists(RULES.resolve("alerts.yml"))).isTrue();
    assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS: 9 rules found");
  }

  @Test
  void everyAlertFiresOnItsPatternAndNoneOnNormalLoad() throws Exception {
    assertThat(promtool("test", "rules", "alerts.test.yml")).contains("SUCCESS");
  }
}
