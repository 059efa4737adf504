package dev.tokenvault.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AuditEventTest {
  private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456789Z");

  private static RequestContext actor() {
    return new RequestContext(
        "alice", "pos-client", List.of("tokens:write", "tokens:read"), "192.0.2.10",
        "curl/8.0", "CN=pos-1,O=Shop", "req-1");
  }

  /** A fully populated event, not yet chained. */
  private static AuditEvent.Builder event(int i) {
    return AuditEvent.builder(AuditAction.TOKENIZE, actor(), T0.plusSeconds(i))
        .namespace("shop-1")
        .token("tok_AAAAAAAAAAAAAAAAAAAAA" + i)
        .key("dk_key" + i, i)
        .encryptionContext(Map.of("tokenvault:namespace", "shop-1", "tokenvault:purpose", "record"))
        .outcome(Outcome.SUCCESS, null);
  }

  private static List<AuditEvent> chainOf(int n) {
    List<AuditEvent> chain = new ArrayList<>();
    String previous = AuditEvent.GENESIS;
    for (int i = 0; i < n; i++) {
      AuditEvent e = event(i).build().chain(previous);
      chain.add(e);
      previous = e.hash();
    }
    return chain;
  }

  /**
   * Hashes computed by the first implementation (MessageDigest per call, ByteArrayOutputStream,
   * Instant.toString): stored chains must keep verifying, so the encoding may never drift.
   */
  @Test
  void hashWhenKnownEventsThenTheSameAsTheFirstImplementation() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("2026-11-23T20:04:13Z",
        "d9ea0a35bb8da6be0f47929f5f3cb4fdbfdfc96a53aebcfc8e17bba044d66825");
    expected.put("2026-11-23T20:04:13.100Z",
        "e2f78f24807ceddf0863f930b09e61373c4a837ecd4d27fa7340b14962c38af8");
    expected.put("2026-11-23T20:04:13.123456Z",
        "ca0814cacd96943690a33f79f7a5042f8313224142fbc4af04a909755935d248");
    expected.put("2026-11-23T20:04:13.123456789Z",
        "1ed44c131ffb8d48f6075bd4d07835b1d2c93d4425678f39edc2b4b08460a938");
    expected.put("1970-01-01T00:00:00Z",
        "475f5d69bd5de703651271dad5cea20733775100cdb9c66af2d371f762cabcd3");
    expected.put("0001-01-01T00:00:00.000001Z",
        "d7ebb89a0d622e1f11f4ae8e0138398015cd8a982108d88a1ee2f80c4629b979");
    expected.forEach((time, hash) -> assertThat(knownEvent(time).chain(AuditEvent.GENESIS).hash())
        .as(time).isEqualTo(hash));
  }

  private static AuditEvent knownEvent(String time) {
    RequestContext actor = new RequestContext("s\u00e9rvice-\u00f8", "merchant-a",
        List.of("payments.tokenize", "payments.read"), "203.0.113.7",
        "Agent/1.0 (\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac; \ud83d\ude80)", null,
        "req-0001");
    return new AuditEvent("3f1c2a9e-0000-4000-8000-000000000001", Instant.parse(time),
        "Detokenize", actor, "default", "tok_abc", "dk_1", 7,
        Map.of("purpose", "record", "namespace", "default"), Outcome.SUCCESS, null, null, null);
  }

  @Test
  void hashWhenSparseEventAfterAnotherThenTheSameAsTheFirstImplementation() {
    AuditEvent e = new AuditEvent("id-2", Instant.parse("2026-01-02T03:04:05.006Z"), "Tokenize",
        new RequestContext("p", null, List.of(), null, "", null, "r"), null, null, null, null,
        Map.of(), Outcome.DENIED, "scope_missing", null, null);

    assertThat(e.chain("ab".repeat(32)).hash())
        .isEqualTo("fa497ad19b0dd7b2bb6f582ad77ae355a5779d8a55894aefd7a9e8971c08f28e");
  }

  /** The event time is written by hand; it must be Instant.toString's text, byte for byte. */
  @Test
  void canonicalTimeWhenAnyInstantThenInstantToStringsBytes() {
    SplittableRandom random = new SplittableRandom(20261123);
    List<Instant> instants = new ArrayList<>(List.of(
        Instant.EPOCH, Instant.ofEpochSecond(-1), Instant.ofEpochSecond(0, 1),
        Instant.parse("2000-02-29T23:59:59.999Z"), Instant.parse("2024-02-29T00:00:00Z"),
        Instant.parse("2100-03-01T00:00:00Z"), Instant.parse("1999-12-31T23:59:59.999999999Z"),
        Instant.ofEpochSecond(AuditEvent.Canonical.LAST_FOUR_DIGIT_SECOND, 999_999_999),
        Instant.ofEpochSecond(AuditEvent.Canonical.LAST_FOUR_DIGIT_SECOND + 1),
        Instant.parse("0001-01-01T00:00:00Z"), Instant.MIN, Instant.MAX));
    for (int i = 0; i < 200_000; i++) {
      long second = random.nextLong(-100_000_000_000L, 300_000_000_000L);
      int nano = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1_000) * 1_000_000;
        case 2 -> random.nextInt(1_000_000) * 1_000;
        default -> random.nextInt(1_000_000_000);
      };
      instants.add(Instant.ofEpochSecond(second, nano));
    }
    for (Instant t : instants) {
      AuditEvent.Canonical fast = new AuditEvent.Canonical();
      fast.instant(t);
      byte[] text = t.toString().getBytes(StandardCharsets.US_ASCII);
      byte[] expected = new byte[5 + text.length];
      expected[4] = (byte) text.length;
      System.arraycopy(text, 0, expected, 5, text.length);
      assertThat(fast.toByteArray()).as("%s", t).isEqualTo(expected);
    }
  }

  @Test
  void chainOfFive_verifies() {
    List<AuditEvent> chain = chainOf(5);

    assertThat(chain.get(0).previousHash()).isEqualTo(AuditEvent.GENESIS);
    for (int i = 0; i < chain.size(); i++) {
      assertThat(chain.get(i).verifyHash()).as("event %d", i).isTrue();
      assertThat(chain.get(i).hash()).matches("[0-9a-f]{64}");
      if (i > 0) {
        assertThat(chain.get(i).previousHash()).isEqualTo(chain.get(i - 1).hash());
      }
    }
  }

  @Test
  void unchainedEvent_doesNotVerify() {
    AuditEvent e = event(0).build();
    assertThat(e.previousHash()).isNull();
    assertThat(e.hash()).isNull();
    assertThat(e.verifyHash()).isFalse();
  }

  @Test
  void builder_givesFreshIds() {
    assertThat(event(0).build().eventId()).isNotEqualTo(event(0).build().eventId());
  }

  @Test
  void editingAnyField_breaksTheHash() throws Exception {
    AuditEvent original = chainOf(5).get(2);
    List<String> undetected = new ArrayList<>();
    for (AuditEvent edited : editsOf(original)) {
      if (edited.verifyHash()) {
        undetected.add(describeDifference(original, edited));
      }
    }
    assertThat(undetected).as("edits that still verify").isEmpty();
  }

  @Test
  void relinkingToAnotherPredecessor_breaksTheHash() {
    List<AuditEvent> chain = chainOf(3);
    AuditEvent moved =
        new AuditEvent(chain.get(2).eventId(), chain.get(2).eventTime(), chain.get(2).eventName(),
            chain.get(2).actor(), chain.get(2).namespace(), chain.get(2).token(), chain.get(2).keyId(),
            chain.get(2).keyVersion(), chain.get(2).encryptionContext(), chain.get(2).outcome(),
            chain.get(2).errorCode(), chain.get(0).hash(), chain.get(2).hash());
    assertThat(moved.verifyHash()).isFalse();
  }

  @Test
  void withToken_keepsTheOldHash_soTheEditIsDetected() {
    AuditEvent e = chainOf(1).get(0);
    assertThat(e.withToken("tok_BBBBBBBBBBBBBBBBBBBBBB").verifyHash()).isFalse();
  }

  @Test
  void canonicalBytes_differWhenAnyFieldDiffers() throws Exception {
    AuditEvent original = event(1).build();
    List<String> same = new ArrayList<>();
    for (AuditEvent edited : editsOf(original)) {
      if (Arrays.equals(original.canonicalBytes(), edited.canonicalBytes())) {
        same.add(describeDifference(original, edited));
      }
    }
    assertThat(same).isEmpty();
  }

  @Test
  void canonicalBytes_excludeTheHashes() {
    AuditEvent e = event(1).build();
    assertThat(e.chain(AuditEvent.GENESIS).canonicalBytes()).isEqualTo(e.canonicalBytes());
  }

  @Test
  void canonicalBytes_distinguishNullFromEmpty() {
    RequestContext nullActor = new RequestContext("alice", null, List.of(), null, null, null, "req-1");
    AuditEvent base =
        AuditEvent.builder(AuditAction.DETOKENIZE, nullActor, T0).outcome(Outcome.DENIED, null).build();
    List<AuditEvent> withEmpty =
        List.of(
            copy(base, "namespace", ""),
            copy(base, "token", ""),
            copy(base, "keyId", ""),
            copy(base, "errorCode", ""),
            copy(base, "keyVersion", 0),
            copy(base, "actor", new RequestContext("alice", "", List.of(), null, null, null, "req-1")),
            copy(base, "actor", new RequestContext("alice", null, List.of(), "", null, null, "req-1")),
            copy(base, "actor", new RequestContext("alice", null, List.of(), null, "", null, "req-1")),
            copy(base, "actor", new RequestContext("alice", null, List.of(), null, null, "", "req-1")));
    for (int i = 0; i < withEmpty.size(); i++) {
      assertThat(withEmpty.get(i).canonicalBytes())
          .as("%s: null vs empty", describeDifference(base, withEmpty.get(i)))
          .isNotEqualTo(base.canonicalBytes());
    }
  }

  @Test
  void canonicalBytes_areUnambiguousAcrossFieldBoundaries() {
    AuditEvent a = event(1).namespace("ab").token("c").build();
    AuditEvent b = copy(copy(a, "namespace", "a"), "token", "bc");
    assertThat(a.canonicalBytes()).isNotEqualTo(b.canonicalBytes());

    AuditEvent c = event(1).encryptionContext(Map.of("ab", "c")).build();
    AuditEvent d = copy(c, "encryptionContext", Map.of("a", "bc"));
    assertThat(c.canonicalBytes()).isNotEqualTo(d.canonicalBytes());

    AuditEvent noContextCodeX = event(1).encryptionContext(Map.of()).outcome(Outcome.DENIED, "x").build();
    AuditEvent contextSwallowsCode =
        copy(copy(noContextCodeX, "encryptionContext", Map.of("DENIED", "x")), "errorCode", null);
    assertThat(noContextCodeX.canonicalBytes()).isNotEqualTo(contextSwallowsCode.canonicalBytes());
  }

  /** Scopes are a list: two scopes and one scope containing a space are different grants. */
  @Test
  void canonicalBytesWhenScopesSplitDifferentlyThenDiffer() {
    AuditEvent two = copy(event(1).build(), "actor", withScopes(List.of("a", "b")));
    AuditEvent one = copy(two, "actor", withScopes(List.of("a b")));
    AuditEvent none = copy(two, "actor", withScopes(List.of()));
    AuditEvent empty = copy(two, "actor", withScopes(List.of("")));

    assertThat(two.canonicalBytes()).isNotEqualTo(one.canonicalBytes());
    assertThat(none.canonicalBytes()).isNotEqualTo(empty.canonicalBytes());
  }

  @Test
  void encryptionContext_isOrderIndependentAndCopied() {
    Map<String, String> m1 = new LinkedHashMap<>();
    m1.put("b", "2");
    m1.put("a", "1");
    Map<String, String> m2 = new LinkedHashMap<>();
    m2.put("a", "1");
    m2.put("b", "2");
    AuditEvent e1 = event(1).encryptionContext(m1).build();
    AuditEvent e2 = copy(e1, "encryptionContext", m2);
    m1.put("c", "3");

    assertThat(e1.canonicalBytes()).isEqualTo(e2.canonicalBytes());
    assertThat(e1.encryptionContext()).containsOnlyKeys("a", "b");
  }

  // ---- helpers: rebuild a record with one component changed, keeping both hashes ----

  private static RequestContext withScopes(List<String> scopes) {
    RequestContext a = actor();
    return new RequestContext(a.principal(), a.clientId(), scopes, a.sourceIp(), a.userAgent(),
        a.clientCertSubject(), a.requestId());
  }

  /** Every single-field edit of {@code e}: each content field, and each field of its actor. */
  private static List<AuditEvent> editsOf(AuditEvent e) throws Exception {
    List<AuditEvent> edits = new ArrayList<>();
    for (RecordComponent c : AuditEvent.class.getRecordComponents()) {
      String name = c.getName();
      if (name.equals("previousHash") || name.equals("hash")) {
        continue;
      }
      Object value = c.getAccessor().invoke(e);
      if (value instanceof RequestContext actor) {
        for (RequestContext changed : editsOf(actor)) {
          edits.add(copy(e, name, changed));
        }
      } else {
        edits.add(copy(e, name, alternative(value, c.getType())));
      }
    }
    assertThat(edits).hasSize(10 + 7);
    return edits;
  }

  private static List<RequestContext> editsOf(RequestContext r) throws Exception {
    List<RequestContext> edits = new ArrayList<>();
    RecordComponent[] cs = RequestContext.class.getRecordComponents();
    for (int i = 0; i < cs.length; i++) {
      Object[] args = new Object[cs.length];
      for (int j = 0; j < cs.length; j++) {
        args[j] = cs[j].getAccessor().invoke(r);
      }
      args[i] = alternative(args[i], cs[i].getType());
      edits.add(construct(RequestContext.class, cs, args));
    }
    return edits;
  }

  private static Object alternative(Object value, Class<?> type) {
    if (type == String.class) {
      return value == null ? "x" : value + "x";
    }
    if (type == Instant.class) {
      return ((Instant) value).plusNanos(1);
    }
    if (type == Integer.class) {
      return value == null ? 1 : (Integer) value + 1;
    }
    if (type == Outcome.class) {
      return value == Outcome.SUCCESS ? Outcome.ERROR : Outcome.SUCCESS;
    }
    if (type == Map.class) {
      Map<String, String> m = new LinkedHashMap<>();
      @SuppressWarnings("unchecked")
      Map<String, String> old = (Map<String, String>) value;
      m.putAll(old);
      m.put("zz-extra", "1");
      return m;
    }
    if (type == List.class) {
      List<Object> l = new ArrayList<>((List<?>) value);
      l.add("extra:scope");
      return l;
    }
    throw new AssertionError("no alternative for a " + type + ": extend the test for the new field");
  }

  static AuditEvent copy(AuditEvent e, String field, Object newValue) {
    try {
      RecordComponent[] cs = AuditEvent.class.getRecordComponents();
      Object[] args = new Object[cs.length];
      boolean found = false;
      for (int i = 0; i < cs.length; i++) {
        if (cs[i].getName().equals(field)) {
          args[i] = newValue;
          found = true;
        } else {
          args[i] = cs[i].getAccessor().invoke(e);
        }
      }
      assertThat(found).as("field %s exists", field).isTrue();
      return construct(AuditEvent.class, cs, args);
    } catch (ReflectiveOperationException ex) {
      throw new AssertionError(ex);
    }
  }

  private static <T> T construct(Class<T> type, RecordComponent[] cs, Object[] args)
      throws ReflectiveOperationException {
    Class<?>[] types = Arrays.stream(cs).map(RecordComponent::getType).toArray(Class<?>[]::new);
    Constructor<T> ctor = type.getDeclaredConstructor(types);
    return ctor.newInstance(args);
  }

  private static String describeDifference(AuditEvent a, AuditEvent b) {
    try {
      for (RecordComponent c : AuditEvent.class.getRecordComponents()) {
        Object x = c.getAccessor().invoke(a);
        Object y = c.getAccessor().invoke(b);
        if (!java.util.Objects.equals(x, y)) {
          if (x instanceof RequestContext rx) {
            for (RecordComponent rc : RequestContext.class.getRecordComponents()) {
              if (!java.util.Objects.equals(rc.getAccessor().invoke(rx), rc.getAccessor().invoke(y))) {
                return "actor." + rc.getName();
              }
            }
          }
          return c.getName();
        }
      }
      return "(no difference)";
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
