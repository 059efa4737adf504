package dev.tokenvault.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Searches files for sensitive values, as digits and as digits grouped by spaces ("4111 1111
 * ..."). Reports where, never what: a failure message names the file and the value's index.
 */
final class LeakScan {
  /** Every value the HTTP tests tokenize: well-known test cards and the seeds' account number. */
  static final List<String> VALUES = List.of(
      "4111111111111111", "5555555555554444", "378282246310005", "1234567890123456");

  private LeakScan() {}

  static List<String> findings(List<Path> roots) {
    List<String> out = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          for (int i = 0; i < VALUES.size(); i++) {
            for (String form : forms(VALUES.get(i))) {
              if (content.contains(form)) {
                out.add(f + " contains test value #" + i);
              }
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Searches bytes (a dump of a database's rows or items) named {@code what} in findings. */
  static List<String> findings(String what, byte[] bytes) {
    String content = new String(bytes, StandardCharsets.ISO_8859_1);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < VALUES.size(); i++) {
      for (String form : forms(VALUES.get(i))) {
        if (content.contains(form)) {
          out.add(what + " contains test value #" + i);
        }
      }
    }
    return out;
  }

  static List<String> forms(String v) {
    StringBuilder spaced = new StringBuilder();
    StringBuilder dashed = new StringBuilder();
    for (int i = 0; i < v.length(); i++) {
      if (i > 0 && i % 4 == 0) {
        spaced.append(' ');
        dashed.append('-');
      }
      spaced.append(v.charAt(i));
      dashed.append(v.charAt(i));
    }
    return List.of(v, spaced.toString(), dashed.toString());
  }
}
