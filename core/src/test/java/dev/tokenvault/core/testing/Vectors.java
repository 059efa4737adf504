package dev.tokenvault.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The external test vectors in {@code shared/vectors} (see its README).
 *
 * <p>The folder is taken from the system property {@value #PROPERTY}, which the parent POM's
 * surefire configuration sets; an IDE run without it walks up from the working directory looking
 * for {@code shared/vectors}. If the folder cannot be found the calling test fails: vectors that
 * silently do not run protect nothing.
 */
public final class Vectors {
  public static final String PROPERTY = "tokenvault.vectors";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Vectors() {}

  /** The vectors directory; throws {@link AssertionError} when it cannot be found. */
  public static Path directory() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path p = Paths.get(configured).toAbsolutePath().normalize();
      if (isVectorsDir(p)) {
        return p;
      }
    }
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("vectors");
      if (isVectorsDir(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(
        "test vectors not found: set -D"
            + PROPERTY
            + " or run from inside a checkout next to shared/vectors (configured: "
            + configured
            + ")");
  }

  /** A file under the vectors directory, e.g. {@code wycheproof/aes_gcm_test.json}. */
  public static Path file(String relative) {
    Path p = directory().resolve(relative);
    if (!Files.isRegularFile(p)) {
      throw new AssertionError("test vector file missing: " + relative);
    }
    return p;
  }

  /** Parses a JSON vector file. */
  public static JsonNode json(String relative) {
    try {
      return JSON.readTree(file(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse test vector file " + relative, e);
    }
  }

  /** Decodes lower- or upper-case hex (the Wycheproof encoding); empty string is empty array. */
  public static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }

  private static boolean isVectorsDir(Path p) {
    return Files.isDirectory(p) && Files.isRegularFile(p.resolve("README.md"));
  }
}
