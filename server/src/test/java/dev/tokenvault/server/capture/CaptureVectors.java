package dev.tokenvault.server.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * {@code shared/vectors} for the server's tests: from the property {@code tokenvault.vectors} (set
 * by the parent POM), else found by walking up. Missing vectors fail the test, never skip it.
 */
final class CaptureVectors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CaptureVectors() {}

  static JsonNode json(String relative) {
    Path dir = null;
    String configured = System.getProperty("tokenvault.vectors");
    if (configured != null && Files.isDirectory(Paths.get(configured))) {
      dir = Paths.get(configured);
    }
    for (Path d = Paths.get("").toAbsolutePath(); dir == null && d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("shared/vectors"))) {
        dir = d.resolve("shared/vectors");
      }
    }
    if (dir == null || !Files.isRegularFile(dir.resolve(relative))) {
      throw new AssertionError("test vector file missing: " + relative);
    }
    try {
      return JSON.readTree(dir.resolve(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
