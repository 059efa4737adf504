package dev.tokenvault.core.store;

/**
 * The outcome of a deterministic insert: the record that is now the namespace's token for the
 * fingerprint, and whether this call created it ({@code false}: an existing one was returned).
 */
public record InsertResult(TokenRecord record, boolean created) {}
