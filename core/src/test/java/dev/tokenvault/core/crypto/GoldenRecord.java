package dev.tokenvault.core.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The checked-in golden record {@code golden/record-v1.json}: a version-1 envelope made once,
 * from fixed inputs, by {@link ReferenceEnvelope} (not by the code under test).
 *
 * <p>To regenerate it (only for a deliberate new format version, never to make a test pass), run
 * {@link #main} from the {@code core} directory with the test classpath; it rewrites the file
 * under {@code src/test/resources/golden}. The plaintext is the public test card {@value
 * #PLAINTEXT_DESCRIPTION}; the file does not contain it.
 */
final class GoldenRecord {
  static final String RESOURCE = "golden/record-v1.json";
  static final String PLAINTEXT_DESCRIPTION = "Visa test card ending 1111";

  final byte[] dataKey;
  final String keyId;
  final String namespace;
  final String token;
  final String type;
  final byte[] envelope;
  final byte[] nonce;

  private GoldenRecord(JsonNode n) {
    HexFormat hex = HexFormat.of();
    this.dataKey = hex.parseHex(n.get("dataKeyHex").asText());
    this.keyId = n.get("keyId").asText();
    this.namespace = n.get("namespace").asText();
    this.token = n.get("token").asText();
    this.type = n.get("type").asText();
    this.envelope = hex.parseHex(n.get("envelopeHex").asText());
    this.nonce = hex.parseHex(n.get("nonceHex").asText());
  }

  static GoldenRecord load() {
    try (InputStream in = GoldenRecord.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new AssertionError("golden record missing from the test classpath: " + RESOURCE);
      }
      return new GoldenRecord(new ObjectMapper().readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The plaintext the golden envelope holds. */
  static byte[] expectedPlaintext() {
    return ("4111" + "1111" + "1111" + "1111").getBytes(StandardCharsets.US_ASCII);
  }

  public static void main(String[] args) throws Exception {
    HexFormat hex = HexFormat.of();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] key = sha.digest("tokenvault golden record v1: data key".getBytes(StandardCharsets.US_ASCII));
    byte[] nonce = new byte[12];
    System.arraycopy(
        sha.digest("tokenvault golden record v1: nonce".getBytes(StandardCharsets.US_ASCII)), 0, nonce, 0, 12);
    String keyId = "dk_golden0000000000000000001";
    String namespace = "golden-ns";
    String token = "tok_G0ldenRec0rdV1aaaaaaaa";
    String type = "card";
    byte[] envelope =
        ReferenceEnvelope.seal(1, key, nonce, keyId, namespace, token, type, expectedPlaintext());

    ObjectMapper json = new ObjectMapper();
    ObjectNode n = json.createObjectNode();
    n.put("description", "RecordCipher envelope format v1; plaintext: " + PLAINTEXT_DESCRIPTION);
    n.put("formatVersion", 1);
    n.put("dataKeyHex", hex.formatHex(key));
    n.put("keyId", keyId);
    n.put("namespace", namespace);
    n.put("token", token);
    n.put("type", type);
    n.put("nonceHex", hex.formatHex(nonce));
    n.put("envelopeHex", hex.formatHex(envelope));
    Path out = Paths.get("src/test/resources").resolve(RESOURCE);
    Files.createDirectories(out.getParent());
    Files.writeString(
        out, json.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n", StandardCharsets.UTF_8);
  }
}
