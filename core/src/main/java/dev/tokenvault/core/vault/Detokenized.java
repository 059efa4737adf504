package dev.tokenvault.core.vault;

import dev.tokenvault.core.value.SensitiveValue;

/** A detokenization's answer: the token's metadata and the value. Never log this object's value. */
public record Detokenized(TokenMetadata token, SensitiveValue value) {}
