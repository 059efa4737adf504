package dev.tokenvault.core.audit;

/** The event names the vault writes (CloudTrail's {@code eventName}). */
public final class AuditAction {
  private AuditAction() {}

  public static final String TOKENIZE = "Tokenize";
  public static final String DETOKENIZE = "Detokenize";
  public static final String GET_TOKEN_METADATA = "GetTokenMetadata";
  public static final String DELETE_TOKEN = "DeleteToken";
  public static final String CREATE_PAYMENT = "CreatePayment";
  public static final String GET_PAYMENT = "GetPayment";
  /** The key manager generated and wrapped a data key (the {@code kms:GenerateDataKey} analogue). */
  public static final String GENERATE_DATA_KEY = "GenerateDataKey";
  /** The key manager unwrapped a data key (the {@code kms:Decrypt} analogue). */
  public static final String DECRYPT = "Decrypt";
  /** A new key-encryption key version became current (the {@code kms:RotateKeyOnDemand} analogue). */
  public static final String ROTATE_KEY = "RotateKey";
  /**
   * A data key was re-wrapped under the current KEK version, without any record being decrypted
   * (the {@code kms:ReEncrypt} analogue). {@code keyId}/{@code keyVersion}: the KEK and the new
   * version; the encryption context names the data key and the version it left.
   */
  public static final String REWRAP_DATA_KEY = "RewrapDataKey";
  /** A key-encryption key version was destroyed (the {@code kms:ScheduleKeyDeletion} analogue). */
  public static final String RETIRE_KEY = "RetireKey";
  /**
   * A namespace's fingerprint key got a new version ({@code keyId} = {@code fk_v<N>_<namespace>},
   * {@code keyVersion} = N; the encryption context names the previous version). Deterministic
   * lookups try every stored version until the re-fingerprint job has moved every token.
   */
  public static final String ROTATE_FINGERPRINT_KEY = "RotateFingerprintKey";
  /**
   * The re-fingerprint job moved a token's fingerprint to the namespace's current fingerprint-key
   * version (its value decrypted inside the vault, never recorded). {@code keyId}/{@code
   * keyVersion}: the new fingerprint key and version; the encryption context holds the version it
   * left ({@code tokenvault:source-fingerprint-version}).
   */
  public static final String REFINGERPRINT_TOKEN = "RefingerprintToken";
  /** An old fingerprint-key version that no token carries any more was destroyed. */
  public static final String RETIRE_FINGERPRINT_KEY = "RetireFingerprintKey";
  /** A key custodian handed in a share of the local key file's unseal key (never recorded). */
  public static final String UNSEAL = "Unseal";
  public static final String AUTH_FAILURE = "AuthFailure";
  /** The vault signed the chain's head ({@link AuditCheckpoint}). */
  public static final String AUDIT_CHECKPOINT = "AuditCheckpoint";
  /** An in-process detector raised a security alert (the detector is the event's error code). */
  public static final String SECURITY_ALERT = "SecurityAlert";
}
