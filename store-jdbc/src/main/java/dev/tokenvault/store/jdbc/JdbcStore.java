package dev.tokenvault.store.jdbc;

import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.AuditQuery;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentInsert;
import dev.tokenvault.core.payment.PaymentStore;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.InsertResult;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenPage;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.store.TokenStore;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token, payment and audit store on SQL, one code path for every engine ({@link Dialect} holds
 * the differences). Subclasses only know how to open their engine.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>Writes go to one {@link GroupCommitWriter}: one thread, one connection, concurrent requests
 *       committed together in one transaction with a savepoint each. Their futures complete on
 *       {@link #COMPLETERS} completion threads, never on the writer, so a caller's dependent stage
 *       cannot stall everyone's writes; keep such stages short or make them {@code *Async} with
 *       your own executor.
 *   <li>Reads run on a few reader threads (SQLite: {@link #READERS}), each with its own connection,
 *       so a read never waits for the writer (SQLite in WAL mode and PostgreSQL both give readers a
 *       committed snapshot). Their futures complete on the reader threads, except a token row
 *       found in memory ({@link TokenRowCache}, SQLite only), which completes at once on the
 *       caller's. Reader connections are either held for the life of the store (an embedded
 *       file: opening is cheap, nothing drops them) or borrowed from a pool for each read and
 *       given back ({@link ReadConnections#POOLED}, a server database: the pool replaces
 *       connections the server dropped).
 *   <li>No method blocks its caller except {@link #close()}.
 * </ul>
 *
 * <h2>Consistency</h2>
 *
 * Every check-then-write (deterministic tokens, data keys if absent, idempotent payments) runs
 * inside the writer's transaction, which holds the database's write lock: it is linearizable, and
 * the unique indexes ({@code tokens_deterministic_fingerprint}, {@code payments(client_id,
 * idempotency_key)}) are the backstop. A write future completes after its batch committed, so a
 * read issued after it sees the write.
 */
public abstract sealed class JdbcStore implements TokenStore, PaymentStore
    permits SqliteStore, PostgresStore {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcStore.class);

  /**
   * Reader connections and threads: reads are single-row lookups and small audit pages, so a few
   * cover a busy node; each connection holds its own page cache, so more cost memory for nothing.
   */
  static final int READERS = 4;

  /**
   * Threads completing write futures: callers' dependent stages run there, never on the writer; two
   * so that one slow callback does not hold up every other acknowledgement.
   */
  static final int COMPLETERS = 2;

  /** Opens a new connection to the database (a pool may hand out one it holds). */
  @FunctionalInterface
  interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /** Brings the schema up to date on the writer's connection before the store starts. */
  @FunctionalInterface
  interface SchemaSetup {
    void apply(Connection writeConnection) throws SQLException;
  }

  /** Whether reader connections are held for the store's life or borrowed per read. */
  enum ReadConnections {
    /** Opened once, one per reader thread, closed with the store (an embedded file). */
    HELD,
    /** Borrowed from the {@link ConnectionSource} (a pool) for each read and closed after it. */
    POOLED
  }

  private final Dialect dialect;
  private final ConnectionSource connections;
  private final ReadConnections readMode;

  /** Connections a read or a batch's begin tries before it fails (pooled connections only). */
  private final int connectionAttempts;

  private final GroupCommitWriter writer;
  private final ExecutorService completer;
  private final ExecutorService readerThreads;

  /** The held reader connections; empty when they are {@link ReadConnections#POOLED}. */
  private final BlockingQueue<Reader> readers;

  /** Token rows in memory ({@link TokenRowCache}); null unless this process is the only writer. */
  private final TokenRowCache tokenRows;

  /**
   * SQLite: held readers, schema by {@link SchemaMigrator}.
   *
   * @param tokenCacheRows token rows kept in memory ({@link TokenRowCache}); 0 for none
   */
  JdbcStore(Dialect dialect, ConnectionSource connections, String name, long tokenCacheRows) {
    this(
        dialect,
        connections,
        c -> new SchemaMigrator(dialect).migrate(c),
        READERS,
        ReadConnections.HELD,
        name,
        tokenCacheRows);
  }

  JdbcStore(
      Dialect dialect,
      ConnectionSource connections,
      SchemaSetup schema,
      int readerThreads,
      ReadConnections readMode,
      String name,
      long tokenCacheRows) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    if (tokenCacheRows < 0) {
      throw new IllegalArgumentException("tokenCacheRows must not be negative");
    }
    if (tokenCacheRows > 0 && !dialect.exclusiveWriter()) {
      // Another process could change a row this one has cached.
      throw new IllegalArgumentException("a token cache needs a store that is the only writer");
    }
    this.tokenRows = tokenCacheRows == 0 ? null : new TokenRowCache(tokenCacheRows);
    this.connections = Objects.requireNonNull(connections, "connections");
    this.readMode = Objects.requireNonNull(readMode, "readMode");
    Objects.requireNonNull(schema, "schema");
    if (readerThreads < 1) {
      throw new IllegalArgumentException("readerThreads must be at least 1");
    }
    List<AutoCloseable> opened = new ArrayList<>();
    Connection writeConnection;
    GroupCommitWriter.LogSync logSync;
    try {
      writeConnection = connections.open();
      opened.add(writeConnection);
      dialect.configureWriter(writeConnection);
      schema.apply(writeConnection);
      logSync = dialect.logSync(writeConnection);
      this.readers = new ArrayBlockingQueue<>(readerThreads);
      if (readMode == ReadConnections.HELD) {
        for (int i = 0; i < readerThreads; i++) {
          Connection c = connections.open();
          opened.add(c);
          dialect.configureReader(c);
          readers.add(new Reader(c));
        }
      }
    } catch (SQLException | RuntimeException e) {
      for (AutoCloseable c : opened) {
        closeQuietly(c);
      }
      throw e instanceof StoreException se ? se : new StoreException("cannot open the store", e);
    }
    this.completer = Executors.newFixedThreadPool(COMPLETERS, threads(name + "-completer"));
    this.readerThreads = Executors.newFixedThreadPool(readerThreads, threads(name + "-reader"));
    // Every pooled connection may be dead at once (a server restart): one attempt more than the
    // pool holds reaches a fresh one.
    this.connectionAttempts = readerThreads + 2;
    this.writer =
        new GroupCommitWriter(
            writeConnection,
            connections,
            connectionAttempts,
            dialect,
            completer,
            logSync,
            name + "-writer");
    writer.start();
  }

  // ---- data keys

  @Override
  public CompletionStage<Void> insertDataKey(DataKeyRecord key, AuditEvent event) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          PreparedStatement ps = tx.prepare(Rows.INSERT_DATA_KEY);
          Rows.bindDataKey(ps, key, dialect);
          if (ps.executeUpdate() == 0) {
            throw new StoreException("data key already exists: " + key.keyId(), null);
          }
          tx.audit(event);
          return null;
        });
  }

  @Override
  public CompletionStage<DataKeyRecord> insertDataKeyIfAbsent(DataKeyRecord key, AuditEvent event) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          PreparedStatement ps = tx.prepare(Rows.INSERT_DATA_KEY);
          Rows.bindDataKey(ps, key, dialect);
          if (ps.executeUpdate() == 1) {
            tx.audit(event);
            return key;
          }
          PreparedStatement select = tx.prepare(Rows.SELECT_DATA_KEY);
          select.setString(1, key.keyId());
          try (ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
              return Rows.dataKey(rs, dialect);
            }
          }
          throw new StoreException("data key neither inserted nor found", null);
        });
  }

  @Override
  public CompletionStage<Optional<DataKeyRecord>> findDataKey(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return read(r -> r.findOne(Rows.SELECT_DATA_KEY, keyId, rs -> Rows.dataKey(rs, dialect)));
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeysWrappedUnder(
      String kekId, int kekVersion, String afterKeyId, int limit) {
    Objects.requireNonNull(kekId, "kekId");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    return read(
        r -> {
          PreparedStatement ps = r.prepare(Rows.SELECT_DATA_KEYS_UNDER);
          ps.setString(1, kekId);
          ps.setInt(2, kekVersion);
          ps.setString(3, afterKeyId == null ? "" : afterKeyId);
          ps.setInt(4, limit);
          List<DataKeyRecord> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(Rows.dataKey(rs, dialect));
            }
          }
          return List.copyOf(out);
        });
  }

  @Override
  public CompletionStage<Map<Integer, Long>> countDataKeysByKekVersion(String kekId) {
    Objects.requireNonNull(kekId, "kekId");
    return read(
        r -> {
          PreparedStatement ps = r.prepare(Rows.COUNT_DATA_KEYS_BY_VERSION);
          ps.setString(1, kekId);
          try (ResultSet rs = ps.executeQuery()) {
            return Rows.countsByVersion(rs, "kek_version");
          }
        });
  }

  @Override
  public CompletionStage<Boolean> rewrapDataKey(
      String keyId, WrappedKey expected, WrappedKey rewrapped, AuditEvent event) {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(rewrapped, "rewrapped");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          PreparedStatement ps = tx.prepare(Rows.REWRAP_DATA_KEY);
          ps.setString(1, rewrapped.kekId());
          ps.setInt(2, rewrapped.kekVersion());
          ps.setBytes(3, rewrapped.ciphertext());
          ps.setString(4, keyId);
          ps.setString(5, expected.kekId());
          ps.setInt(6, expected.kekVersion());
          ps.setBytes(7, expected.ciphertext());
          if (ps.executeUpdate() == 0) {
            return false;
          }
          tx.audit(event);
          return true;
        });
  }

  // ---- tokens

  @Override
  public CompletionStage<Void> insertToken(TokenRecord record, AuditEvent event) {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          if (!insertToken(tx, record)) {
            throw duplicateOrConflict(tx, record);
          }
          tx.audit(event);
          return null;
        });
  }

  @Override
  public CompletionStage<InsertResult> insertTokenIfFingerprintAbsent(
      TokenRecord record,
      List<String> olderFingerprints,
      String successorKeyId,
      AuditEvent event,
      Instant now) {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(olderFingerprints, "olderFingerprints");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(now, "now");
    if (!record.deterministic()) {
      throw new IllegalArgumentException("record must be deterministic");
    }
    List<String> candidates = new ArrayList<>(1 + olderFingerprints.size());
    candidates.add(record.fingerprint());
    candidates.addAll(olderFingerprints);
    // Expired tokens this write replaces (their rows deleted), for the token cache.
    Queue<String> replaced = new ConcurrentLinkedQueue<>();
    CompletionStage<InsertResult> submitted = writer.submit(
        tx -> {
          // Inside the writer's transaction, which holds the database's write lock: the reads
          // below and the insert are one step for every other writer, on every process.
          for (String fingerprint : candidates) {
            Optional<TokenRecord> existing =
                deterministicToken(tx, record.namespace(), fingerprint);
            if (existing.isPresent()) {
              TokenRecord found = existing.get();
              if (!found.isExpiredAt(now)) {
                tx.audit(event.withToken(found.token().value()));
                return new InsertResult(found, false);
              }
              rememberDeletedToken(tx, found.token().value(), found.namespace().name());
              PreparedStatement delete = tx.prepare(Rows.DELETE_TOKEN);
              delete.setString(1, found.token().value());
              delete.executeUpdate();
              replaced.add(found.token().value());
            }
          }
          if (successorKeyId != null) {
            PreparedStatement successor = tx.prepare(Rows.DATA_KEY_EXISTS);
            successor.setString(1, successorKeyId);
            try (ResultSet rs = successor.executeQuery()) {
              if (rs.next()) {
                throw new StoreException.FingerprintKeySuperseded(successorKeyId);
              }
            }
          }
          if (!insertToken(tx, record)) {
            // Only reachable when another process committed the fingerprint in between (an
            // engine whose lock does not cover reads); the unique index kept it single.
            Optional<TokenRecord> winner =
                deterministicToken(tx, record.namespace(), record.fingerprint());
            if (winner.isPresent() && !winner.get().isExpiredAt(now)) {
              tx.audit(event.withToken(winner.get().token().value()));
              return new InsertResult(winner.get(), false);
            }
            throw duplicateOrConflict(tx, record);
          }
          tx.audit(event.withToken(record.token().value()));
          return new InsertResult(record, true);
        });
    return changingRows(replaced, submitted);
  }

  @Override
  public CompletionStage<List<DataKeyRecord>> listDataKeys(KeyPurpose purpose, Namespace namespace) {
    Objects.requireNonNull(purpose, "purpose");
    return read(
        r -> {
          PreparedStatement ps;
          if (namespace == null) {
            ps = r.prepare(Rows.SELECT_DATA_KEYS_BY_PURPOSE);
            ps.setString(1, purpose.name());
          } else {
            ps = r.prepare(Rows.SELECT_DATA_KEYS_IN_NAMESPACE);
            ps.setString(1, namespace.name());
            ps.setString(2, purpose.name());
          }
          List<DataKeyRecord> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(Rows.dataKey(rs, dialect));
            }
          }
          return List.copyOf(out);
        });
  }

  @Override
  public CompletionStage<Boolean> deleteDataKey(String keyId, AuditEvent event) {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          PreparedStatement ps = tx.prepare(Rows.DELETE_DATA_KEY);
          ps.setString(1, keyId);
          if (ps.executeUpdate() == 0) {
            return false;
          }
          tx.audit(event);
          return true;
        });
  }

  @Override
  public CompletionStage<TokenPage> listTokensByFingerprintVersion(
      Namespace namespace, int version, String cursor, int limit) {
    Objects.requireNonNull(namespace, "namespace");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    boolean byRowid = dialect.pagesTokensByRowid();
    long afterRowid = byRowid ? rowidCursor(cursor) : 0;
    return read(
        r -> {
          PreparedStatement ps;
          if (byRowid) {
            ps = r.prepare(Rows.SELECT_TOKENS_BY_FINGERPRINT_VERSION_ROWID);
            ps.setLong(3, afterRowid);
          } else {
            ps = r.prepare(Rows.SELECT_TOKENS_BY_FINGERPRINT_VERSION);
            ps.setString(3, cursor == null ? "" : cursor);
          }
          ps.setString(1, namespace.name());
          ps.setInt(2, version);
          ps.setInt(4, limit);
          List<TokenRecord> out = new ArrayList<>();
          long lastRowid = 0;
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(Rows.token(rs, dialect));
              if (byRowid) {
                lastRowid = rs.getLong("page_rowid");
              }
            }
          }
          if (out.size() < limit) {
            return new TokenPage(out, null);
          }
          return new TokenPage(
              out, byRowid ? Long.toString(lastRowid) : out.get(out.size() - 1).token().value());
        });
  }

  /** A rowid cursor this store returned (its text is a rowid), or 0 for the first page. */
  private static long rowidCursor(String cursor) {
    if (cursor == null) {
      return 0;
    }
    try {
      long rowid = Long.parseLong(cursor);
      if (rowid > 0) {
        return rowid;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("not a cursor this store returned");
  }

  @Override
  public CompletionStage<Map<Integer, Long>> countTokensByFingerprintVersion(
      Namespace namespace, int belowVersion) {
    Objects.requireNonNull(namespace, "namespace");
    return read(
        r -> {
          PreparedStatement ps = r.prepare(Rows.COUNT_TOKENS_BY_FINGERPRINT_VERSION);
          ps.setString(1, namespace.name());
          ps.setInt(2, belowVersion);
          try (ResultSet rs = ps.executeQuery()) {
            return Rows.countsByVersion(rs, "fingerprint_version");
          }
        });
  }

  @Override
  public CompletionStage<Boolean> refingerprintToken(
      Token token, String expected, String replacement, AuditEvent event) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(replacement, "replacement");
    Objects.requireNonNull(event, "event");
    return changingRows(List.of(token.value()), writer.submit(
        tx -> {
          // A deterministic token's uniqueness is the partial unique index on (namespace,
          // fingerprint): it moves with the row.
          PreparedStatement ps = tx.prepare(Rows.REFINGERPRINT_TOKEN);
          ps.setString(1, replacement);
          ps.setInt(2, FingerprintFormat.version(replacement));
          ps.setString(3, token.value());
          ps.setString(4, expected);
          if (ps.executeUpdate() == 0) {
            return false;
          }
          tx.audit(event);
          return true;
        }));
  }

  /**
   * With a {@link TokenRowCache}, a row found there completes at once, on the caller's thread;
   * otherwise on a reader thread, like every read.
   */
  @Override
  public CompletionStage<Optional<TokenRecord>> findToken(Token token) {
    Objects.requireNonNull(token, "token");
    String key = token.value();
    if (tokenRows == null) {
      return read(r -> r.findOne(Rows.SELECT_TOKEN, key, rs -> Rows.token(rs, dialect)));
    }
    TokenRecord cached = tokenRows.get(key);
    if (cached != null && !readerThreads.isShutdown()) {
      return CompletableFuture.completedFuture(Optional.of(cached));
    }
    return read(r -> {
      long stamp = tokenRows.stamp();
      Optional<TokenRecord> found =
          r.findOne(Rows.SELECT_TOKEN, key, rs -> Rows.token(rs, dialect));
      found.ifPresent(row -> tokenRows.offer(row, stamp));
      return found;
    });
  }

  @Override
  public CompletionStage<Boolean> deleteToken(Token token, Namespace namespace, AuditEvent event) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(event, "event");
    return changingRows(List.of(token.value()), writer.submit(
        tx -> {
          rememberDeletedToken(tx, token.value(), namespace.name());
          PreparedStatement ps = tx.prepare(Rows.DELETE_TOKEN_IN_NAMESPACE);
          ps.setString(1, token.value());
          ps.setString(2, namespace.name());
          if (ps.executeUpdate() == 0) {
            return false;
          }
          tx.audit(event);
          return true;
        }));
  }

  /** Token rows held in memory now (for tests); 0 without a cache. */
  long cachedTokenRows() {
    return tokenRows == null ? 0 : tokenRows.size();
  }

  /** Token lookups answered from memory so far (for metrics); 0 without a cache. */
  public long tokenCacheHits() {
    return tokenRows == null ? 0 : tokenRows.hits();
  }

  /**
   * Token lookups that found no row in memory and read the database (for metrics); 0 without a
   * cache.
   */
  public long tokenCacheMisses() {
    return tokenRows == null ? 0 : tokenRows.misses();
  }

  /**
   * A write that may change or delete the rows of {@code tokens} (filled in by the write itself
   * when it only finds them inside its transaction): once it completed, either way, the {@link
   * TokenRowCache} hears of each before the returned stage lets the caller go on.
   */
  private <T> CompletionStage<T> changingRows(
      Iterable<String> tokens, CompletionStage<T> submitted) {
    if (tokenRows == null) {
      return submitted;
    }
    return submitted.whenComplete((result, error) -> tokens.forEach(tokenRows::changing));
  }

  /**
   * Before a token's row is deleted: keeps its ref, which its audit events point at, findable by
   * its text (engines that find events by ref, {@link Dialect#auditEventsByTokenRef}).
   */
  private void rememberDeletedToken(GroupCommitWriter.WriteTx tx, String token, String namespace)
      throws SQLException {
    if (dialect.auditEventsByTokenRef()) {
      PreparedStatement ps = tx.prepare(Rows.REMEMBER_DELETED_TOKEN_REF);
      ps.setString(1, token);
      ps.setString(2, namespace);
      ps.executeUpdate();
    }
  }

  private boolean insertToken(GroupCommitWriter.WriteTx tx, TokenRecord record)
      throws SQLException {
    PreparedStatement ps = tx.prepare(Rows.INSERT_TOKEN);
    Rows.bindToken(ps, record, dialect);
    return ps.executeUpdate() == 1;
  }

  private Optional<TokenRecord> deterministicToken(
      GroupCommitWriter.WriteTx tx, Namespace namespace, String fingerprint) throws SQLException {
    PreparedStatement ps = tx.prepare(Rows.SELECT_DETERMINISTIC);
    ps.setString(1, namespace.name());
    ps.setString(2, fingerprint);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(Rows.token(rs, dialect)) : Optional.empty();
    }
  }

  private static StoreException duplicateOrConflict(
      GroupCommitWriter.WriteTx tx, TokenRecord record) throws SQLException {
    PreparedStatement ps = tx.prepare(Rows.TOKEN_EXISTS);
    ps.setString(1, record.token().value());
    try (ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        return new StoreException.DuplicateToken(record.token().value());
      }
    }
    return new StoreException("a deterministic token already exists for this fingerprint", null);
  }

  // ---- audit

  @Override
  public CompletionStage<Void> append(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          tx.audit(event);
          return null;
        });
  }

  /**
   * Events oldest first; the time range is {@code from} inclusive, {@code to} exclusive.
   *
   * <p>By token, on an engine that finds events by their token's row ({@link
   * Dialect#auditEventsByTokenRef}), one statement (one snapshot) reads three branches, each an
   * ordered scan of an index that stops at the limit, and keeps the first {@code limit} of them:
   * events pointing at the token's current row, at rows it had before a delete ({@code
   * deleted_token_refs}), and events written while the token was not stored (indexed by text).
   * Every branch also matches the token text, so a ref reused after a delete cannot mix tokens, and
   * an event two branches both find is returned once.
   */
  @Override
  public CompletionStage<List<StoredAuditEvent>> query(AuditQuery query) {
    Objects.requireNonNull(query, "query");
    AuditSql sql = auditSql(query, dialect.auditEventsByTokenRef());
    return read(
        r -> {
          PreparedStatement ps = r.prepare(sql.text());
          sql.bind(ps, dialect);
          List<StoredAuditEvent> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(Rows.auditEvent(rs, dialect));
            }
          }
          return List.copyOf(out);
        });
  }

  /** An audit query's statement and its arguments, in order. */
  record AuditSql(String text, List<Object> args) {
    void bind(PreparedStatement ps, Dialect dialect) throws SQLException {
      for (int i = 0; i < args.size(); i++) {
        Object arg = args.get(i);
        if (arg instanceof Instant instant) {
          dialect.setInstant(ps, i + 1, instant);
        } else if (arg instanceof Long l) {
          ps.setLong(i + 1, l);
        } else if (arg instanceof Integer n) {
          ps.setInt(i + 1, n);
        } else {
          ps.setString(i + 1, (String) arg);
        }
      }
    }
  }

  /** The statement for {@code query}; {@code byTokenRef}: see {@link #query}. */
  static AuditSql auditSql(AuditQuery query, boolean byTokenRef) {
    StringBuilder filters = new StringBuilder(" AND seq > ?");
    List<Object> filterArgs = new ArrayList<>();
    filterArgs.add(query.afterSequence());
    filter(filters, filterArgs, "event_name = ?", query.eventName());
    filter(filters, filterArgs, "principal = ?", query.principal());
    filter(filters, filterArgs, "client_id = ?", query.clientId());
    filter(filters, filterArgs, "outcome = ?", query.outcome() == null ? null : query.outcome().name());
    filter(filters, filterArgs, "event_time >= ?", query.from());
    filter(filters, filterArgs, "event_time < ?", query.to());
    StringBuilder sql = new StringBuilder();
    List<Object> args = new ArrayList<>();
    if (query.token() != null && byTokenRef) {
      String[] branches = {
        "token_ref = (SELECT ref FROM tokens WHERE token = ?)",
        "token_ref IN (SELECT ref FROM deleted_token_refs WHERE token = ?)",
        "token_ref IS NULL AND token = ?"
      };
      sql.append("SELECT * FROM (");
      for (int i = 0; i < branches.length; i++) {
        if (i > 0) {
          sql.append(" UNION "); // not ALL: a token re-created on its old row number is read once
        }
        sql.append("SELECT * FROM (SELECT * FROM audit_events WHERE ")
            .append(branches[i])
            .append(" AND token = ?")
            .append(filters)
            .append(" ORDER BY seq LIMIT ?)");
        args.add(query.token());
        args.add(query.token());
        args.addAll(filterArgs);
        args.add(query.limit());
      }
      sql.append(") ORDER BY seq LIMIT ?");
    } else {
      sql.append("SELECT * FROM audit_events WHERE ").append(filters.substring(" AND ".length()));
      args.addAll(filterArgs);
      filter(sql, args, "token = ?", query.token());
      sql.append(" ORDER BY seq LIMIT ?");
    }
    args.add(query.limit());
    return new AuditSql(sql.toString(), List.copyOf(args));
  }

  private static void filter(StringBuilder sql, List<Object> args, String clause, Object value) {
    if (value != null) {
      sql.append(" AND ").append(clause);
      args.add(value);
    }
  }

  // ---- payments

  @Override
  public CompletionStage<PaymentInsert> insertPaymentIfAbsent(Payment payment, AuditEvent event) {
    Objects.requireNonNull(payment, "payment");
    Objects.requireNonNull(event, "event");
    return writer.submit(
        tx -> {
          PreparedStatement ps = tx.prepare(Rows.INSERT_PAYMENT);
          Rows.bindPayment(ps, payment, dialect);
          if (ps.executeUpdate() == 1) {
            tx.audit(event);
            return new PaymentInsert(payment, true);
          }
          return paymentByKey(
                  tx.prepare(Rows.SELECT_PAYMENT_BY_KEY),
                  payment.clientId(),
                  payment.idempotencyKey())
              .map(existing -> new PaymentInsert(existing, false))
              .orElseThrow(
                  () -> new StoreException("payment id already exists: " + payment.id(), null));
        });
  }

  @Override
  public CompletionStage<Optional<Payment>> findPayment(String id) {
    Objects.requireNonNull(id, "id");
    return read(r -> r.findOne(Rows.SELECT_PAYMENT, id, rs -> Rows.payment(rs, dialect)));
  }

  /**
   * Read first on a reader, which is cheap and is the answer when nothing is stored. A payment a
   * reader finds may be one another request committed and whose log sync is still under way, so
   * a crash could still lose it: it is read again on the writer, whose answer waits for the sync
   * of the batch it ran in (the path of a retry only).
   */
  @Override
  public CompletionStage<Optional<Payment>> findPaymentByIdempotencyKey(
      String clientId, String idempotencyKey) {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    return read(r -> paymentByKey(r.prepare(Rows.SELECT_PAYMENT_BY_KEY), clientId, idempotencyKey))
        .thenCompose(
            seen ->
                seen.isEmpty()
                    ? CompletableFuture.completedFuture(seen)
                    : writer.submit(
                        tx ->
                            paymentByKey(
                                tx.prepare(Rows.SELECT_PAYMENT_BY_KEY), clientId, idempotencyKey)));
  }

  private Optional<Payment> paymentByKey(PreparedStatement select, String clientId, String key)
      throws SQLException {
    select.setString(1, clientId);
    select.setString(2, key);
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? Optional.of(Rows.payment(rs, dialect)) : Optional.empty();
    }
  }

  // ---- lifecycle

  /**
   * Stops taking writes, commits everything already queued, then closes the connections. Every
   * write whose future completed normally is durable; writes submitted afterwards fail.
   */
  @Override
  public void close() {
    writer.close();
    readerThreads.shutdown();
    completer.shutdown();
    boolean interrupted = awaitQuietly(readerThreads) | awaitQuietly(completer);
    for (Reader r : readers) {
      closeQuietly(r);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs {@code op} on the writer, inside its transaction (tests and engine-specific hooks). */
  <T> CompletableFuture<T> write(GroupCommitWriter.Op<T> op) {
    return writer.submit(op);
  }

  /** Runs {@code op} on the writer between two transactions (engine-specific maintenance). */
  <T> CompletableFuture<T> betweenBatches(GroupCommitWriter.Op<T> op) {
    return writer.submitBetweenBatches(op);
  }

  /** Transactions the writer committed so far. */
  long committedBatches() {
    return writer.committedBatches();
  }

  /** The writer's counters since the store opened: batches, operations, time in COMMIT. */
  public WriterStats writerStats() {
    return writer.stats();
  }

  // ---- reads

  @FunctionalInterface
  interface ReadOp<T> {
    T apply(Reader reader) throws SQLException;
  }

  @FunctionalInterface
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private <T> CompletionStage<T> read(ReadOp<T> op) {
    CompletableFuture<T> future = new CompletableFuture<>();
    try {
      readerThreads.execute(
          () -> {
            try {
              future.complete(readWithRetry(op));
            } catch (SQLException e) {
              future.completeExceptionally(new StoreException("read failed", e));
            } catch (StoreException e) {
              future.completeExceptionally(e);
            } catch (RuntimeException e) {
              future.completeExceptionally(new StoreException("read failed", e));
            }
          });
    } catch (RejectedExecutionException e) {
      future.completeExceptionally(new StoreException("store is closed", e));
    }
    return future;
  }

  /**
   * Runs {@code op} on a reader connection. A pooled connection the server dropped while it sat in
   * the pool fails the read; reads change nothing, so it is run again on another connection (the
   * pool evicts the dead one when it is given back), up to one more connection than the pool holds:
   * after a server restart every pooled connection may be dead.
   */
  private <T> T readWithRetry(ReadOp<T> op) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      Reader reader = acquireReader();
      try {
        return op.apply(reader);
      } catch (SQLException e) {
        if (readMode != ReadConnections.POOLED
            || attempt >= connectionAttempts
            || reader.isValid()) {
          throw e;
        }
        LOG.warn("A pooled read connection was lost; reading again on another", e);
      } finally {
        releaseReader(reader);
      }
    }
  }

  private Reader acquireReader() throws SQLException {
    if (readMode == ReadConnections.HELD) {
      // As many connections as threads: one is always free.
      return readers.poll();
    }
    Connection c = connections.open();
    try {
      dialect.configureReader(c);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
    return new Reader(c);
  }

  private void releaseReader(Reader reader) {
    if (readMode == ReadConnections.HELD) {
      readers.add(reader);
    } else {
      // Back to the pool; its driver keeps the server-side prepared statements.
      closeQuietly(reader);
    }
  }

  /** A reader connection with its prepared statements; used by one thread at a time. */
  static final class Reader implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Reader(Connection connection) {
      this.connection = connection;
    }

    PreparedStatement prepare(String sql) throws SQLException {
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = connection.prepareStatement(sql);
        statements.put(sql, ps);
      }
      return ps;
    }

    boolean isValid() {
      try {
        return connection.isValid(GroupCommitWriter.VALIDATION_TIMEOUT_SECONDS);
      } catch (SQLException e) {
        return false;
      }
    }

    <T> Optional<T> findOne(String sql, String key, RowMapper<T> mapper) throws SQLException {
      PreparedStatement ps = prepare(sql);
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(mapper.map(rs)) : Optional.empty();
      }
    }

    @Override
    public void close() throws SQLException {
      for (PreparedStatement ps : statements.values()) {
        ps.close();
      }
      connection.close();
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static boolean awaitQuietly(ExecutorService executor) {
    try {
      while (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
        LOG.warn("Still waiting for store threads to finish");
      }
      return false;
    } catch (InterruptedException e) {
      return true;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("Closing a store connection failed", e);
    }
  }
}
