package dev.tokenvault.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.core.audit.AuditCheckpoint;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.AuditVerification;
import dev.tokenvault.core.audit.AuditVerifier;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.LocalKeyManager;
import dev.tokenvault.core.vault.OfflineKeys;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.server.wiring.OfflineStores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tokenvault audit verify|export}: the audit trail of a data directory, offline (the
 * vault need not run), on its SQLite store and local key manager.
 *
 * <ul>
 *   <li>{@code verify [--data-dir DIR] [--checkpoints FILE ...]} checks the hash chain and every
 *       signed checkpoint in it, plus the checkpoints found in each FILE (any text holding {@code
 *       tvcp1.} tokens: the vault's own log works as is); prints the result; exit status 0 when
 *       valid, 1 when broken (the first broken link is printed), 2 when it cannot check.
 *   <li>{@code export [--data-dir DIR] [--from ISO] [--to ISO]} writes the events as JSON lines
 *       (one event per line, oldest first) on standard output, for a SIEM.
 * </ul>
 *
 * Neither writes to the data directory: the signing key's public half is derived through the key
 * manager without going through the vault, which would audit the unwrap and so move the chain's
 * head while it is being checked ({@link OfflineKeys}).
 */
public final class AuditCli {
  private static final Pattern CHECKPOINT = Pattern.compile("tvcp1\\.[A-Za-z0-9_.-]+");
  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditCli() {}

  /** The command line: runs and exits with the status (the only console output of the server). */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !(args[0].equals("verify") || args[0].equals("export"))) {
      err.println("usage: tokenvault audit verify [--data-dir DIR] [--checkpoints FILE ...]");
      err.println("       tokenvault audit export [--data-dir DIR] [--from ISO] [--to ISO]");
      return 2;
    }
    String dataDir = System.getProperty("tokenvault.data-dir", "data");
    List<Path> checkpointFiles = new ArrayList<>();
    Instant from = null;
    Instant to = null;
    try {
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
        String value;
        if (a.contains("=")) {
          value = a.substring(a.indexOf('=') + 1);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          err.println("tokenvault audit: " + name + " needs a value");
          return 2;
        }
        switch (name) {
          case "--data-dir" -> dataDir = value;
          case "--checkpoints" -> checkpointFiles.add(Path.of(value));
          case "--from" -> from = Instant.parse(value);
          case "--to" -> to = Instant.parse(value);
          default -> {
            err.println("tokenvault audit: unknown option " + name.replaceAll("[^A-Za-z0-9-]", "?"));
            return 2;
          }
        }
      }
    } catch (DateTimeParseException e) {
      err.println("tokenvault audit: --from and --to are ISO-8601 instants, e.g. 2026-01-31T12:00:00Z");
      return 2;
    }
    Path dir = Path.of(dataDir).toAbsolutePath();
    Path db = dir.resolve("tokenvault.db");
    if (!Files.isRegularFile(db)) {
      err.println("tokenvault audit: no vault database at " + db);
      return 2;
    }
    try (TokenStore store = OfflineStores.sqlite(db)) {
      if (args[0].equals("export")) {
        return export(store, from, to, out);
      }
      if (!Files.isRegularFile(dir.resolve(LocalKeyManager.FILE_NAME))) {
        err.println("tokenvault audit: no local key file at " + dir.resolve(LocalKeyManager.FILE_NAME)
            + " (verify works on the local key manager's data directory)");
        return 2;
      }
      List<AuditCheckpoint> trusted = new ArrayList<>();
      for (Path f : checkpointFiles) {
        Matcher m = CHECKPOINT.matcher(Files.readString(f, StandardCharsets.UTF_8));
        while (m.find()) {
          AuditCheckpoint.parseCompact(m.group()).ifPresent(trusted::add);
        }
      }
      String pass = System.getenv("TOKENVAULT_KEK_PASSPHRASE");
      try (LocalKeyManager keys = LocalKeyManager.open(dir,
          pass == null || pass.isEmpty() ? null : pass.toCharArray(), Clock.systemUTC())) {
        AuditVerification v = new AuditVerifier(store,
            kid -> OfflineKeys.signingPublicKey(store, keys, kid), trusted)
            .verify().toCompletableFuture().join();
        if (v.valid()) {
          out.printf(Locale.ROOT, "audit chain valid: events=%d head=%d checkpoints=%d%n",
              v.eventsChecked(), v.headSequence(), v.checkpointsChecked());
          if (v.lastCheckpoint() != null) {
            out.println("last checkpoint: " + v.lastCheckpoint().compact());
          }
          return 0;
        }
        out.printf(Locale.ROOT,
            "audit chain BROKEN at sequence %d: %s (events checked=%d, checkpoints checked=%d)%n",
            v.brokenAtSequence(), v.reason(), v.eventsChecked(), v.checkpointsChecked());
        return 1;
      }
    } catch (IOException | RuntimeException e) {
      err.println("tokenvault audit: cannot check the audit trail: " + e.getClass().getSimpleName());
      return 2;
    }
  }

  private static int export(TokenStore store, Instant from, Instant to, PrintStream out)
      throws IOException {
    long after = 0;
    while (true) {
      List<StoredAuditEvent> page = store.query(new AuditQuery(null, null, null, null, null, from,
          to, after, AuditQuery.MAX_LIMIT)).toCompletableFuture().join();
      for (StoredAuditEvent s : page) {
        out.println(JSON.writeValueAsString(line(s)));
      }
      if (page.size() < AuditQuery.MAX_LIMIT) {
        out.flush();
        return 0;
      }
      after = page.get(page.size() - 1).sequence();
    }
  }

  /**
   * One event as JSON: the CloudTrail-shaped fields of {@code GET /v1/audit}. PCI DSS 10.2.2
   * reads: user = principal/clientId, event type = eventName, time = eventTime, outcome =
   * outcome/errorCode, origin = sourceIp/userAgent/clientCertSubject, affected resource =
   * namespace/token/keyId.
   */
  static Map<String, Object> line(StoredAuditEvent s) {
    AuditEvent e = s.event();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sequence", s.sequence());
    m.put("eventId", e.eventId());
    m.put("eventTime", e.eventTime().toString());
    m.put("eventName", e.eventName());
    m.put("principal", e.actor().principal());
    m.put("clientId", e.actor().clientId());
    m.put("scopes", e.actor().scopes());
    m.put("sourceIp", e.actor().sourceIp());
    m.put("userAgent", e.actor().userAgent());
    m.put("clientCertSubject", e.actor().clientCertSubject());
    m.put("requestId", e.actor().requestId());
    m.put("namespace", e.namespace());
    m.put("token", e.token());
    m.put("keyId", e.keyId());
    m.put("keyVersion", e.keyVersion());
    m.put("encryptionContext", e.encryptionContext().isEmpty() ? null : e.encryptionContext());
    m.put("outcome", e.outcome().name().toLowerCase(Locale.ROOT));
    m.put("errorCode", e.errorCode());
    m.put("previousHash", e.previousHash());
    m.put("hash", e.hash());
    m.values().removeIf(java.util.Objects::isNull);
    return m;
  }
}
