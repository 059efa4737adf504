package dev.tokenvault.core.vault;

import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.util.concurrent.CompletionStage;

/** The vault's use cases. Implemented by {@link DefaultVault}. */
public interface Vault extends AutoCloseable {

  CompletionStage<TokenizeResult> tokenize(TokenizeCommand command, RequestContext ctx);

  /** Metadata only, never the value. Expired: {@link VaultException.Kind#GONE}. */
  CompletionStage<TokenMetadata> metadata(Namespace namespace, Token token, RequestContext ctx);

  /** The value; every call is audited, and answered only once its audit event is durable. */
  CompletionStage<Detokenized> detokenize(Namespace namespace, Token token, RequestContext ctx);

  /** Crypto-erases the token's value (deletes its ciphertext). */
  CompletionStage<Void> delete(Namespace namespace, Token token, RequestContext ctx);

  /**
   * Charges a token: detokenizes inside the vault, asks the {@code PaymentProcessor}, stores the
   * payment. Idempotent per (client, idempotency key): the same request again returns the same
   * payment ({@code created == false}); a different request under the same key fails with
   * {@link VaultException.Kind#CONFLICT} {@code idempotency_key_reused}.
   */
  CompletionStage<PaymentResult> pay(PayCommand command, RequestContext ctx);

  CompletionStage<Payment> payment(Namespace namespace, String paymentId, RequestContext ctx);

  @Override
  void close();
}
