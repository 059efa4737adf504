package dev.tokenvault.core.audit;

import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Verifies an audit log: its hash chain (as {@link AuditChainVerifier}) and its signed {@link
 * AuditCheckpoint}s, and reports the first broken link.
 *
 * <h2>Two passes</h2>
 *
 * <ol>
 *   <li>Every {@link AuditAction#AUDIT_CHECKPOINT} event is read (a filtered query) and its
 *       signature checked with the vault's public key of its kid. A checkpoint that does not parse,
 *       names an unknown key or does not verify breaks the log at that event.
 *   <li>The chain is walked from its first event. Each valid checkpoint, and each trusted
 *       checkpoint given by the caller (held outside the database: a log line, the running vault's
 *       memory), is a claim "the event at sequence S has hash H and is the N-th": when the walk
 *       reaches S, the event there must have that hash and position ({@code checkpoint_mismatch}
 *       otherwise, e.g. an earlier event was deleted and the rest rehashed); when the log ends
 *       before S, it was truncated ({@code truncated}).
 * </ol>
 *
 * <h2>What it still cannot find</h2>
 *
 * A truncation back past the last signed head <em>together with</em> the checkpoint events after
 * it, when no checkpoint is held outside the database. That is why the vault logs every checkpoint
 * ({@link AuditCheckpoint#compact()}) and remembers its last one in memory: pass one of those as a
 * trusted checkpoint.
 */
public final class AuditVerifier {
  static final int PAGE = 1000;

  private final AuditLog log;
  private final Function<String, CompletionStage<Optional<ECPublicKey>>> keys;
  private final List<AuditCheckpoint> trusted;

  /**
   * @param keys the vault's public signing key of a kid (empty when the vault has no such key)
   * @param trusted checkpoints held outside the log; their signatures are checked too
   */
  public AuditVerifier(
      AuditLog log,
      Function<String, CompletionStage<Optional<ECPublicKey>>> keys,
      List<AuditCheckpoint> trusted) {
    this.log = log;
    this.keys = keys;
    this.trusted = List.copyOf(trusted);
  }

  /** A problem found at a sequence; the smallest sequence is reported. */
  private record Break(long sequence, String reason) {}

  private final Map<String, CompletionStage<Optional<ECPublicKey>>> keyCache = new HashMap<>();

  public CompletionStage<AuditVerification> verify() {
    Pass1 p1 = new Pass1();
    return checkTrusted(p1, 0)
        .thenCompose(v -> checkpointPage(p1, 0))
        .thenCompose(v -> chainPage(new Pass2(p1), 0));
  }

  private synchronized CompletionStage<Optional<ECPublicKey>> key(String kid) {
    return keyCache.computeIfAbsent(kid, keys);
  }

  private final class Pass1 {
    final TreeMap<Long, List<AuditCheckpoint>> claims = new TreeMap<>();
    Break broken;
    long checked;

    void broken(long sequence, String reason) {
      if (broken == null || sequence < broken.sequence()) {
        broken = new Break(sequence, reason);
      }
    }

    void claim(AuditCheckpoint c) {
      checked++;
      claims.computeIfAbsent(c.headSequence(), s -> new ArrayList<>()).add(c);
    }
  }

  private CompletionStage<Void> checkTrusted(Pass1 p1, int i) {
    if (i >= trusted.size()) {
      return CompletableFuture.completedFuture(null);
    }
    AuditCheckpoint c = trusted.get(i);
    return key(c.kid()).thenCompose(k -> {
      if (k.isEmpty() || !c.verify(k.get())) {
        // a forged external checkpoint proves nothing about the log: it is refused, at its head
        p1.broken(c.headSequence(), k.isEmpty() ? "checkpoint_key_unknown"
            : "checkpoint_signature_invalid");
      } else {
        p1.claim(c);
      }
      return checkTrusted(p1, i + 1);
    });
  }

  private CompletionStage<Void> checkpointPage(Pass1 p1, long after) {
    AuditQuery q = new AuditQuery(AuditAction.AUDIT_CHECKPOINT, null, null, null, null, null, null,
        after, PAGE);
    return log.query(q).thenCompose(events -> checkEach(p1, events, 0).thenCompose(v -> {
      if (events.size() < PAGE) {
        return CompletableFuture.completedFuture(null);
      }
      return checkpointPage(p1, events.get(events.size() - 1).sequence());
    }));
  }

  private CompletionStage<Void> checkEach(Pass1 p1, List<StoredAuditEvent> events, int i) {
    if (i >= events.size()) {
      return CompletableFuture.completedFuture(null);
    }
    StoredAuditEvent stored = events.get(i);
    Optional<AuditCheckpoint> parsed = AuditCheckpoint.fromEvent(stored.event());
    if (parsed.isEmpty()) {
      p1.broken(stored.sequence(), "checkpoint_malformed");
      return checkEach(p1, events, i + 1);
    }
    AuditCheckpoint c = parsed.get();
    return key(c.kid()).thenCompose(k -> {
      if (k.isEmpty()) {
        p1.broken(stored.sequence(), "checkpoint_key_unknown");
      } else if (!c.verify(k.get())) {
        p1.broken(stored.sequence(), "checkpoint_signature_invalid");
      } else if (c.headSequence() >= stored.sequence()) {
        // a checkpoint can only sign what came before it
        p1.broken(stored.sequence(), "checkpoint_mismatch");
      } else {
        p1.claim(c);
      }
      return checkEach(p1, events, i + 1);
    });
  }

  private static final class Pass2 {
    final Pass1 p1;
    String previousHash = AuditEvent.GENESIS;
    long lastSequence;
    long count;
    Break broken;

    Pass2(Pass1 p1) {
      this.p1 = p1;
    }

    /** False once the walk found a break (it stops there). */
    boolean accept(List<StoredAuditEvent> events) {
      for (StoredAuditEvent stored : events) {
        long seq = stored.sequence();
        // a signed head that the walk stepped over: its event is gone
        var skipped = p1.claims.headMap(seq, false).keySet().stream()
            .filter(s -> s > lastSequence).findFirst();
        if (skipped.isPresent()) {
          broken = new Break(seq, "checkpoint_mismatch");
          return false;
        }
        count++;
        AuditEvent e = stored.event();
        String reason = null;
        if (seq <= lastSequence) {
          reason = "sequence_out_of_order";
        } else if (!previousHash.equals(e.previousHash())) {
          reason = "link_mismatch";
        } else if (!e.verifyHash()) {
          reason = "hash_mismatch";
        } else {
          for (AuditCheckpoint c : p1.claims.getOrDefault(seq, List.of())) {
            if (!c.headHash().equals(e.hash()) || c.eventCount() != count) {
              reason = "checkpoint_mismatch";
            }
          }
        }
        if (reason != null) {
          broken = new Break(seq, reason);
          return false;
        }
        previousHash = e.hash();
        lastSequence = seq;
      }
      return true;
    }
  }

  private CompletionStage<AuditVerification> chainPage(Pass2 p2, long after) {
    return log.query(new AuditQuery(null, null, null, null, null, null, null, after, PAGE))
        .thenCompose(events -> {
          boolean ok = p2.accept(events);
          if (ok && events.size() == PAGE) {
            return chainPage(p2, p2.lastSequence);
          }
          return CompletableFuture.completedFuture(result(p2));
        });
  }

  private static AuditVerification result(Pass2 p2) {
    Pass1 p1 = p2.p1;
    Break first = p2.broken;
    if (first == null && !p1.claims.isEmpty() && p1.claims.lastKey() > p2.lastSequence) {
      first = new Break(p1.claims.ceilingKey(p2.lastSequence + 1), "truncated");
    }
    if (p1.broken != null && (first == null || p1.broken.sequence() <= first.sequence())) {
      first = p1.broken;
    }
    AuditCheckpoint newest = p1.claims.isEmpty() ? null
        : p1.claims.lastEntry().getValue().stream()
            .max(Comparator.comparing(AuditCheckpoint::time)).orElse(null);
    return new AuditVerification(first == null, p2.count, p2.lastSequence, p2.previousHash,
        p1.checked, first == null ? -1 : first.sequence(), first == null ? null : first.reason(),
        newest);
  }
}
