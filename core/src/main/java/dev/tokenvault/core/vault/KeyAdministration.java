package dev.tokenvault.core.vault;

import dev.tokenvault.core.audit.RequestContext;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Key-encryption-key custody as an operator sees it: rotate the KEK, rewrap data keys in the
 * background, retire old versions, report. Implemented inside {@link DefaultVault} (see {@link
 * DefaultVault#keyAdministration()}), over the same key manager and store as the vault.
 *
 * <h2>Rotation and rewrap</h2>
 *
 * {@link #rotate} makes a new KEK version current (audited {@code RotateKey}) and starts a
 * <em>rewrap</em>: every stored data key of every purpose (record keys, fingerprint keys, and
 * any purpose added later) wrapped under an older version is re-wrapped under the current one
 * through {@code KeyManager.rewrap}, and stored with a conditional write whose audit event
 * ({@code RewrapDataKey}) lands in the same transaction. No record is ever decrypted: records are
 * encrypted under data keys, which do not change, only their wrapping does.
 *
 * <h2>Resumable by construction</h2>
 *
 * A rewrap keeps no job state of its own: what is left to do is exactly the set of data keys
 * still wrapped under an older version, which the store answers. A rewrap cut short (the process
 * killed, the vault closed, the key manager unavailable) therefore resumes with {@link
 * #resumeRewrap} (which {@link DefaultVault} calls at start) and finishes; a key rewrapped twice
 * by two processes is written once (the write is conditional on the old wrapping).
 *
 * <h2>Retire</h2>
 *
 * {@link #retire} destroys an old KEK version through the key manager, refused while the store
 * still holds any data key wrapped under it ({@code kek_version_in_use}) and for the current
 * version ({@code kek_version_current}).
 */
public interface KeyAdministration {

  /** Makes a new KEK version current and starts the rewrap; audited. */
  CompletionStage<Rotation> rotate(RequestContext ctx);

  /** Destroys KEK version {@code version} if no data key is wrapped under it any more; audited. */
  CompletionStage<KeyReport> retire(int version, RequestContext ctx);

  /** The KEK, its versions with the data keys wrapped under each, and the rewrap's progress. */
  CompletionStage<KeyReport> report();

  /** Starts a rewrap unless one is running; completes when that rewrap ends. */
  CompletionStage<RewrapProgress> resumeRewrap(RequestContext ctx);

  /**
   * Completes when the rewrap running now (or the latest one) ends, without starting one; at once
   * if none ran.
   */
  CompletionStage<RewrapProgress> rewrapCompletion();

  /** The progress of the latest rewrap in this process. */
  RewrapProgress rewrapProgress();

  /** A rotation: the versions before and after, and the rewrap it started. */
  record Rotation(String kekId, int previousVersion, int currentVersion, RewrapProgress rewrap) {}

  /**
   * @param kekId the key manager's KEK id
   * @param currentVersion the version new data keys are wrapped under
   * @param versions every version the key manager holds or the store still references, ascending
   * @param rewrap this process's latest rewrap
   */
  record KeyReport(
      String kekId, int currentVersion, List<VersionReport> versions, RewrapProgress rewrap) {}

  /**
   * @param version a KEK version
   * @param held whether the key manager holds it (false: retired, or unknown to it)
   * @param dataKeys stored data keys wrapped under it
   */
  record VersionReport(int version, boolean held, long dataKeys) {}

  /**
   * @param state where the rewrap is
   * @param rewrapped data keys this rewrap moved to the current version
   * @param failed data keys it could not rewrap (an integrity failure: audited, left as they are,
   *     and they keep their version from being retired)
   * @param errorCode why it stopped, when {@link State#FAILED} ({@code key_manager_unavailable},
   *     {@code store_unavailable})
   */
  record RewrapProgress(State state, long rewrapped, long failed, String errorCode) {
    public enum State {
      /** No rewrap ran in this process yet. */
      IDLE,
      RUNNING,
      /** Finished: nothing is left under an older version except keys counted in {@code failed}. */
      DONE,
      /** Stopped early; {@link #resumeRewrap} (or the next start) goes on from where it stopped. */
      FAILED
    }
  }
}
