package dev.tokenvault.core.vault;

import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import java.time.Instant;
import java.util.Map;

/** What may be told about a token without the value: the API's token representation. */
public record TokenMetadata(
    Token token,
    Namespace namespace,
    ValueType type,
    String last4,
    String bin,
    String scheme,
    String fingerprint,
    Instant createdAt,
    Instant expiresAt,
    Map<String, String> metadata) {

  static TokenMetadata of(TokenRecord r) {
    return new TokenMetadata(r.token(), r.namespace(), r.type(), r.last4(), r.bin(), r.scheme(),
        r.fingerprint(), r.createdAt(), r.expiresAt(), r.metadata());
  }
}
