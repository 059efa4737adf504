package dev.tokenvault.core.vault;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.value.Namespace;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Fingerprint-key custody as an operator sees it: rotate a namespace's fingerprint (HMAC) key,
 * move every token to the new version in the background, retire old versions, report. Implemented
 * inside {@link DefaultVault} (see {@link DefaultVault#fingerprintKeys()}).
 *
 * <h2>Rotation</h2>
 *
 * {@link #rotate} stores version N+1 of the namespace's fingerprint key ({@code
 * fk_v<N+1>_<namespace>}, audited {@code GenerateDataKey} and {@code RotateFingerprintKey}); from
 * then on new tokens carry {@code fp<N+1>_…} fingerprints, and deterministic tokenization computes
 * the value's fingerprint under every stored version (current first) and finds an existing token
 * under any of them. Refused ({@code fingerprint_refingerprint_incomplete}) while tokens of the
 * namespace still carry a fingerprint older than the current version, or while the job runs.
 *
 * <h2>Re-fingerprint</h2>
 *
 * The rotation starts a background job that pages through the namespace's tokens whose fingerprint
 * is of an older version, decrypts each value inside the vault, computes its fingerprint under the
 * current version and moves the token to it with a conditional write whose audit event ({@code
 * RefingerprintToken}) lands in the same transaction. Deterministic and random tokens alike: a
 * fingerprint is there to say "same value", which only holds between fingerprints of one version,
 * and an old version can only be retired once nothing carries it. Like the KEK rewrap, the job
 * keeps no state of its own: what is left is what the store answers, so a job cut short resumes at
 * the next start ({@link #resume}).
 *
 * <h2>Retire</h2>
 *
 * {@link #retire} destroys an old version's key record once no token carries a fingerprint of it
 * ({@code fingerprint_version_in_use} otherwise; never the current version).
 */
public interface FingerprintAdministration {

  /** Makes a new fingerprint-key version current in {@code namespace} and starts the job. */
  CompletionStage<Rotation> rotate(Namespace namespace, RequestContext ctx);

  /** Destroys version {@code version} of the namespace's fingerprint key once unused; audited. */
  CompletionStage<NamespaceReport> retire(Namespace namespace, int version, RequestContext ctx);

  /** Every namespace that has a fingerprint key, with its versions and the job's progress. */
  CompletionStage<List<NamespaceReport>> report();

  /** One namespace's fingerprint keys; {@code fingerprint_key_not_found} when it has none. */
  CompletionStage<NamespaceReport> report(Namespace namespace);

  /**
   * Starts the job for every namespace with more than one stored version (unless it runs already);
   * completes when every job it started or found has ended.
   */
  CompletionStage<Void> resume(RequestContext ctx);

  /** Completes when the namespace's job running now (or the latest) ends; at once if none ran. */
  CompletionStage<Progress> completion(Namespace namespace);

  /** The progress of the namespace's latest job in this process. */
  Progress progress(Namespace namespace);

  /** A rotation: the versions before and after, and the job it started. */
  record Rotation(Namespace namespace, int previousVersion, int currentVersion, Progress job) {}

  /**
   * @param namespace the namespace
   * @param currentVersion the version new fingerprints are made with
   * @param versions every stored version, ascending
   * @param tokensOnOlderVersions tokens whose fingerprint is of a version below the current one
   * @param job this process's latest re-fingerprint job of the namespace
   */
  record NamespaceReport(
      Namespace namespace,
      int currentVersion,
      List<Integer> versions,
      long tokensOnOlderVersions,
      Progress job) {}

  /**
   * @param state where the job is
   * @param moved tokens this job moved to the current version
   * @param failed tokens it could not move (their record failed authentication: audited, left as
   *     they are, and they keep their version from being retired)
   * @param errorCode why it stopped, when {@link State#FAILED} ({@code key_manager_unavailable},
   *     {@code store_unavailable})
   */
  record Progress(State state, long moved, long failed, String errorCode) {
    static final Progress IDLE = new Progress(State.IDLE, 0, 0, null);

    public enum State {
      /** No job ran for the namespace in this process yet. */
      IDLE,
      RUNNING,
      /** Finished: no token is left on an older version except those counted in {@code failed}. */
      DONE,
      /** Stopped early; {@link #resume} (or the next start) goes on from where it stopped. */
      FAILED
    }
  }
}
