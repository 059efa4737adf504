package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyManagerConformance} plus the outage contract, for adapters whose backend can be
 * unreachable (an HSM, a KMS): an outage is {@link KeyManagerException.Unavailable}, never an
 * integrity failure, and the manager recovers by itself when the backend returns.
 */
public abstract class KeyManagerOutageConformance extends KeyManagerConformance {

  /**
   * Makes the backend unreachable for {@code manager}, as an outage would: at least its next
   * call must fail. A backend may come back by itself after that one failure (an HSM that
   * dropped its login, re-established by the adapter) or only at {@link #endOutage}.
   */
  protected abstract void startOutage(KeyManager manager) throws Exception;

  /** Ends the outage started by {@link #startOutage}. */
  protected abstract void endOutage(KeyManager manager) throws Exception;

  @Test
  void outageIsUnavailableNeverIntegrityFailureAndTheManagerRecovers() throws Exception {
    DataKey before = km.generateDataKey(CONTEXT);

    startOutage(km);
    assertThatThrownBy(() -> km.generateDataKey(CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class);
    endOutage(km);
    DataKey during = km.generateDataKey(CONTEXT);
    assertThat(km.decryptDataKey(during.wrapped(), CONTEXT)).isEqualTo(during.plaintext());

    startOutage(km);
    assertThatThrownBy(() -> km.decryptDataKey(before.wrapped(), CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class);
    endOutage(km);
    assertThat(km.decryptDataKey(before.wrapped(), CONTEXT)).isEqualTo(before.plaintext());
  }

  @Test
  void outageDuringDecryptOfATamperedKeyIsStillUnavailable() throws Exception {
    WrappedKey wrapped = km.generateDataKey(CONTEXT).wrapped();
    byte[] tampered = wrapped.ciphertext();
    tampered[tampered.length - 1] ^= 0x01;
    WrappedKey bad = new WrappedKey(wrapped.kekId(), wrapped.kekVersion(), tampered);

    startOutage(km);
    // While the backend is down nobody can tell a bad key from a good one: say "unavailable".
    assertThatThrownBy(() -> km.decryptDataKey(bad, CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class);
    endOutage(km);
    assertThatThrownBy(() -> km.decryptDataKey(bad, CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }
}
