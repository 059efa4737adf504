package dev.tokenvault.core.audit;

/**
 * The result of {@link AuditVerifier}: the hash chain and the signed checkpoints, together.
 *
 * @param valid true when every event links and hashes correctly and every checkpoint verifies
 * @param eventsChecked events read
 * @param headSequence sequence of the last event read (0 if none)
 * @param headHash hash of the last event read ({@link AuditEvent#GENESIS} if none)
 * @param checkpointsChecked signed checkpoints whose signature and head were checked (those in the
 *     chain and those given from outside)
 * @param brokenAtSequence the first sequence where something is wrong, or -1; for a truncated log,
 *     the signed head sequence that the log no longer reaches
 * @param reason {@code hash_mismatch}, {@code link_mismatch}, {@code sequence_out_of_order},
 *     {@code checkpoint_signature_invalid}, {@code checkpoint_malformed}, {@code
 *     checkpoint_key_unknown}, {@code checkpoint_mismatch} (the chain differs from what was
 *     signed), {@code truncated} (the log ends before a signed head), or null
 * @param lastCheckpoint the newest valid checkpoint seen, or null
 */
public record AuditVerification(
    boolean valid,
    long eventsChecked,
    long headSequence,
    String headHash,
    long checkpointsChecked,
    long brokenAtSequence,
    String reason,
    AuditCheckpoint lastCheckpoint) {}
