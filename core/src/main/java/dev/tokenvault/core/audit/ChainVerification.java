package dev.tokenvault.core.audit;

/**
 * The result of walking an audit chain.
 *
 * @param intact true when every event links to the one before and hashes correctly
 * @param eventsChecked how many events were read
 * @param headHash the hash of the last event read ({@link AuditEvent#GENESIS} if none)
 * @param brokenAtSequence the sequence number of the first event that does not verify, or -1
 * @param reason why that event breaks the chain ({@code hash_mismatch}, {@code link_mismatch},
 *     {@code sequence_out_of_order}), or null
 */
public record ChainVerification(
    boolean intact, long eventsChecked, String headHash, long brokenAtSequence, String reason) {}
