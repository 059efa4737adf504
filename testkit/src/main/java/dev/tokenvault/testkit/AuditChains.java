package dev.tokenvault.testkit;

import static dev.tokenvault.testkit.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditLog;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.StoredAuditEvent;
import java.util.ArrayList;
import java.util.List;

/** Reading a whole audit log and checking its hash chain. */
public final class AuditChains {
  private AuditChains() {}

  /** Every event of the log, oldest first, read page by page. */
  public static List<StoredAuditEvent> readAll(AuditLog log) {
    List<StoredAuditEvent> all = new ArrayList<>();
    long after = 0;
    while (true) {
      List<StoredAuditEvent> page =
          await(
              log.query(
                  new AuditQuery(
                      null, null, null, null, null, null, null, after, AuditQuery.MAX_LIMIT)));
      all.addAll(page);
      if (page.size() < AuditQuery.MAX_LIMIT) {
        return all;
      }
      after = page.get(page.size() - 1).sequence();
    }
  }

  /**
   * Asserts that {@code events} form one intact chain from {@link AuditEvent#GENESIS}: each hash
   * verifies, each event links to the one before, sequence numbers increase.
   */
  public static void assertIntactFromGenesis(List<StoredAuditEvent> events) {
    String previous = AuditEvent.GENESIS;
    long sequence = 0;
    for (StoredAuditEvent stored : events) {
      AuditEvent e = stored.event();
      assertThat(stored.sequence()).as("sequence of %s", e.eventId()).isGreaterThan(sequence);
      assertThat(e.previousHash()).as("link of event %s", stored.sequence()).isEqualTo(previous);
      assertThat(e.verifyHash()).as("hash of event %s", stored.sequence()).isTrue();
      previous = e.hash();
      sequence = stored.sequence();
    }
  }

  /** The event ids, in order. */
  public static List<String> ids(List<StoredAuditEvent> events) {
    return events.stream().map(s -> s.event().eventId()).toList();
  }
}
