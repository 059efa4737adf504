package dev.tokenvault.server.monitoring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The detectors' logic, free of the framework so that tests drive it with a clock: it counts in
 * memory and calls {@link Sink#alert} when a pattern crosses its threshold.
 *
 * <h2>Detectors</h2>
 *
 * <ul>
 *   <li>{@code auth_failure_burst}: {@link DetectorSettings#authFailureThreshold} authentication
 *       failures (any client, any reason) within {@link DetectorSettings#authFailureWindow}.
 *   <li>{@code detokenize_rate}: a client's detokenizations in the current minute exceed both
 *       {@link DetectorSettings#detokenizeMinPerMinute} and {@link
 *       DetectorSettings#detokenizeBaselineFactor} times its own baseline, an exponentially
 *       weighted average (α = {@link #ALPHA}) of its previous minutes.
 *   <li>{@code token_walk}: a client detokenized more than {@link
 *       DetectorSettings#distinctTokensPerMinute} distinct tokens in the current minute.
 *   <li>{@code integrity_failure}: stored data failed authentication (every one: tampering).
 *   <li>{@code audit_failure}: an audit event could not be written, or the audit chain no longer
 *       verifies (every one).
 * </ul>
 *
 * <h2>Cost and memory</h2>
 *
 * One map lookup and a short lock per detokenization. Memory is bounded: per client one counter
 * set of at most {@code distinctTokensPerMinute + 1} tokens (cleared each minute), for at most
 * {@link #MAX_CLIENTS} clients (more are counted together as {@code other}); the burst window
 * holds at most {@code authFailureThreshold} instants. An alert repeats for the same detector
 * and subject at most once per {@link DetectorSettings#cooldown}.
 */
public final class DetectorEngine {
  /** Weight of the newest minute in a client's baseline: about a 10-minute memory. */
  static final double ALPHA = 0.1;

  /** Clients tracked one by one; a bound on memory against a flood of client ids. */
  static final int MAX_CLIENTS = 10_000;

  /** Minutes of silence folded into a baseline at most (after that it is ~0 anyway). */
  private static final int MAX_IDLE_MINUTES = 120;

  /** Where alerts go. */
  public interface Sink {
    void alert(String detector, String subject, String detail);
  }

  /** Told of each client seen for the first time (to register its gauge). */
  public interface NewClient {
    void seen(String client, ClientWindow window);
  }

  private final DetectorSettings settings;
  private final Clock clock;
  private final Sink sink;
  private final NewClient newClient;
  private final ConcurrentHashMap<String, ClientWindow> clients = new ConcurrentHashMap<>();
  private final ArrayDeque<Instant> authFailures = new ArrayDeque<>();
  private final Map<String, Instant> lastAlert = new ConcurrentHashMap<>();

  public DetectorEngine(DetectorSettings settings, Clock clock, Sink sink, NewClient newClient) {
    this.settings = settings;
    this.clock = clock;
    this.sink = sink;
    this.newClient = newClient;
  }

  /** One client's current minute and its baseline. */
  public static final class ClientWindow {
    private long minute = Long.MIN_VALUE;
    private int count;
    private final Set<String> distinct = new HashSet<>();
    private int lastMinuteDistinct;
    private double baseline;

    /** Distinct tokens detokenized in the last complete minute (the gauge). */
    public synchronized int lastMinuteDistinct() {
      return lastMinuteDistinct;
    }

    synchronized double baseline() {
      return baseline;
    }

    /** Rolls to {@code now}'s minute if needed, then counts one; returns {count, distinct}. */
    private synchronized int[] add(long now, String token, int distinctCap) {
      if (now != minute) {
        if (minute != Long.MIN_VALUE) {
          long idle = Math.min(now - minute, MAX_IDLE_MINUTES);
          baseline = ALPHA * count + (1 - ALPHA) * baseline;
          for (long i = 1; i < idle; i++) {
            baseline = (1 - ALPHA) * baseline;
          }
          lastMinuteDistinct = idle == 1 ? distinct.size() : 0;
        }
        minute = now;
        count = 0;
        distinct.clear();
      }
      count++;
      if (distinct.size() <= distinctCap) {
        distinct.add(token);
      }
      return new int[] {count, distinct.size()};
    }
  }

  /** A client detokenized {@code token}. */
  public void detokenized(String clientId, String token) {
    String client = clientId == null ? "unknown" : clientId;
    ClientWindow w = clients.get(client);
    if (w == null) {
      if (clients.size() >= MAX_CLIENTS) {
        client = "other";
      }
      w = clients.computeIfAbsent(client, c -> {
        ClientWindow created = new ClientWindow();
        newClient.seen(c, created);
        return created;
      });
    }
    Instant now = clock.instant();
    double baseline = w.baseline();
    int[] counts = w.add(now.getEpochSecond() / 60, token, settings.distinctTokensPerMinute());
    int count = counts[0];
    if (count > settings.detokenizeMinPerMinute()
        && count > settings.detokenizeBaselineFactor() * baseline) {
      raise("detokenize_rate", client, now,
          "detokenizations this minute=" + count + " baseline=" + Math.round(baseline));
    }
    if (counts[1] > settings.distinctTokensPerMinute()) {
      raise("token_walk", client, now,
          "distinct tokens this minute>" + settings.distinctTokensPerMinute());
    }
  }

  /** An authentication failed. */
  public void authenticationFailed(String reason) {
    Instant now = clock.instant();
    int n;
    synchronized (authFailures) {
      authFailures.addLast(now);
      Instant horizon = now.minus(settings.authFailureWindow());
      while (!authFailures.isEmpty() && !authFailures.peekFirst().isAfter(horizon)) {
        authFailures.removeFirst();
      }
      while (authFailures.size() > settings.authFailureThreshold()) {
        authFailures.removeFirst();
      }
      n = authFailures.size();
    }
    if (n >= settings.authFailureThreshold()) {
      raise("auth_failure_burst", "all", now,
          "authentication failures within " + settings.authFailureWindow().toSeconds() + "s>="
              + n + " last reason=" + safe(reason));
    }
  }

  /** Stored data failed authentication. */
  public void integrityFailure(String code) {
    raise("integrity_failure", "vault", clock.instant(), "code=" + safe(code));
  }

  /** The audit trail failed: an event could not be written, or the chain no longer verifies. */
  public void auditFailure(String what) {
    raise("audit_failure", "vault", clock.instant(), safe(what));
  }

  private void raise(String detector, String subject, Instant now, String detail) {
    String key = detector + "|" + subject;
    Instant[] fire = new Instant[1];
    lastAlert.compute(key, (k, last) -> {
      if (last == null || !now.isBefore(last.plus(settings.cooldown()))) {
        fire[0] = now;
        return now;
      }
      return last;
    });
    if (fire[0] != null) {
      sink.alert(detector, subject, detail);
    }
  }

  /** Reasons and codes are the vault's own words, but are cut and restricted to be sure. */
  static String safe(String s) {
    if (s == null) {
      return "none";
    }
    String cut = s.length() > 64 ? s.substring(0, 64) : s;
    return cut.replaceAll("[^A-Za-z0-9_.:-]", "_");
  }

  Duration cooldown() {
    return settings.cooldown();
  }
}
