package dev.tokenvault.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditChainVerifier;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.ChainVerification;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.StoredAuditEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every kind of tampering with a chain of audit events is found, at the right event. */
class AuditChainVerifierTest {
  private List<StoredAuditEvent> chain;

  @BeforeEach
  void buildChain() {
    InMemoryStore store = new InMemoryStore();
    for (int i = 0; i < 10; i++) {
      store.append(event("Tokenize", "tok_" + "A".repeat(21) + i)).toCompletableFuture().join();
    }
    chain = new ArrayList<>(store.auditEvents());
  }

  private static AuditEvent event(String name, String token) {
    return AuditEvent.builder(name, TestContexts.merchant(), Instant.parse("2026-11-23T10:00:00Z"))
        .namespace("default")
        .token(token)
        .build();
  }

  @Test
  void anIntactChainVerifies() {
    ChainVerification v = AuditChainVerifier.verify(chain);
    assertThat(v.intact()).isTrue();
    assertThat(v.eventsChecked()).isEqualTo(10);
    assertThat(v.headHash()).isEqualTo(chain.get(9).event().hash());
    assertThat(v.brokenAtSequence()).isEqualTo(-1);
  }

  @Test
  void theStoreVerifiesPageByPage() {
    InMemoryStore store = new InMemoryStore();
    for (int i = 0; i < 2_500; i++) {
      store.append(event("Detokenize", null)).toCompletableFuture().join();
    }
    ChainVerification v = AuditChainVerifier.verify(store).toCompletableFuture().join();
    assertThat(v.intact()).isTrue();
    assertThat(v.eventsChecked()).isEqualTo(2_500);
  }

  @Test
  void anEditedEventIsFound() {
    AuditEvent e = chain.get(4).event();
    AuditEvent edited =
        new AuditEvent(e.eventId(), e.eventTime(), e.eventName(), e.actor(), e.namespace(),
            "tok_" + "B".repeat(22), e.keyId(), e.keyVersion(), e.encryptionContext(),
            e.outcome(), e.errorCode(), e.previousHash(), e.hash());
    chain.set(4, new StoredAuditEvent(5, edited));
    ChainVerification v = AuditChainVerifier.verify(chain);
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAtSequence()).isEqualTo(5);
    assertThat(v.reason()).isEqualTo("hash_mismatch");
  }

  @Test
  void anEditedOutcomeIsFound() {
    AuditEvent e = chain.get(2).event();
    AuditEvent edited =
        new AuditEvent(e.eventId(), e.eventTime(), e.eventName(), e.actor(), e.namespace(),
            e.token(), e.keyId(), e.keyVersion(), e.encryptionContext(), Outcome.DENIED,
            "token_not_found", e.previousHash(), e.hash());
    chain.set(2, new StoredAuditEvent(3, edited));
    assertThat(AuditChainVerifier.verify(chain).brokenAtSequence()).isEqualTo(3);
  }

  @Test
  void aDeletedEventIsFoundAtTheNextOne() {
    chain.remove(6);
    ChainVerification v = AuditChainVerifier.verify(chain);
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAtSequence()).isEqualTo(8);
    assertThat(v.reason()).isEqualTo("link_mismatch");
  }

  @Test
  void anInsertedEventIsFound() {
    AuditEvent forged = event("Detokenize", null).chain(chain.get(2).event().hash());
    chain.add(3, new StoredAuditEvent(4, forged));
    chain.set(4, new StoredAuditEvent(5, chain.get(4).event()));
    ChainVerification v = AuditChainVerifier.verify(chain);
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAtSequence()).isEqualTo(5);
  }

  @Test
  void reorderedEventsAreFound() {
    StoredAuditEvent a = chain.get(3);
    StoredAuditEvent b = chain.get(4);
    chain.set(3, new StoredAuditEvent(4, b.event()));
    chain.set(4, new StoredAuditEvent(5, a.event()));
    ChainVerification v = AuditChainVerifier.verify(chain);
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAtSequence()).isEqualTo(4);
    assertThat(v.reason()).isEqualTo("link_mismatch");
  }

  @Test
  void sequenceNumbersGoingBackwardsAreFound() {
    chain.set(5, new StoredAuditEvent(2, chain.get(5).event()));
    assertThat(AuditChainVerifier.verify(chain).reason()).isEqualTo("sequence_out_of_order");
  }
}
