package dev.tokenvault.bench;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.payment.SimulatedAcquirer;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Luhn;
import dev.tokenvault.core.value.Pan;
import dev.tokenvault.core.vault.DefaultVault;
import dev.tokenvault.core.vault.KeyRingSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;

/** Shared set-up of the benchmarks: a vault on a temp data dir, synthetic test PANs. */
final class VaultFixture {
  private VaultFixture() {}

  static final RequestContext CTX =
      new RequestContext("bench", "bench", List.of(), "127.0.0.1", "jmh", null, "bench");

  static Path tempDir() {
    try {
      return Files.createTempDirectory("tokenvault-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static KeyManager localKeys(Path dir) {
    return LocalKeyManager.open(dir, null, Clock.systemUTC());
  }

  static DefaultVault vault(
      KeyManager keys, TokenStore store, PaymentStore payments, KeyRingSettings settings) {
    return DefaultVault.builder()
        .keyManager(keys)
        .tokenStore(store)
        .paymentStore(payments)
        .paymentProcessor(new SimulatedAcquirer())
        .keyRingSettings(settings)
        .build();
  }

  /**
   * {@code n} distinct Luhn-valid 16-digit PANs in the Visa test range {@code 400000...}: made up,
   * never real cards.
   */
  static Pan[] syntheticPans(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Pan[] pans = new Pan[n];
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder("400000");
      long body = random.nextLong(1_000_000_000L);
      sb.append(String.format("%09d", body));
      sb.append(Luhn.checkDigit(sb));
      pans[i] = Pan.parse(sb);
    }
    return pans;
  }
}
