package dev.tokenvault.server.wiring;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.keys.WrappedKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The seal of a local key file sealed under M-of-N key shares (PCI DSS 3.7.6 split knowledge).
 *
 * <p>While sealed, the vault runs without its key manager: {@link #keyManager()} is a stand-in
 * whose every call is {@link KeyManagerException.Unavailable}, readiness is down, and the key
 * routes answer 503 {@code vault_sealed} ({@code SealedFilter}). Shares arrive one per custodian
 * through {@code POST /v1/unseal} (or all at once from {@code TOKENVAULT_UNSEAL_SHARES} at
 * start); they are held only in memory, only until the threshold is reached, and then
 * overwritten. When the given shares do not unseal the file (one is wrong or altered: Shamir
 * cannot tell which), every collected share is dropped and the custodians start over: the vault
 * fails closed, never half-unsealed.
 *
 * <h2>Rate limit</h2>
 *
 * Shares are 256-bit random values, so guessing is hopeless; the limit keeps a caller from
 * flooding the audit trail or wiping honest custodians' progress: after {@link #MAX_FAILURES}
 * refused attempts in a row, unseal calls are refused for {@link #LOCKOUT}.
 */
public final class KeySeal {
  /** Refused unseal attempts in a row before a lockout. */
  static final int MAX_FAILURES = 5;
  /** How long unseal calls are refused after {@link #MAX_FAILURES}. */
  static final Duration LOCKOUT = Duration.ofMinutes(1);

  private static final Logger LOG = Logger.getLogger(KeySeal.class);

  private final Path dataDir;
  private final Clock clock;
  private final int threshold;
  private final SealedKeyManager stand = new SealedKeyManager();
  private final List<String> shares = new ArrayList<>();
  private Consumer<KeyManager> onUnseal = km -> {};
  private int failures;
  private Instant lockedUntil = Instant.MIN;

  /** What an unseal call achieved. */
  public enum Outcome {
    /** Share accepted, more needed. */
    ACCEPTED,
    /** The threshold was reached and the key file opened. */
    UNSEALED,
    /** Already unsealed: the share was not needed (and not kept). */
    ALREADY_UNSEALED,
    /** The share is malformed or of another share set. */
    INVALID_SHARE,
    /** The shares reached the threshold but do not unseal the file: all were dropped. */
    FAILED,
    /** Too many refused attempts: try again later. */
    LOCKED_OUT
  }

  public record Status(boolean sealed, int sharesReceived, int threshold) {}

  KeySeal(Path dataDir, Clock clock) {
    this.dataDir = dataDir;
    this.clock = clock;
    this.threshold = LocalKeyManager.shareThreshold(dataDir);
  }

  /** The key manager the vault is built on: a stand-in until unsealed, then the real one. */
  KeyManager keyManager() {
    return stand;
  }

  void onUnseal(Consumer<KeyManager> action) {
    this.onUnseal = action;
  }

  public boolean sealed() {
    return stand.delegate == null;
  }

  public synchronized Status status() {
    return new Status(sealed(), shares.size(), threshold);
  }

  public Instant lockedUntil() {
    synchronized (this) {
      return lockedUntil;
    }
  }

  /** Adds one share; unseals when enough are held. Never logs a share. */
  public Outcome offer(String share) {
    KeyManager opened;
    synchronized (this) {
      if (!sealed()) {
        return Outcome.ALREADY_UNSEALED;
      }
      if (clock.instant().isBefore(lockedUntil)) {
        return Outcome.LOCKED_OUT;
      }
      if (!LocalKeyManager.isWellFormedShare(dataDir, share)) {
        return refused(Outcome.INVALID_SHARE);
      }
      if (!shares.contains(share)) {
        shares.add(share);
      }
      if (shares.size() < threshold) {
        return Outcome.ACCEPTED;
      }
      try {
        opened = LocalKeyManager.openWithShares(dataDir, shares, clock);
      } catch (IllegalStateException e) {
        shares.clear();
        LOG.warn("the key shares given do not unseal the local key file: all were dropped");
        return refused(Outcome.FAILED);
      } finally {
        shares.clear();
      }
      failures = 0;
      stand.delegate = opened;
    }
    LOG.infof("the vault is unsealed (%d-of-N key shares)", threshold);
    onUnseal.accept(opened);
    return Outcome.UNSEALED;
  }

  private Outcome refused(Outcome outcome) {
    failures++;
    if (failures >= MAX_FAILURES) {
      failures = 0;
      lockedUntil = clock.instant().plus(LOCKOUT);
      LOG.warnf("%d refused unseal attempts: unseal calls refused for %s", MAX_FAILURES, LOCKOUT);
    }
    return outcome;
  }

  void close() {
    KeyManager d = stand.delegate;
    if (d != null) {
      d.close();
    }
  }

  /** Delegates once unsealed; until then every call is unavailable. */
  static final class SealedKeyManager implements KeyManager {
    volatile KeyManager delegate;

    private KeyManager delegate() {
      KeyManager d = delegate;
      if (d == null) {
        throw new KeyManagerException.Unavailable("the vault is sealed", null);
      }
      return d;
    }

    @Override
    public String kekId() {
      return delegate().kekId();
    }

    @Override
    public int currentVersion() {
      return delegate().currentVersion();
    }

    @Override
    public SortedSet<Integer> versions() {
      return delegate().versions();
    }

    @Override
    public int rotate() {
      return delegate().rotate();
    }

    @Override
    public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
      return delegate().rewrap(wrapped, context);
    }

    @Override
    public void retire(int version) {
      delegate().retire(version);
    }

    @Override
    public DataKey generateDataKey(EncryptionContext context) {
      return delegate().generateDataKey(context);
    }

    @Override
    public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
      return delegate().decryptDataKey(wrapped, context);
    }

    @Override
    public String toString() {
      KeyManager d = delegate;
      return d == null ? "SealedKeyManager[sealed]" : d.toString();
    }
  }
}
