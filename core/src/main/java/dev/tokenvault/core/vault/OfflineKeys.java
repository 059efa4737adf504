package dev.tokenvault.core.vault;

import dev.tokenvault.core.crypto.EcKeyPairs;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The public half of the vault's signing key, for a verifier that must not write: {@code
 * tokenvault audit verify} checks checkpoint signatures on a data directory without appending to
 * the log it is checking (a {@link Vault} would audit the key's unwrap, moving the chain's head).
 *
 * <p>Derives exactly as {@link KeyRing#vaultKeyPair} does (same stored key id, encryption
 * context and derivation label); {@code OfflineKeysTest} holds the two together. Only the public
 * key leaves this class; the seed is zeroed.
 */
public final class OfflineKeys {
  private OfflineKeys() {}

  /** The vault's public signing key {@code kid}, if the store holds its wrapped seed. */
  public static CompletionStage<Optional<ECPublicKey>> signingPublicKey(
      TokenStore store, KeyManager keyManager, String kid) {
    String keyId = "vk_sig_" + kid;
    return store.findDataKey(keyId).thenApply(found -> found
        .filter(r -> r.purpose() == KeyPurpose.SIGNING && r.namespace().equals(Namespace.SYSTEM))
        .map(r -> derive(keyManager, r)));
  }

  private static ECPublicKey derive(KeyManager keyManager, DataKeyRecord r) {
    EncryptionContext ec = EncryptionContext.of(
        "tokenvault:namespace", r.namespace().name(),
        "tokenvault:key-id", r.keyId(),
        "tokenvault:purpose", r.purpose().name().toLowerCase(Locale.ROOT));
    byte[] seed = keyManager.decryptDataKey(r.wrapped(), ec);
    try {
      return (ECPublicKey) EcKeyPairs.p256FromSeed(
          seed, "tokenvault/" + r.purpose().name() + "/" + r.keyId()).getPublic();
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }
}
