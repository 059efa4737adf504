package dev.tokenvault.server;

import dev.tokenvault.server.auth.DevIssuer;
import dev.tokenvault.server.auth.TokenVerifier;
import dev.tokenvault.server.bootstrap.Bootstrap;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/** Says at start what the bootstrap did and, loudly, when development-only features are on. */
@ApplicationScoped
public class StartupLog {
  private static final Logger LOG = Logger.getLogger("tokenvault");

  @Inject DevIssuer devIssuer;
  @Inject TokenVerifier verifier;

  void onStart(@Observes StartupEvent ev) {
    Bootstrap.Result b = TokenvaultMain.bootstrap;
    if (b != null) {
      b.notes().forEach(LOG::info);
      if (b.devPki()) {
        LOG.warnf("TLS uses the development certificates in %s (trust tls/ca.pem);"
            + " set tokenvault.tls.cert and tokenvault.tls.key in production", b.dataDir().resolve("tls"));
      }
    }
    if (devIssuer.enabled()) {
      // self-check: the resource server must accept the dev issuer's tokens (also loads the key
      // here, on the main thread, rather than on the event loop at the first request)
      verifier.verify(devIssuer.selfCheckToken());
      LOG.warn("\n*** The dev issuer is ON: /oauth2/token issues access tokens to the demo clients"
          + " in dev-clients.json.\n*** Development only: set tokenvault.auth.issuer (with"
          + " tokenvault.auth.jwks-uri or tokenvault.auth.public-key) to turn it off. ***");
    }
  }
}
