package dev.tokenvault.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenvault.core.audit.AuditEvent;
import dev.tokenvault.core.audit.Outcome;
import dev.tokenvault.core.audit.RequestContext;
import dev.tokenvault.core.audit.StoredAuditEvent;
import dev.tokenvault.core.keys.WrappedKey;
import dev.tokenvault.core.payment.Payment;
import dev.tokenvault.core.payment.PaymentStatus;
import dev.tokenvault.core.store.DataKeyRecord;
import dev.tokenvault.core.store.FingerprintFormat;
import dev.tokenvault.core.store.KeyPurpose;
import dev.tokenvault.core.store.StoreException;
import dev.tokenvault.core.store.TokenRecord;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.value.Token;
import dev.tokenvault.core.value.ValueType;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Map;

/**
 * The statements and the row mapping of every table, shared by all engines. Enums are stored by
 * name, maps and lists as JSON text, times through {@link Dialect}.
 */
final class Rows {
  private Rows() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};

  // ---- data keys

  static final String INSERT_DATA_KEY =
      "INSERT INTO data_keys (key_id, namespace, purpose, kek_id, kek_version, wrapped, created_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
  static final String SELECT_DATA_KEY = "SELECT * FROM data_keys WHERE key_id = ?";
  static final String SELECT_DATA_KEYS_UNDER =
      "SELECT * FROM data_keys WHERE kek_id = ? AND kek_version = ? AND key_id > ?"
          + " ORDER BY key_id LIMIT ?";
  static final String COUNT_DATA_KEYS_BY_VERSION =
      "SELECT kek_version, COUNT(*) AS n FROM data_keys WHERE kek_id = ? GROUP BY kek_version";
  /** Conditional on the whole old wrapping, so two rewrappers never both win. */
  static final String REWRAP_DATA_KEY =
      "UPDATE data_keys SET kek_id = ?, kek_version = ?, wrapped = ?"
          + " WHERE key_id = ? AND kek_id = ? AND kek_version = ? AND wrapped = ?";

  static final String SELECT_DATA_KEYS_BY_PURPOSE =
      "SELECT * FROM data_keys WHERE purpose = ? ORDER BY namespace, key_id";
  static final String SELECT_DATA_KEYS_IN_NAMESPACE =
      "SELECT * FROM data_keys WHERE namespace = ? AND purpose = ? ORDER BY key_id";
  static final String DATA_KEY_EXISTS = "SELECT 1 FROM data_keys WHERE key_id = ?";
  static final String DELETE_DATA_KEY = "DELETE FROM data_keys WHERE key_id = ?";

  static void bindDataKey(PreparedStatement ps, DataKeyRecord k, Dialect d) throws SQLException {
    ps.setString(1, k.keyId());
    ps.setString(2, k.namespace().name());
    ps.setString(3, k.purpose().name());
    ps.setString(4, k.wrapped().kekId());
    ps.setInt(5, k.wrapped().kekVersion());
    ps.setBytes(6, k.wrapped().ciphertext());
    d.setInstant(ps, 7, k.createdAt());
  }

  static DataKeyRecord dataKey(ResultSet rs, Dialect d) throws SQLException {
    return new DataKeyRecord(
        d.getText(rs, "key_id"),
        new Namespace(d.getText(rs, "namespace")),
        KeyPurpose.valueOf(d.getText(rs, "purpose")),
        new WrappedKey(d.getText(rs, "kek_id"), rs.getInt("kek_version"), rs.getBytes("wrapped")),
        d.getInstant(rs, "created_at"));
  }

  // ---- tokens

  static final String INSERT_TOKEN =
      "INSERT INTO tokens (token, namespace, type, ciphertext, key_id, fingerprint, deterministic,"
          + " last4, bin, scheme, created_at, expires_at, metadata, fingerprint_version)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
  static final String SELECT_TOKEN = "SELECT * FROM tokens WHERE token = ?";
  static final String TOKEN_EXISTS = "SELECT 1 FROM tokens WHERE token = ?";
  static final String SELECT_DETERMINISTIC =
      "SELECT * FROM tokens WHERE namespace = ? AND fingerprint = ? AND deterministic = 1";
  static final String DELETE_TOKEN = "DELETE FROM tokens WHERE token = ?";
  /**
   * PostgreSQL, served by index tokens_fingerprint_version (namespace, fingerprint_version, token):
   * one version's range, already in token order. The cursor is the last token of the page.
   */
  static final String SELECT_TOKENS_BY_FINGERPRINT_VERSION =
      "SELECT * FROM tokens WHERE namespace = ? AND fingerprint_version = ? AND token > ?"
          + " ORDER BY token LIMIT ?";
  /**
   * SQLite, served by index tokens_fingerprint_version (namespace, fingerprint_version), whose
   * entries end with the rowid: one version's range in rowid order. The cursor is the last rowid.
   */
  static final String SELECT_TOKENS_BY_FINGERPRINT_VERSION_ROWID =
      "SELECT rowid AS page_rowid, * FROM tokens WHERE namespace = ? AND fingerprint_version = ?"
          + " AND rowid > ? ORDER BY rowid LIMIT ?";
  static final String COUNT_TOKENS_BY_FINGERPRINT_VERSION =
      "SELECT fingerprint_version, COUNT(*) AS n FROM tokens"
          + " WHERE namespace = ? AND fingerprint_version < ? GROUP BY fingerprint_version";
  /** Conditional on the old fingerprint, so a move happens once however many jobs run. */
  static final String REFINGERPRINT_TOKEN =
      "UPDATE tokens SET fingerprint = ?, fingerprint_version = ? WHERE token = ? AND fingerprint = ?";
  static final String DELETE_TOKEN_IN_NAMESPACE =
      "DELETE FROM tokens WHERE token = ? AND namespace = ?";

  static void bindToken(PreparedStatement ps, TokenRecord r, Dialect d) throws SQLException {
    ps.setString(1, r.token().value());
    ps.setString(2, r.namespace().name());
    ps.setString(3, r.type().name());
    ps.setBytes(4, r.ciphertext());
    ps.setString(5, r.dataKeyId());
    ps.setString(6, r.fingerprint());
    ps.setInt(7, r.deterministic() ? 1 : 0);
    ps.setString(8, r.last4());
    setNullableString(ps, 9, r.bin());
    setNullableString(ps, 10, r.scheme());
    d.setInstant(ps, 11, r.createdAt());
    d.setInstant(ps, 12, r.expiresAt());
    ps.setString(13, toJson(r.metadata()));
    ps.setInt(14, FingerprintFormat.version(r.fingerprint()));
  }

  /** Rows of {@code (<versionColumn>, n)} as version → count, ascending. */
  static Map<Integer, Long> countsByVersion(ResultSet rs, String versionColumn)
      throws SQLException {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    while (rs.next()) {
      out.put(rs.getInt(versionColumn), rs.getLong("n"));
    }
    return out;
  }

  static TokenRecord token(ResultSet rs, Dialect d) throws SQLException {
    return new TokenRecord(
        new Token(d.getText(rs, "token")),
        new Namespace(d.getText(rs, "namespace")),
        ValueType.valueOf(d.getText(rs, "type")),
        rs.getBytes("ciphertext"),
        d.getText(rs, "key_id"),
        d.getText(rs, "fingerprint"),
        rs.getInt("deterministic") == 1,
        d.getText(rs, "last4"),
        d.getText(rs, "bin"),
        d.getText(rs, "scheme"),
        d.getInstant(rs, "created_at"),
        d.getInstant(rs, "expires_at"),
        stringMap(d.getText(rs, "metadata")));
  }

  // ---- audit events

  static final String INSERT_AUDIT_EVENT =
      "INSERT INTO audit_events (event_id, event_time, event_name, principal, client_id, scopes,"
          + " source_ip, user_agent, client_cert_subject, request_id, namespace, token, key_id,"
          + " key_version, encryption_context, outcome, error_code, previous_hash, hash)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /**
   * {@link #INSERT_AUDIT_EVENT} that also records the ref of the event's token (null when the token
   * is not stored), for engines that find events by it (SQLite, migration V5). Parameter 12, the
   * token, is used twice; the binding is {@link #bindAuditEvent}'s.
   */
  static final String INSERT_AUDIT_EVENT_WITH_TOKEN_REF =
      "INSERT INTO audit_events (event_id, event_time, event_name, principal, client_id, scopes,"
          + " source_ip, user_agent, client_cert_subject, request_id, namespace, token, key_id,"
          + " key_version, encryption_context, outcome, error_code, previous_hash, hash, token_ref)"
          + " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
          + " ?18, ?19, (SELECT ref FROM tokens WHERE token = ?12))";

  /**
   * Keeps a token's ref findable by its text once its row is gone (SQLite, migration V5); run in the
   * delete's savepoint, with the delete's token and namespace.
   */
  static final String REMEMBER_DELETED_TOKEN_REF =
      "INSERT OR IGNORE INTO deleted_token_refs (token, ref) SELECT token, ref FROM tokens"
          + " WHERE token = ? AND namespace = ?";

  static void bindAuditEvent(PreparedStatement ps, AuditEvent e, Dialect d) throws SQLException {
    RequestContext a = e.actor();
    ps.setString(1, e.eventId());
    d.setInstant(ps, 2, e.eventTime());
    ps.setString(3, e.eventName());
    ps.setString(4, a.principal());
    setNullableString(ps, 5, a.clientId());
    ps.setString(6, toJson(a.scopes()));
    setNullableString(ps, 7, a.sourceIp());
    setNullableString(ps, 8, a.userAgent());
    setNullableString(ps, 9, a.clientCertSubject());
    ps.setString(10, a.requestId());
    setNullableString(ps, 11, e.namespace());
    setNullableString(ps, 12, e.token());
    setNullableString(ps, 13, e.keyId());
    if (e.keyVersion() == null) {
      ps.setNull(14, Types.INTEGER);
    } else {
      ps.setInt(14, e.keyVersion());
    }
    ps.setString(15, toJson(e.encryptionContext()));
    ps.setString(16, e.outcome().name());
    setNullableString(ps, 17, e.errorCode());
    ps.setString(18, e.previousHash());
    ps.setString(19, e.hash());
  }

  static StoredAuditEvent auditEvent(ResultSet rs, Dialect d) throws SQLException {
    RequestContext actor =
        new RequestContext(
            d.getText(rs, "principal"),
            d.getText(rs, "client_id"),
            stringList(d.getText(rs, "scopes")),
            d.getText(rs, "source_ip"),
            d.getText(rs, "user_agent"),
            d.getText(rs, "client_cert_subject"),
            d.getText(rs, "request_id"));
    int keyVersion = rs.getInt("key_version");
    Integer version = rs.wasNull() ? null : keyVersion;
    AuditEvent event =
        new AuditEvent(
            d.getText(rs, "event_id"),
            d.getInstant(rs, "event_time"),
            d.getText(rs, "event_name"),
            actor,
            d.getText(rs, "namespace"),
            d.getText(rs, "token"),
            d.getText(rs, "key_id"),
            version,
            stringMap(d.getText(rs, "encryption_context")),
            Outcome.valueOf(d.getText(rs, "outcome")),
            d.getText(rs, "error_code"),
            d.getText(rs, "previous_hash"),
            d.getText(rs, "hash"));
    return new StoredAuditEvent(rs.getLong("seq"), event);
  }

  // ---- payments

  static final String INSERT_PAYMENT =
      "INSERT INTO payments (id, namespace, token, masked_account, amount, currency, status,"
          + " decline_code, authorization_code, client_id, idempotency_key, request_hash,"
          + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
  static final String SELECT_PAYMENT = "SELECT * FROM payments WHERE id = ?";
  static final String SELECT_PAYMENT_BY_KEY =
      "SELECT * FROM payments WHERE client_id = ? AND idempotency_key = ?";

  static void bindPayment(PreparedStatement ps, Payment p, Dialect d) throws SQLException {
    ps.setString(1, p.id());
    ps.setString(2, p.namespace().name());
    ps.setString(3, p.token().value());
    ps.setString(4, p.maskedAccount());
    ps.setLong(5, p.amount());
    ps.setString(6, p.currency());
    ps.setString(7, p.status().name());
    setNullableString(ps, 8, p.declineCode());
    setNullableString(ps, 9, p.authorizationCode());
    ps.setString(10, p.clientId());
    ps.setString(11, p.idempotencyKey());
    ps.setString(12, p.requestHash());
    d.setInstant(ps, 13, p.createdAt());
  }

  static Payment payment(ResultSet rs, Dialect d) throws SQLException {
    return new Payment(
        d.getText(rs, "id"),
        new Namespace(d.getText(rs, "namespace")),
        new Token(d.getText(rs, "token")),
        d.getText(rs, "masked_account"),
        rs.getLong("amount"),
        d.getText(rs, "currency"),
        PaymentStatus.valueOf(d.getText(rs, "status")),
        d.getText(rs, "decline_code"),
        d.getText(rs, "authorization_code"),
        d.getText(rs, "client_id"),
        d.getText(rs, "idempotency_key"),
        d.getText(rs, "request_hash"),
        d.getInstant(rs, "created_at"));
  }

  // ---- helpers

  private static void setNullableString(PreparedStatement ps, int index, String value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.VARCHAR);
    } else {
      ps.setString(index, value);
    }
  }

  /**
   * JSON of a string map or string list. Written by hand because it runs for every audit row on
   * the writer thread (Jackson's generator set-up cost more than the row's SQL); read back with
   * Jackson, and tested to round-trip any string.
   */
  static String toJson(Object value) {
    if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        return "{}";
      }
      StringBuilder sb = new StringBuilder(32 * map.size()).append('{');
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        quote(sb, (String) e.getKey()).append(':');
        quote(sb, (String) e.getValue());
      }
      return sb.append('}').toString();
    }
    if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        return "[]";
      }
      StringBuilder sb = new StringBuilder(24 * list.size()).append('[');
      for (Object item : list) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        quote(sb, (String) item);
      }
      return sb.append(']').toString();
    }
    throw new StoreException("cannot encode a " + value.getClass() + " column as JSON", null);
  }

  private static StringBuilder quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }

  private static Map<String, String> stringMap(String json) throws SQLException {
    try {
      return json == null ? Map.of() : JSON.readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new SQLException("stored JSON column is not a string map", e);
    }
  }

  private static List<String> stringList(String json) throws SQLException {
    try {
      return json == null ? List.of() : JSON.readValue(json, STRING_LIST);
    } catch (JsonProcessingException e) {
      throw new SQLException("stored JSON column is not a string list", e);
    }
  }
}
