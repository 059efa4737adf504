package dev.tokenvault.server.it;

import java.util.Map;

/** {@link TransportPolicyIT}'s checks with {@code tokenvault.tls.engine=jdk}: the JDK's TLS. */
class TransportPolicyJdkEngineIT extends TransportPolicyIT {
  @Override
  Map<String, String> engineSetting() {
    return Map.of("tokenvault.tls.engine", "jdk");
  }

  @Override
  String engineLogLine() {
    return "HTTPS uses the JDK's TLS (tokenvault.tls.engine=jdk)";
  }
}
