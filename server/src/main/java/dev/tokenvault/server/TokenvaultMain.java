package dev.tokenvault.server;

import dev.tokenvault.server.bootstrap.Bootstrap;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.time.Clock;

/**
 * Entry point: prepares the data directory (certificates, dev issuer) before Quarkus starts its
 * HTTPS listener, which needs the certificate at start, then runs the application.
 */
@QuarkusMain
public final class TokenvaultMain {
  private TokenvaultMain() {}

  /** What the bootstrap did, for {@link StartupLog} to report once logging is configured. */
  static volatile Bootstrap.Result bootstrap;

  public static void main(String... args) {
    if (args.length > 0 && args[0].equals("audit")) {
      // offline audit tools (./tokenvault audit ...): no HTTP listener, no Quarkus start
      dev.tokenvault.server.cli.AuditCli.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    bootstrap = Bootstrap.run(Clock.systemUTC());
    Quarkus.run(args);
  }
}
