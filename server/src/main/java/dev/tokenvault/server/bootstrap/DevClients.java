package dev.tokenvault.server.bootstrap;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The dev issuer's demo clients in {@code DIR/dev-clients.json} (mode 0600), made on first start
 * with random secrets: {@code merchant} (tokenize, pay, read) and {@code admin} (everything).
 */
public final class DevClients {
  public static final List<String> MERCHANT_SCOPES =
      List.of("payments.tokenize", "payments.create", "payments.read");
  public static final List<String> ADMIN_SCOPES = List.of("payments.tokenize", "payments.create",
      "payments.read", "payments.detokenize", "audit.read", "keys.admin");

  /** 256 random bits per secret. */
  static final int SECRET_BYTES = 32;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One client as written in the file. */
  public record Client(String clientId, String clientSecret, List<String> scopes) {}

  private DevClients() {}

  public static Path file(Path dataDir) {
    return dataDir.resolve("dev-clients.json");
  }

  /** Creates the file if missing; returns true if it was created. */
  public static boolean ensure(Path dataDir) {
    if (Files.exists(file(dataDir))) {
      return false;
    }
    SecureRandom random = new SecureRandom();
    List<Client> clients = List.of(
        new Client("merchant", secret(random), MERCHANT_SCOPES),
        new Client("admin", secret(random), ADMIN_SCOPES));
    try {
      SecureFiles.writeOwnerOnly(file(dataDir), JSON.writeValueAsBytes(clients));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  public static List<Client> load(Path dataDir) {
    try {
      return JSON.readValue(file(dataDir).toFile(), new TypeReference<List<Client>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file(dataDir), e);
    }
  }

  private static String secret(SecureRandom random) {
    byte[] b = new byte[SECRET_BYTES];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
