package dev.tokenvault.core.audit;

import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Signs the audit chain's head now and then ({@link AuditCheckpoint}) and appends the checkpoint
 * to the chain.
 *
 * <h2>What it signs</h2>
 *
 * Only a chain it has verified: the first run walks the whole log (like {@link
 * AuditChainVerifier}), later runs only the events after the last signed head, after checking that
 * the last signed head is still there with the same hash. So a checkpoint vouches for every event
 * up to its head, and an edit or a truncation made while the vault runs is found at the next run
 * ({@link TamperedException}): the caller raises the alarm.
 *
 * <h2>Idle logs</h2>
 *
 * When nothing but checkpoints was appended since the last signed head, no new checkpoint is made
 * (otherwise each checkpoint would be the news that calls for the next).
 *
 * <p>Not thread-safe: one caller at a time (the server runs it on one scheduler thread).
 */
public final class AuditCheckpointer {
  static final int PAGE = 1000;

  private final AuditLog log;
  private final Supplier<CompletionStage<SigningKey>> key;
  private final Clock clock;
  private final RequestContext actor;

  /** The signing key: its kid and private key (the vault's {@code SIGNING} key pair). */
  public record SigningKey(String kid, ECPrivateKey privateKey) {
    public SigningKey {
      Objects.requireNonNull(kid, "kid");
      Objects.requireNonNull(privateKey, "privateKey");
    }

    @Override
    public String toString() {
      return "SigningKey[kid=" + kid + "]";
    }
  }

  /** The chain changed under the vault: an event it had verified or signed is gone or altered. */
  public static final class TamperedException extends RuntimeException {
    private final long sequence;
    private final String reason;

    public TamperedException(long sequence, String reason) {
      super("the audit chain is broken at sequence " + sequence + ": " + reason);
      this.sequence = sequence;
      this.reason = reason;
    }

    public long sequence() {
      return sequence;
    }

    public String reason() {
      return reason;
    }
  }

  /** Head verified so far (never null after the first successful run). */
  private long headSequence;
  private String headHash = AuditEvent.GENESIS;
  private long count;
  private boolean walked;
  private long signedSequence = -1;
  private volatile AuditCheckpoint last;

  public AuditCheckpointer(
      AuditLog log, Supplier<CompletionStage<SigningKey>> key, Clock clock, RequestContext actor) {
    this.log = Objects.requireNonNull(log, "log");
    this.key = Objects.requireNonNull(key, "key");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.actor = Objects.requireNonNull(actor, "actor");
  }

  /** The last checkpoint this process signed, or null. */
  public AuditCheckpoint last() {
    return last;
  }

  /**
   * Verifies the events appended since the last run, then signs and appends a checkpoint of the
   * head. Completes with the new checkpoint, or null when there was nothing new to sign; fails
   * with {@link TamperedException} when the chain no longer verifies.
   */
  public CompletionStage<AuditCheckpoint> checkpoint() {
    CompletionStage<Boolean> newEvents = walked ? recheckHead().thenCompose(v -> walk()) : walk();
    return newEvents.thenCompose(news -> {
      if (!news) {
        return CompletableFuture.completedFuture(null);
      }
      return key.get().thenCompose(k -> {
        AuditCheckpoint c =
            AuditCheckpoint.sign(headSequence, headHash, count, clock.instant(), k.kid(),
                k.privateKey());
        return log.append(c.toEvent(actor)).thenApply(v -> {
          signedSequence = c.headSequence();
          last = c;
          return c;
        });
      });
    });
  }

  /** The event at the verified head must still be there, unchanged. */
  private CompletionStage<Void> recheckHead() {
    if (headSequence == 0) {
      return CompletableFuture.completedFuture(null);
    }
    return log.query(new AuditQuery(null, null, null, null, null, null, null, headSequence - 1, 1))
        .thenAccept(events -> {
          if (events.isEmpty() || events.get(0).sequence() != headSequence) {
            throw new TamperedException(headSequence, "truncated");
          }
          if (!events.get(0).event().hash().equals(headHash)) {
            throw new TamperedException(headSequence, "checkpoint_mismatch");
          }
        });
  }

  /** Verifies from the head onward; true when an event other than a checkpoint was found. */
  private CompletionStage<Boolean> walk() {
    return page(false);
  }

  private CompletionStage<Boolean> page(boolean news) {
    return log.query(new AuditQuery(null, null, null, null, null, null, null, headSequence, PAGE))
        .thenCompose(events -> {
          boolean found = accept(events) || news;
          walked = true;
          if (events.size() == PAGE) {
            return page(found);
          }
          return CompletableFuture.completedFuture(found && headSequence > signedSequence);
        });
  }

  private boolean accept(List<StoredAuditEvent> events) {
    boolean news = false;
    for (StoredAuditEvent stored : events) {
      AuditEvent e = stored.event();
      if (stored.sequence() <= headSequence) {
        throw new TamperedException(stored.sequence(), "sequence_out_of_order");
      }
      if (!headHash.equals(e.previousHash())) {
        throw new TamperedException(stored.sequence(), "link_mismatch");
      }
      if (!e.verifyHash()) {
        throw new TamperedException(stored.sequence(), "hash_mismatch");
      }
      headSequence = stored.sequence();
      headHash = e.hash();
      count++;
      news |= !AuditAction.AUDIT_CHECKPOINT.equals(e.eventName());
    }
    return news;
  }
}
