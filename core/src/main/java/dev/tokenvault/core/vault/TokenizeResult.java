package dev.tokenvault.core.vault;

/**
 * A tokenization's answer: the token's metadata and whether this call created it ({@code false}
 * only in deterministic mode, when the value already had a token).
 */
public record TokenizeResult(TokenMetadata token, boolean created) {}
