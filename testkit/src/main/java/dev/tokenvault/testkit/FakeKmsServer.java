package dev.tokenvault.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A <b>fake</b> AWS KMS: no AWS KMS can run here, so the adapter (keys-awskms) and the server's
 * end-to-end tests run against this small HTTP server speaking the KMS JSON 1.1 protocol ({@code X-Amz-Target: TrentService.*}, {@code
 * application/x-amz-json-1.1}, base64 blobs, errors as {@code {"__type": ...}}) for the
 * operations the vault uses: {@code GenerateDataKey}, {@code Decrypt}, {@code ReEncrypt}, {@code Encrypt}, {@code
 * DescribeKey}.
 *
 * <p>It behaves like KMS where the adapter depends on it: the encryption context is bound to the
 * ciphertext (AES-256-GCM, context as associated data), the blob names its key, a {@code Decrypt}
 * naming another key fails with {@code IncorrectKeyException}, a bad blob with {@code
 * InvalidCiphertextException}, responses carry the key ARN, requests must be SigV4-signed with
 * the fake access key. It is not KMS: its blob format is its own, it checks no signature, no
 * policy, no grant.
 *
 * <p>{@link #mode} makes it fail as KMS does in an outage (503, throttling) or answer for another
 * key than the one asked (a misbehaving endpoint).
 */
public final class FakeKmsServer implements AutoCloseable {
  public static final String REGION = "eu-west-1";
  public static final String ACCOUNT = "111122223333";
  public static final String ACCESS_KEY_ID = "AKIAFAKEKMSTESTONLY0";
  public static final String SECRET_ACCESS_KEY = "fake-secret-for-the-fake-kms-only";

  /** How the fake answers. */
  public enum Mode {
    UP,
    /** 503 KMSInternalException on every call, as during a KMS outage. */
    UNAVAILABLE,
    /** 400 ThrottlingException on every call. */
    THROTTLING,
    /** Answers normally but names another key in the response's KeyId. */
    WRONG_KEY_ID_IN_RESPONSE
  }

  private static final byte[] BLOB_MAGIC = "FKMS".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8);
  private final SecureRandom random = new SecureRandom();
  private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
  private final Map<String, String> aliases = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private volatile Mode mode = Mode.UP;

  public FakeKmsServer() throws IOException {
    // Without TCP_NODELAY every small response waits out the client's delayed ACK (~40 ms).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Creates a symmetric key and returns its ARN. */
  public String createKey() {
    String id = UUID.randomUUID().toString();
    String arn = "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + id;
    byte[] material = new byte[32];
    random.nextBytes(material);
    keys.put(arn, material);
    return arn;
  }

  /** Points {@code alias/<name>} at a key. */
  public void alias(String name, String keyArn) {
    aliases.put("alias/" + name, keyArn);
  }

  public void mode(Mode mode) {
    this.mode = mode;
  }

  /** How many calls of an operation (e.g. "Decrypt") the fake answered or refused. */
  public int calls(String operation) {
    AtomicInteger n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (target == null || !target.startsWith("TrentService.")) {
        error(exchange, 400, "UnknownOperationException", "no X-Amz-Target");
        return;
      }
      String operation = target.substring("TrentService.".length());
      calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
      if (!"POST".equals(exchange.getRequestMethod())
          || contentType == null
          || !contentType.startsWith("application/x-amz-json-1.1")) {
        error(exchange, 400, "SerializationException", "expected a JSON 1.1 POST");
        return;
      }
      if (auth == null
          || !auth.startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY_ID + "/")
          || !auth.contains("/" + REGION + "/kms/aws4_request")) {
        error(exchange, 400, "UnrecognizedClientException", "not signed with the fake credentials");
        return;
      }
      Mode now = mode;
      if (now == Mode.UNAVAILABLE) {
        error(exchange, 503, "KMSInternalException", "the fake KMS is down");
        return;
      }
      if (now == Mode.THROTTLING) {
        error(exchange, 400, "ThrottlingException", "Rate exceeded");
        return;
      }
      JsonNode request = JSON.readTree(body.length == 0 ? "{}".getBytes() : body);
      ObjectNode response;
      try {
        response =
            switch (operation) {
              case "GenerateDataKey" -> generateDataKey(request);
              case "Encrypt" -> encrypt(request);
              case "Decrypt" -> decrypt(request);
              case "ReEncrypt" -> reEncrypt(request);
              case "DescribeKey" -> describeKey(request);
              default -> throw new KmsError(400, "UnknownOperationException", operation);
            };
      } catch (KmsError e) {
        error(exchange, e.status, e.type, e.getMessage());
        return;
      }
      if (now == Mode.WRONG_KEY_ID_IN_RESPONSE && response.has("KeyId")) {
        response.put("KeyId", "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + UUID.randomUUID());
      }
      send(exchange, 200, JSON.writeValueAsBytes(response));
    } catch (RuntimeException e) {
      error(exchange, 500, "KMSInternalException", "fake KMS bug: " + e);
    }
  }

  private ObjectNode generateDataKey(JsonNode request) {
    String arn = resolve(text(request, "KeyId"));
    int bytes =
        request.has("NumberOfBytes")
            ? request.get("NumberOfBytes").asInt()
            : switch (text(request, "KeySpec")) {
              case "AES_256" -> 32;
              case "AES_128" -> 16;
              default -> throw new KmsError(400, "ValidationException", "KeySpec");
            };
    byte[] plaintext = new byte[bytes];
    random.nextBytes(plaintext);
    ObjectNode out = JSON.createObjectNode();
    out.put("CiphertextBlob", seal(arn, plaintext, context(request)));
    out.put("Plaintext", plaintext);
    out.put("KeyId", arn);
    return out;
  }

  private ObjectNode encrypt(JsonNode request) {
    String arn = resolve(text(request, "KeyId"));
    ObjectNode out = JSON.createObjectNode();
    out.put("CiphertextBlob", seal(arn, binary(request, "Plaintext"), context(request)));
    out.put("KeyId", arn);
    out.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return out;
  }

  private ObjectNode decrypt(JsonNode request) {
    Opened opened = open(binary(request, "CiphertextBlob"), text(request, "KeyId"), context(request));
    ObjectNode out = JSON.createObjectNode();
    out.put("KeyId", opened.arn);
    out.put("Plaintext", opened.plaintext);
    out.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return out;
  }

  /**
   * KMS ReEncrypt: decrypts under the source key and encrypts under the destination key inside
   * KMS; the plaintext never leaves it.
   */
  private ObjectNode reEncrypt(JsonNode request) {
    Opened opened =
        open(
            binary(request, "CiphertextBlob"),
            text(request, "SourceKeyId"),
            context(request, "SourceEncryptionContext"));
    String destination = resolve(text(request, "DestinationKeyId"));
    ObjectNode out = JSON.createObjectNode();
    out.put(
        "CiphertextBlob",
        seal(destination, opened.plaintext, context(request, "DestinationEncryptionContext")));
    java.util.Arrays.fill(opened.plaintext, (byte) 0);
    out.put("KeyId", destination);
    out.put("SourceKeyId", opened.arn);
    out.put("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    out.put("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return out;
  }

  private record Opened(String arn, byte[] plaintext) {}

  private Opened open(byte[] blob, String askedKeyId, Map<String, String> context) {
    ByteBuffer in = ByteBuffer.wrap(blob);
    String blobArn;
    byte[] iv = new byte[12];
    try {
      byte[] magic = new byte[BLOB_MAGIC.length];
      in.get(magic);
      int arnLength = in.getShort() & 0xffff;
      if (!java.util.Arrays.equals(magic, BLOB_MAGIC) || arnLength > in.remaining()) {
        throw new KmsError(400, "InvalidCiphertextException", null);
      }
      byte[] arnBytes = new byte[arnLength];
      in.get(arnBytes);
      blobArn = new String(arnBytes, StandardCharsets.UTF_8);
      in.get(iv);
    } catch (java.nio.BufferUnderflowException e) {
      throw new KmsError(400, "InvalidCiphertextException", null);
    }
    if (askedKeyId != null) {
      String asked = resolve(askedKeyId);
      if (!asked.equals(blobArn) && keys.containsKey(blobArn)) {
        throw new KmsError(
            400, "IncorrectKeyException", "The key ID in the request does not identify the key");
      }
    }
    byte[] material = keys.get(blobArn);
    if (material == null) {
      throw new KmsError(400, "InvalidCiphertextException", null);
    }
    byte[] sealed = new byte[in.remaining()];
    in.get(sealed);
    byte[] plaintext;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE, new SecretKeySpec(material, "AES"), new GCMParameterSpec(128, iv));
      cipher.updateAAD(aad(blobArn, context));
      plaintext = cipher.doFinal(sealed);
    } catch (GeneralSecurityException e) {
      throw new KmsError(400, "InvalidCiphertextException", null);
    }
    return new Opened(blobArn, plaintext);
  }

  private ObjectNode describeKey(JsonNode request) {
    String arn = resolve(text(request, "KeyId"));
    ObjectNode out = JSON.createObjectNode();
    ObjectNode meta = out.putObject("KeyMetadata");
    meta.put("Arn", arn);
    meta.put("KeyId", arn.substring(arn.indexOf("key/") + 4));
    meta.put("AWSAccountId", ACCOUNT);
    meta.put("Enabled", true);
    meta.put("KeyState", "Enabled");
    meta.put("KeySpec", "SYMMETRIC_DEFAULT");
    meta.put("KeyUsage", "ENCRYPT_DECRYPT");
    meta.put("KeyManager", "CUSTOMER");
    meta.put("Origin", "AWS_KMS");
    return out;
  }

  private String seal(String arn, byte[] plaintext, Map<String, String> context) {
    try {
      byte[] iv = new byte[12];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.get(arn), "AES"), new GCMParameterSpec(128, iv));
      cipher.updateAAD(aad(arn, context));
      byte[] sealed = cipher.doFinal(plaintext);
      byte[] arnBytes = arn.getBytes(StandardCharsets.UTF_8);
      ByteBuffer out = ByteBuffer.allocate(BLOB_MAGIC.length + 2 + arnBytes.length + 12 + sealed.length);
      out.put(BLOB_MAGIC).putShort((short) arnBytes.length).put(arnBytes).put(iv).put(sealed);
      return Base64.getEncoder().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The key ARN, the context's sorted entries, each length-prefixed. */
  private static byte[] aad(String arn, Map<String, String> context) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writePrefixed(out, arn);
    for (Map.Entry<String, String> e : context.entrySet()) {
      writePrefixed(out, e.getKey());
      writePrefixed(out, e.getValue());
    }
    return out.toByteArray();
  }

  private static void writePrefixed(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
    out.writeBytes(b);
  }

  /** A key ARN, key id, alias name or alias ARN → the key ARN; NotFoundException otherwise. */
  private String resolve(String keyId) {
    if (keyId == null) {
      throw new KmsError(400, "ValidationException", "KeyId is required");
    }
    if (keys.containsKey(keyId)) {
      return keyId;
    }
    String aliasName = keyId.contains(":alias/") ? keyId.substring(keyId.indexOf("alias/")) : keyId;
    String viaAlias = aliases.get(aliasName);
    if (viaAlias != null) {
      return viaAlias;
    }
    for (String arn : keys.keySet()) {
      if (arn.endsWith(":key/" + keyId)) {
        return arn;
      }
    }
    throw new KmsError(400, "NotFoundException", "Key '" + keyId + "' does not exist");
  }

  private static Map<String, String> context(JsonNode request) {
    return context(request, "EncryptionContext");
  }

  private static Map<String, String> context(JsonNode request, String field) {
    Map<String, String> context = new TreeMap<>();
    JsonNode node = request.get(field);
    if (node != null && node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        context.put(e.getKey(), e.getValue().asText());
      }
    }
    return context;
  }

  private static String text(JsonNode request, String field) {
    JsonNode n = request.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static byte[] binary(JsonNode request, String field) {
    String b64 = text(request, field);
    if (b64 == null) {
      throw new KmsError(400, "ValidationException", field + " is required");
    }
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new KmsError(400, "SerializationException", field + " is not base64");
    }
  }

  private static void error(HttpExchange exchange, int status, String type, String message)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.put("__type", type);
    if (message != null) {
      body.put("message", message);
    }
    send(exchange, status, JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
    exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** A KMS error answer. */
  private static final class KmsError extends RuntimeException {
    final int status;
    final String type;

    KmsError(int status, String type, String message) {
      super(message, null, false, false);
      this.status = status;
      this.type = type;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
