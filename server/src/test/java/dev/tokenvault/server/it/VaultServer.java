package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real server: the packaged fast-jar started as a child process over HTTPS on a free port
 * with its own data directory; stdout and stderr go to a log file that tests can scan.
 */
final class VaultServer implements AutoCloseable {
  /** How long a start may take before the test gives up (a generous bound, not a measurement). */
  private static final long START_LIMIT_MILLIS = 120_000;

  final Path dataDir;
  final Path log;
  final int port;
  private final Map<String, String> props;
  /**
   * Extra environment variables of the child process (a PKCS#11 PIN, AWS credentials,
   * SOFTHSM2_CONF): set on the process only, never on its command line and never printed.
   */
  private final Map<String, String> env;
  private Process process;
  private Http http;
  private Path trustedCa;

  private VaultServer(
      Path dataDir, Path log, int port, Map<String, String> props, Map<String, String> env) {
    this.dataDir = dataDir;
    this.log = log;
    this.port = port;
    this.props = props;
    this.env = env;
  }

  /** A server with a fresh data directory under target/it. */
  static VaultServer fresh(String name, Map<String, String> props) {
    return fresh(name, props, Map.of());
  }

  /**
   * A server with a fresh data directory under target/it, and {@code env} added to the child's
   * environment (for secrets that must not be system properties: they would show in {@code ps}).
   */
  static VaultServer fresh(String name, Map<String, String> props, Map<String, String> env) {
    Path base = Path.of(System.getProperty("tokenvault.it.dir", "target/it"))
        .resolve(name + "-" + UUID.randomUUID().toString().substring(0, 8));
    try {
      Files.createDirectories(base);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new VaultServer(
        base.resolve("data"), base.resolve("server.log"), freePort(), props, Map.copyOf(env));
  }

  /** Starts a server whose certificate comes from {@code caPem}'s CA, not the dev CA. */
  VaultServer startTrusting(Path caPem) {
    this.trustedCa = caPem;
    return start();
  }

  VaultServer start() {
    String jar = System.getProperty("tokenvault.server.jar", "target/quarkus-app/quarkus-run.jar");
    assertThat(Path.of(jar)).as("packaged server jar").exists();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dtokenvault.data-dir=" + dataDir);
    cmd.add("-Dtokenvault.port=" + port);
    props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-jar");
    cmd.add(jar);
    try {
      ProcessBuilder builder = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady("/health/ready");
    return this;
  }

  /** Starts a server that is expected to stay unready (sealed): waits for liveness only. */
  VaultServer startLive() {
    livenessOnly = true;
    try {
      return start();
    } finally {
      livenessOnly = false;
    }
  }

  /** The same data directory, log and port, with {@code more} added to the environment. */
  VaultServer withEnv(Map<String, String> more) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.putAll(more);
    return new VaultServer(dataDir, log, port, props, Map.copyOf(all));
  }

  /** Starts the server expecting it to fail its start; returns its exit status. */
  int startExpectingFailure() {
    try {
      start();
    } catch (AssertionError expected) {
      // the start failed: fall through to the exit status
    }
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the server neither started nor exited; see " + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return process.exitValue();
  }

  private boolean livenessOnly;

  private void awaitReady(String readyPath) {
    if (livenessOnly) {
      readyPath = "/health/live";
    }
    long deadline = System.currentTimeMillis() + START_LIMIT_MILLIS;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the server exited with " + process.exitValue() + "; see " + log);
      }
      if (Files.exists(dataDir.resolve("tls").resolve("ca.pem")) || props.containsKey("tokenvault.tls.cert")) {
        try {
          HttpResponse<String> r = http().get(readyPath, null);
          if (r.statusCode() == 200) {
            return;
          }
        } catch (RuntimeException e) {
          // not listening yet
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    throw new AssertionError("the server did not become ready; see " + log);
  }

  Http http() {
    if (http == null) {
      Path tls = dataDir.resolve("tls");
      http = trustedCa != null ? new Http("https://localhost:" + port, trustedCa)
          : "need".equals(props.get("tokenvault.tls.client-auth"))
          ? new Http("https://localhost:" + port, Http.withClientCertificate(tls))
          : new Http("https://localhost:" + port, tls.resolve("ca.pem"));
    }
    return http;
  }

  void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    http = null;
  }

  /**
   * Kills the vault process with SIGKILL ({@link Process#destroyForcibly()} on Linux): no
   * shutdown hook, no checkpoint, no graceful close of the store; waits until it is gone.
   */
  void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          throw new AssertionError("the vault process did not die after SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    http = null;
  }

  /** The exit status of the last process (137 after SIGKILL), or -1 while it runs. */
  int exitValue() {
    return process == null || process.isAlive() ? -1 : process.exitValue();
  }

  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stop();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
