package dev.tokenvault.server.bootstrap;

import java.util.Locale;

/**
 * Reads a vault setting before the framework's configuration exists: a system property (what
 * {@code ./tokenvault serve --name=value} passes), else the environment variable named the
 * MicroProfile Config way ({@code tokenvault.store.type} → {@code TOKENVAULT_STORE_TYPE}).
 * Once Quarkus runs, the same names resolve through its configuration in the same order.
 */
public final class Settings {
  private Settings() {}

  public static String get(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      v = System.getenv(envName(name));
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  public static String get(String name, String fallback) {
    String v = get(name);
    return v == null ? fallback : v;
  }

  static String envName(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (char c : name.toCharArray()) {
      b.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
    }
    return b.toString().toUpperCase(Locale.ROOT);
  }
}
