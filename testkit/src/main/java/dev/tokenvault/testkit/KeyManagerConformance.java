package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link KeyManager} contract as tests: one abstract suite, one subclass per adapter, run
 * against the real backend where one can run here (a key file, SoftHSM2) and a named fake where
 * none can (AWS KMS).
 *
 * <p>A subclass says how to open a manager on the key under test ({@link #open()}, called again
 * for the "reopen" test: a new instance on the same backing key), on another key ({@link
 * #openOther()}). Adapters whose backend can be unreachable (an HSM, a KMS) extend {@link
 * KeyManagerOutageConformance} instead, which adds the outage tests; a key file cannot go down,
 * so the local manager runs this suite alone and nothing is skipped.
 */
public abstract class KeyManagerConformance {

  /** Threads in the concurrency test: more than the cores of any CI machine. */
  private static final int THREADS = 16;
  /** Generate-then-decrypt rounds per thread in the concurrency test. */
  private static final int ROUNDS_PER_THREAD = 8;

  protected static final EncryptionContext CONTEXT =
      EncryptionContext.of("tokenvault:namespace", "default", "tokenvault:key-id", "dk-1");

  private final List<KeyManager> opened = new ArrayList<>();
  protected KeyManager km;

  /** A new manager on the backing key under test. Each call is a new instance on the same key. */
  protected abstract KeyManager open() throws Exception;

  /** A manager of the same kind on a different key-encryption key. */
  protected abstract KeyManager openOther() throws Exception;

  /**
   * A manager on a new KEK of its own at version 1: the rotation and retirement tests use it, so
   * they never disturb the key of {@link #open()}.
   */
  protected abstract KeyManager openFresh() throws Exception;

  /** A new instance on the KEK that {@code manager} uses, as after a restart. */
  protected abstract KeyManager reopen(KeyManager manager) throws Exception;

  /**
   * Rotates {@code manager}'s KEK the way the vault (or, where versions are made outside the
   * vault, an operator) does; returns the manager to use afterwards.
   */
  protected KeyManager rotate(KeyManager manager) throws Exception {
    manager.rotate();
    return manager;
  }

  /** Retires a version the way the vault (or an operator) does; returns the manager to use. */
  protected KeyManager retire(KeyManager manager, int version) throws Exception {
    manager.retire(version);
    return manager;
  }

  @BeforeEach
  void openManagerUnderTest() throws Exception {
    km = track(open());
  }

  @AfterEach
  void closeManagers() {
    for (KeyManager m : opened) {
      m.close();
    }
    opened.clear();
  }

  /** Registers a manager to be closed after the test. */
  protected final KeyManager track(KeyManager manager) {
    opened.add(manager);
    return manager;
  }

  @Test
  void generatedKeyDecryptsWithTheSameContext() {
    DataKey key = km.generateDataKey(CONTEXT);

    assertThat(km.decryptDataKey(key.wrapped(), CONTEXT)).isEqualTo(key.plaintext());
  }

  @Test
  void generatedKeysAre32BytesAndWrappedUnderTheCurrentVersion() {
    DataKey key = km.generateDataKey(CONTEXT);

    assertThat(key.plaintext()).hasSize(KeyManager.DATA_KEY_BYTES);
    assertThat(key.wrapped().kekId()).isEqualTo(km.kekId());
    assertThat(key.wrapped().kekVersion()).isEqualTo(km.currentVersion());
    assertThat(km.currentVersion()).isPositive();
  }

  @Test
  void wrappedKeyDoesNotContainTheKeyInClear() {
    DataKey key = km.generateDataKey(CONTEXT);

    String wrappedHex = HexFormat.of().formatHex(key.wrapped().ciphertext());
    assertThat(wrappedHex).doesNotContain(HexFormat.of().formatHex(key.plaintext()));
    assertThat(key.toString()).doesNotContain(HexFormat.of().formatHex(key.plaintext()));
  }

  @Test
  void twoKeysDiffer() {
    DataKey a = km.generateDataKey(CONTEXT);
    DataKey b = km.generateDataKey(CONTEXT);

    assertThat(a.plaintext()).isNotEqualTo(b.plaintext());
    assertThat(a.wrapped().ciphertext()).isNotEqualTo(b.wrapped().ciphertext());
  }

  @Test
  void decryptWithAnotherContextFailsAsIntegrityFailure() {
    DataKey key = km.generateDataKey(CONTEXT);

    for (EncryptionContext wrong :
        List.of(
            EncryptionContext.of("tokenvault:namespace", "other", "tokenvault:key-id", "dk-1"),
            EncryptionContext.of("tokenvault:namespace", "default", "tokenvault:key-id", "dk-2"),
            EncryptionContext.of("tokenvault:namespace", "default"),
            EncryptionContext.of(
                "tokenvault:namespace", "default", "tokenvault:key-id", "dk-1", "extra", "x"),
            EncryptionContext.of())) {
      assertThatThrownBy(() -> km.decryptDataKey(key.wrapped(), wrong))
          .as("context %s", wrong)
          .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    }
  }

  @Test
  void everyTamperedCiphertextByteFailsAsIntegrityFailure() {
    WrappedKey wrapped = km.generateDataKey(CONTEXT).wrapped();
    byte[] ciphertext = wrapped.ciphertext();

    for (int i = 0; i < ciphertext.length; i++) {
      byte[] tampered = ciphertext.clone();
      tampered[i] ^= 0x01;
      WrappedKey bad = new WrappedKey(wrapped.kekId(), wrapped.kekVersion(), tampered);
      assertThatThrownBy(() -> km.decryptDataKey(bad, CONTEXT))
          .as("byte %d flipped", i)
          .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    }
  }

  @Test
  void truncatedOrExtendedCiphertextFailsAsIntegrityFailure() {
    WrappedKey wrapped = km.generateDataKey(CONTEXT).wrapped();
    byte[] ciphertext = wrapped.ciphertext();

    for (byte[] bad :
        List.of(
            new byte[0],
            Arrays.copyOf(ciphertext, 1),
            Arrays.copyOf(ciphertext, ciphertext.length - 1),
            Arrays.copyOf(ciphertext, ciphertext.length + 1))) {
      WrappedKey w = new WrappedKey(wrapped.kekId(), wrapped.kekVersion(), bad);
      assertThatThrownBy(() -> km.decryptDataKey(w, CONTEXT))
          .as("%d bytes", bad.length)
          .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    }
  }

  @Test
  void wrongKekIdOrUnknownVersionFailsAsIntegrityFailure() {
    WrappedKey wrapped = km.generateDataKey(CONTEXT).wrapped();

    for (WrappedKey bad :
        List.of(
            new WrappedKey(wrapped.kekId() + "x", wrapped.kekVersion(), wrapped.ciphertext()),
            new WrappedKey("", wrapped.kekVersion(), wrapped.ciphertext()),
            new WrappedKey(wrapped.kekId(), wrapped.kekVersion() + 1000, wrapped.ciphertext()),
            new WrappedKey(wrapped.kekId(), 0, wrapped.ciphertext()),
            new WrappedKey(wrapped.kekId(), -1, wrapped.ciphertext()))) {
      assertThatThrownBy(() -> km.decryptDataKey(bad, CONTEXT))
          .as("%s", bad)
          .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    }
  }

  @Test
  void keyWrappedByAnotherKekFailsAsIntegrityFailure() throws Exception {
    KeyManager other = track(openOther());
    assertThat(other.kekId()).isNotEqualTo(km.kekId());
    WrappedKey foreign = other.generateDataKey(CONTEXT).wrapped();

    assertThatThrownBy(() -> km.decryptDataKey(foreign, CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    // The same bytes relabelled as ours: now it is the cryptography that must refuse them.
    WrappedKey relabelled = new WrappedKey(km.kekId(), km.currentVersion(), foreign.ciphertext());
    assertThatThrownBy(() -> km.decryptDataKey(relabelled, CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void newInstanceOnTheSameKeyDecryptsWhatTheOldOneWrapped() throws Exception {
    DataKey key = km.generateDataKey(CONTEXT);

    KeyManager reopened = track(open());

    assertThat(reopened.kekId()).isEqualTo(km.kekId());
    assertThat(reopened.currentVersion()).isEqualTo(km.currentVersion());
    assertThat(reopened.decryptDataKey(key.wrapped(), CONTEXT)).isEqualTo(key.plaintext());
    DataKey second = reopened.generateDataKey(CONTEXT);
    assertThat(km.decryptDataKey(second.wrapped(), CONTEXT)).isEqualTo(second.plaintext());
  }

  @Test
  void rotationMakesANewCurrentVersionAndEarlierKeysStayReadable() throws Exception {
    KeyManager fresh = track(openFresh());
    int before = fresh.currentVersion();
    DataKey old = fresh.generateDataKey(CONTEXT);

    KeyManager rotated = track(rotate(fresh));

    assertThat(rotated.kekId()).isEqualTo(fresh.kekId());
    assertThat(rotated.currentVersion()).isEqualTo(before + 1);
    assertThat(rotated.versions()).contains(before, before + 1);
    assertThat(rotated.decryptDataKey(old.wrapped(), CONTEXT)).isEqualTo(old.plaintext());
    DataKey fresher = rotated.generateDataKey(CONTEXT);
    assertThat(fresher.wrapped().kekVersion()).isEqualTo(before + 1);
    KeyManager restarted = track(reopen(rotated));
    assertThat(restarted.currentVersion()).isEqualTo(before + 1);
    assertThat(restarted.decryptDataKey(old.wrapped(), CONTEXT)).isEqualTo(old.plaintext());
    assertThat(restarted.decryptDataKey(fresher.wrapped(), CONTEXT)).isEqualTo(fresher.plaintext());
  }

  @Test
  void rewrapMovesAKeyToTheCurrentVersionUnderTheSameContext() throws Exception {
    KeyManager fresh = track(openFresh());
    DataKey old = fresh.generateDataKey(CONTEXT);
    KeyManager rotated = track(rotate(fresh));

    WrappedKey rewrapped = rotated.rewrap(old.wrapped(), CONTEXT);

    assertThat(rewrapped.kekId()).isEqualTo(rotated.kekId());
    assertThat(rewrapped.kekVersion()).isEqualTo(rotated.currentVersion());
    assertThat(rewrapped.ciphertext()).isNotEqualTo(old.wrapped().ciphertext());
    assertThat(rotated.decryptDataKey(rewrapped, CONTEXT)).isEqualTo(old.plaintext());
    EncryptionContext other =
        EncryptionContext.of("tokenvault:namespace", "default", "tokenvault:key-id", "dk-2");
    assertThatThrownBy(() -> rotated.decryptDataKey(rewrapped, other))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void rewrapWithAnotherContextOrTamperedBytesFailsAsIntegrityFailure() throws Exception {
    KeyManager fresh = track(openFresh());
    WrappedKey old = fresh.generateDataKey(CONTEXT).wrapped();
    KeyManager rotated = track(rotate(fresh));
    byte[] tampered = old.ciphertext();
    tampered[tampered.length - 1] ^= 0x01;

    assertThatThrownBy(
            () ->
                rotated.rewrap(
                    old,
                    EncryptionContext.of(
                        "tokenvault:namespace", "other", "tokenvault:key-id", "dk-1")))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThatThrownBy(
            () -> rotated.rewrap(new WrappedKey(old.kekId(), old.kekVersion(), tampered), CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThatThrownBy(
            () -> rotated.rewrap(new WrappedKey(old.kekId(), 1000, old.ciphertext()), CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void retiringTheCurrentVersionIsRefused() throws Exception {
    KeyManager fresh = track(openFresh());
    DataKey key = fresh.generateDataKey(CONTEXT);

    assertThatThrownBy(() -> fresh.retire(fresh.currentVersion()))
        .isInstanceOf(IllegalStateException.class);
    assertThat(fresh.decryptDataKey(key.wrapped(), CONTEXT)).isEqualTo(key.plaintext());
    assertThat(track(reopen(fresh)).decryptDataKey(key.wrapped(), CONTEXT))
        .isEqualTo(key.plaintext());
  }

  @Test
  void aRetiredVersionNoLongerDecryptsEvenAfterARestart() throws Exception {
    KeyManager fresh = track(openFresh());
    int first = fresh.currentVersion();
    DataKey old = fresh.generateDataKey(CONTEXT);
    KeyManager rotated = track(rotate(fresh));
    WrappedKey rewrapped = rotated.rewrap(old.wrapped(), CONTEXT);

    KeyManager retired = track(retire(rotated, first));

    assertThat(retired.versions()).doesNotContain(first).contains(retired.currentVersion());
    assertThatThrownBy(() -> retired.decryptDataKey(old.wrapped(), CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThat(retired.decryptDataKey(rewrapped, CONTEXT)).isEqualTo(old.plaintext());
    KeyManager restarted = track(reopen(retired));
    assertThat(restarted.versions()).doesNotContain(first);
    assertThatThrownBy(() -> restarted.decryptDataKey(old.wrapped(), CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThat(restarted.decryptDataKey(rewrapped, CONTEXT)).isEqualTo(old.plaintext());
    DataKey next = restarted.generateDataKey(CONTEXT);
    assertThat(restarted.decryptDataKey(next.wrapped(), CONTEXT)).isEqualTo(next.plaintext());
  }

  @Test
  void concurrentUseFromManyThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<List<byte[]>>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        EncryptionContext context = EncryptionContext.of("tokenvault:namespace", "ns-" + t);
        Callable<List<byte[]>> work =
            () -> {
              start.await();
              List<byte[]> keys = new ArrayList<>();
              for (int r = 0; r < ROUNDS_PER_THREAD; r++) {
                DataKey key = km.generateDataKey(context);
                assertThat(km.decryptDataKey(key.wrapped(), context)).isEqualTo(key.plaintext());
                keys.add(key.plaintext());
              }
              return keys;
            };
        results.add(pool.submit(work));
      }
      start.countDown();
      Set<String> distinct = new HashSet<>();
      for (Future<List<byte[]>> f : results) {
        for (byte[] key : f.get(5, TimeUnit.MINUTES)) {
          distinct.add(HexFormat.of().formatHex(key));
        }
      }
      assertThat(distinct).hasSize(THREADS * ROUNDS_PER_THREAD);
    } finally {
      pool.shutdownNow();
    }
  }
}
