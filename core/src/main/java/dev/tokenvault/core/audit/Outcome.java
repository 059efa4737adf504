package dev.tokenvault.core.audit;

/** How an audited operation ended. */
public enum Outcome {
  SUCCESS,
  /** Refused for the caller's reasons: no permission, unknown token, invalid input. */
  DENIED,
  /** Failed for the vault's reasons: key manager or store unavailable, integrity failure. */
  ERROR
}
