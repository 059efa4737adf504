package dev.tokenvault.server.auth;

/** The vault's OAuth2 scopes. */
public final class Scopes {
  private Scopes() {}

  public static final String TOKENIZE = "payments.tokenize";
  public static final String DETOKENIZE = "payments.detokenize";
  public static final String CREATE_PAYMENT = "payments.create";
  public static final String READ = "payments.read";
  public static final String AUDIT_READ = "audit.read";
  public static final String KEYS_ADMIN = "keys.admin";
}
