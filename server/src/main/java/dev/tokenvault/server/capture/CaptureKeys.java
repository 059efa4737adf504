package dev.tokenvault.server.capture;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.vault.Vault;
import dev.tokenvault.core.vault.VaultKeyPair;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The capture keys in force ({@link CaptureKeySet}), from the vault's own key pairs.
 *
 * <p>The current month's pairs are created on first use; the previous month's are only looked up
 * ({@code findVaultKeyPair}), never created. The set is kept for {@link #REFRESH} so that a
 * request costs no store read; the key pairs themselves are cached by the vault's key ring.
 */
@ApplicationScoped
public class CaptureKeys {
  /**
   * How long a computed key set is reused. Short, so that a previous-month key another node
   * created late (its clock behind ours at the month boundary) is found within a minute.
   */
  static final Duration REFRESH = Duration.ofMinutes(1);

  @Inject Vault vault;
  @Inject Clock clock;

  private record Cached(CaptureKeySet set, Instant loadedAt) {}

  private volatile CompletableFuture<Cached> cached;

  /** The key set in force now. {@code ctx} is the audit context of any key-manager call made. */
  public CompletionStage<CaptureKeySet> current(RequestContext ctx) {
    Instant now = clock.instant();
    YearMonth month = CaptureKeyIds.month(clock);
    CompletableFuture<Cached> c = cached;
    if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
      Cached v = c.join();
      if (v.set().month().equals(month) && v.loadedAt().plus(REFRESH).isAfter(now)) {
        return CompletableFuture.completedFuture(v.set());
      }
    }
    CompletableFuture<Cached> f = load(month, ctx).thenApply(s -> new Cached(s, now))
        .toCompletableFuture();
    cached = f;
    return f.thenApply(Cached::set);
  }

  private CompletionStage<CaptureKeySet> load(YearMonth month, RequestContext ctx) {
    YearMonth prev = month.minusMonths(1);
    CompletableFuture<VaultKeyPair> sig = vault.vaultKeyPair(
        KeyPurpose.SIGNING, CaptureKeyIds.signing(month), ctx).toCompletableFuture();
    CompletableFuture<VaultKeyPair> enc = vault.vaultKeyPair(
        KeyPurpose.CAPTURE_ENCRYPTION, CaptureKeyIds.encryption(month), ctx).toCompletableFuture();
    CompletableFuture<Optional<VaultKeyPair>> prevSig = vault.findVaultKeyPair(
        KeyPurpose.SIGNING, CaptureKeyIds.signing(prev), ctx).toCompletableFuture();
    CompletableFuture<Optional<VaultKeyPair>> prevEnc = vault.findVaultKeyPair(
        KeyPurpose.CAPTURE_ENCRYPTION, CaptureKeyIds.encryption(prev), ctx).toCompletableFuture();
    return CompletableFuture.allOf(sig, enc, prevSig, prevEnc).thenApply(v ->
        new CaptureKeySet(month, sig.join(), prevSig.join(), enc.join(), prevEnc.join()));
  }
}
