package dev.tokenvault.keys.awskms;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.ReEncryptResponse;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Key manager on AWS KMS: the key-encryption key is a symmetric KMS key that never leaves KMS.
 *
 * <h2>Envelope</h2>
 *
 * {@link #generateDataKey} is one {@code GenerateDataKey} call ({@code KeySpec=AES_256}): KMS
 * returns the data key in clear and encrypted under the KMS key. {@link #decryptDataKey} is one
 * {@code Decrypt} call. Both carry the {@link EncryptionContext} as the KMS encryption context,
 * which KMS binds to the ciphertext as associated data and writes to CloudTrail: it holds ids
 * only (namespace, data-key id), never a value. The vault caches unwrapped data keys, so KMS sees
 * one call per data key, not one per request.
 *
 * <h2>Wrapped key format</h2>
 *
 * The {@code CiphertextBlob} exactly as KMS returns it (opaque, about 180 bytes), in a {@link
 * WrappedKey} whose {@code kekId} is the KMS key ARN and whose version is always 1.
 *
 * <h2>Key versions</h2>
 *
 * KMS rotates key material inside the key (automatic or on-demand rotation) and keeps every
 * earlier material for decryption; the blob names the material, and that material can never be
 * destroyed on its own. So rotating material is KMS's business and invisible here. A vault KEK
 * <em>version</em> is a different KMS key: version N is the N-th of {@code previousKeyIds}
 * (oldest first), the configured {@code keyId} is the current version, and {@link #kekId()} is
 * the ARN of version 1, the key the vault started with (so that data keys stored before any
 * rotation keep their id). The vault does not create or delete KMS keys: its role needs no
 * administrative permission. An operator creates the new key, makes it {@code key-id} and moves
 * the old one to {@code previous-key-ids}; at start the vault rewraps every data key to the new
 * key with {@code ReEncrypt} (inside KMS: the data key never reaches the vault), and once no data
 * key is left under an old version the operator removes it from {@code previous-key-ids} and
 * schedules the KMS key's deletion. {@link #rotate()} and {@link #retire} are therefore refused.
 *
 * <h2>Which key: ARNs and aliases</h2>
 *
 * Every response's {@code KeyId} (always a key ARN) must equal the configured key's ARN, and
 * {@code Decrypt} names the key ({@code KeyId}) so KMS itself refuses a blob of another key
 * ({@code IncorrectKeyException}): a database that was given a blob of an attacker's key cannot
 * make the vault use that key. A key ARN is used as configured. A key id or an alias (name or
 * ARN) is resolved once, at start, with {@code DescribeKey}; the vault then pins that key ARN: if
 * the alias is later pointed at another key, the vault goes on with the key it resolved until it
 * is restarted (a wrapped key must always go back to the key that wrapped it; aliases are for
 * finding a key, not for switching keys under running data).
 *
 * <h2>Failures</h2>
 *
 * {@code InvalidCiphertextException}, {@code IncorrectKeyException}, a response for another key,
 * or a wrapped key naming another key or version: {@link KeyManagerException.IntegrityFailure}.
 * Everything else (throttling, 5xx, network errors and timeouts, a disabled or deleted key,
 * denied access): {@link KeyManagerException.Unavailable}; none of those says anything about the
 * wrapped key, and all of them need an operator, not a client, to act. Timeouts are short (see
 * {@link #API_CALL_TIMEOUT}) so that requests fail fast with 503 while KMS is away; the SDK's
 * standard retries absorb brief throttling.
 *
 * <p>Thread-safe: {@link KmsClient} is.
 */
public final class AwsKmsKeyManager implements KeyManager {
  /** The version of the first key (KMS versions key material internally; see "Key versions"). */
  public static final int VERSION = 1;
  /** Connecting to KMS takes milliseconds in a region; longer means it is not reachable. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** One call including the SDK's retries: long enough for retries on throttling, short enough to answer 503 before clients time out. */
  static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(AwsKmsKeyManager.class);

  private final KmsClient kms;
  private final boolean ownsClient;
  /** The current key's ARN. */
  private final String keyArn;
  /** The ARN of every version, version N at index N - 1; the last is {@link #keyArn}. */
  private final List<String> versionArns;
  /** Versions marked {@code retired:} in {@code previous-key-ids}: never used again. */
  private final Set<Integer> retired;
  /** The credentials provider this manager made (and closes), or null. */
  private volatile SdkAutoCloseable credentials;

  private AwsKmsKeyManager(
      KmsClient kms, boolean ownsClient, List<String> versionArns, Set<Integer> retired) {
    this.retired = Set.copyOf(retired);
    this.kms = kms;
    this.ownsClient = ownsClient;
    this.versionArns = List.copyOf(versionArns);
    this.keyArn = versionArns.get(versionArns.size() - 1);
  }

  /** Opens with credentials from the AWS SDK's default provider chain. */
  public static AwsKmsKeyManager open(AwsKmsSettings settings) {
    DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
    try {
      AwsKmsKeyManager manager = open(settings, credentials);
      manager.credentials = credentials;
      return manager;
    } catch (RuntimeException e) {
      credentials.close();
      throw e;
    }
  }

  /** Opens with the given credentials (tests, or a caller with its own credential source). */
  public static AwsKmsKeyManager open(AwsKmsSettings settings, AwsCredentialsProvider credentials) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(credentials, "credentials");
    KmsClientBuilder builder =
        KmsClient.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(CONNECT_TIMEOUT).build())
            .overrideConfiguration(c -> c.apiCallTimeout(API_CALL_TIMEOUT));
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint());
    }
    KmsClient client = builder.build();
    try {
      return open(settings, client, true);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /**
   * Opens on a client the caller built and keeps owning (it is not closed by {@link #close()}).
   */
  public static AwsKmsKeyManager open(AwsKmsSettings settings, KmsClient client) {
    return open(settings, client, false);
  }

  private static AwsKmsKeyManager open(AwsKmsSettings settings, KmsClient client, boolean owns) {
    String arn = settings.keyIdIsKeyArn() ? settings.keyId() : resolve(client, settings.keyId());
    List<String> arns = new ArrayList<>();
    Set<Integer> retired = new HashSet<>();
    for (String previous : settings.previousKeyIds()) {
      if (previous.startsWith(AwsKmsSettings.RETIRED_PREFIX)) {
        retired.add(arns.size() + 1);
        arns.add(previous.substring(AwsKmsSettings.RETIRED_PREFIX.length()));
      } else {
        arns.add(AwsKmsSettings.isKeyArn(previous) ? previous : resolve(client, previous));
      }
    }
    arns.add(arn);
    if (new HashSet<>(arns).size() != arns.size()) {
      throw new IllegalStateException(
          "tokenvault.keys.awskms.previous-key-ids names a key twice, or the current key");
    }
    LOG.info(
        "AWS KMS key manager ready: key {} (configured as {}) is KEK version {}, region {}{}",
        arn,
        settings.keyId(),
        arns.size(),
        settings.region(),
        settings.endpoint() == null ? "" : ", endpoint " + settings.endpoint());
    return new AwsKmsKeyManager(client, owns, arns, retired);
  }

  /** Resolves a key id or alias to the key ARN, once. */
  private static String resolve(KmsClient client, String keyId) {
    DescribeKeyResponse response;
    try {
      response = client.describeKey(r -> r.keyId(keyId));
    } catch (NotFoundException e) {
      throw new IllegalStateException("no KMS key " + keyId + " (" + errorCode(e) + ")", e);
    } catch (SdkException e) {
      throw unavailable("DescribeKey", e);
    }
    KeyMetadata meta = response.keyMetadata();
    if (meta == null || meta.arn() == null || !AwsKmsSettings.isKeyArn(meta.arn())) {
      throw new IllegalStateException("KMS DescribeKey of " + keyId + " returned no key ARN");
    }
    if (!"SYMMETRIC_DEFAULT".equals(meta.keySpecAsString())
        || !"ENCRYPT_DECRYPT".equals(meta.keyUsageAsString())) {
      throw new IllegalStateException(
          "the KMS key "
              + meta.arn()
              + " is "
              + meta.keySpecAsString()
              + "/"
              + meta.keyUsageAsString()
              + ": a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key is needed");
    }
    return meta.arn();
  }

  /** The ARN of version 1: stable for the vault's life, whatever key is current. */
  @Override
  public String kekId() {
    return versionArns.get(0);
  }

  @Override
  public int currentVersion() {
    return versionArns.size();
  }

  @Override
  public SortedSet<Integer> versions() {
    SortedSet<Integer> out = new TreeSet<>();
    for (int v = 1; v <= versionArns.size(); v++) {
      if (!retired.contains(v)) {
        out.add(v);
      }
    }
    return Collections.unmodifiableSortedSet(out);
  }

  /**
   * One {@code ReEncrypt} from the version's key to the current key, with the same encryption
   * context on both sides: KMS decrypts and encrypts internally, the data key never reaches this
   * process. Needs {@code kms:ReEncryptFrom} on the old key and {@code kms:ReEncryptTo} on the
   * new one.
   */
  @Override
  public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    String source = arnOf(wrapped);
    byte[] blob = wrapped.ciphertext();
    ReEncryptResponse response;
    try {
      response =
          kms.reEncrypt(
              r ->
                  r.sourceKeyId(source)
                      .destinationKeyId(keyArn)
                      .ciphertextBlob(SdkBytes.fromByteArray(blob))
                      .sourceEncryptionContext(context.entries())
                      .destinationEncryptionContext(context.entries())
                      .sourceEncryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT)
                      .destinationEncryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT));
    } catch (SdkException e) {
      throw translate("ReEncrypt", e);
    }
    checkKeyId("ReEncrypt", keyArn, response.keyId());
    checkKeyId("ReEncrypt", source, response.sourceKeyId());
    if (response.ciphertextBlob() == null) {
      throw new KeyManagerException.Unavailable("KMS ReEncrypt returned a malformed response", null);
    }
    return new WrappedKey(kekId(), currentVersion(), response.ciphertextBlob().asByteArray());
  }

  /**
   * Refused: the vault does not delete KMS keys. An operator marks the version {@code retired:}
   * in {@code previous-key-ids} once no data key is wrapped under it, then schedules the key's
   * deletion in KMS.
   */
  @Override
  public void retire(int version) {
    if (version == currentVersion()) {
      throw new IllegalStateException("the current KEK version cannot be retired");
    }
    throw new UnsupportedOperationException(
        "retire an AWS KMS key version by marking it retired: in"
            + " tokenvault.keys.awskms.previous-key-ids (see docs/key-managers.md)");
  }

  /** The ARN of the key that wrapped {@code wrapped}, or an integrity failure. */
  private String arnOf(WrappedKey wrapped) {
    if (!kekId().equals(wrapped.kekId())) {
      throw integrity("the data key was wrapped by another KMS key", null);
    }
    int version = wrapped.kekVersion();
    if (version < 1 || version > versionArns.size() || retired.contains(version)) {
      throw integrity("no key-encryption key version " + version, null);
    }
    if (wrapped.ciphertext().length == 0) {
      throw integrity("invalid wrapped key", null);
    }
    return versionArns.get(version - 1);
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    Objects.requireNonNull(context, "context");
    GenerateDataKeyResponse response;
    try {
      response =
          kms.generateDataKey(
              r -> r.keyId(keyArn).keySpec(DataKeySpec.AES_256).encryptionContext(context.entries()));
    } catch (SdkException e) {
      throw translate("GenerateDataKey", e);
    }
    byte[] key = take(response.plaintext());
    try {
      checkKeyId("GenerateDataKey", keyArn, response.keyId());
      if (key.length != DATA_KEY_BYTES || response.ciphertextBlob() == null) {
        throw new KeyManagerException.Unavailable(
            "KMS GenerateDataKey returned a malformed response", null);
      }
      return new DataKey(
          key,
          new WrappedKey(kekId(), currentVersion(), response.ciphertextBlob().asByteArray()));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    String arn = arnOf(wrapped);
    byte[] blob = wrapped.ciphertext();
    DecryptResponse response;
    try {
      response =
          kms.decrypt(
              r ->
                  r.keyId(arn)
                      .ciphertextBlob(SdkBytes.fromByteArray(blob))
                      .encryptionContext(context.entries())
                      .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT));
    } catch (SdkException e) {
      throw translate("Decrypt", e);
    }
    byte[] key = take(response.plaintext());
    try {
      checkKeyId("Decrypt", arn, response.keyId());
      if (key.length != DATA_KEY_BYTES) {
        throw integrity("the wrapped key does not hold a " + DATA_KEY_BYTES + "-byte key", null);
      }
      return key.clone();
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Copies the SDK's plaintext out and overwrites the SDK's own array. */
  private static byte[] take(SdkBytes bytes) {
    if (bytes == null) {
      return new byte[0];
    }
    byte[] unsafe = bytes.asByteArrayUnsafe();
    byte[] copy = unsafe.clone();
    Arrays.fill(unsafe, (byte) 0);
    return copy;
  }

  private static void checkKeyId(String operation, String expected, String responseKeyId) {
    if (!expected.equals(responseKeyId)) {
      throw integrity(
          "KMS " + operation + " answered for key " + responseKeyId + ", not " + expected, null);
    }
  }

  private static KeyManagerException translate(String operation, SdkException e) {
    if (e instanceof InvalidCiphertextException || e instanceof IncorrectKeyException) {
      return integrity("KMS " + operation + " refused the wrapped key (" + errorCode(e) + ")", e);
    }
    return unavailable(operation, e);
  }

  private static KeyManagerException.Unavailable unavailable(String operation, SdkException e) {
    String reason = errorCode(e);
    LOG.warn("KMS {} failed ({}): the key manager is unavailable", operation, reason);
    return new KeyManagerException.Unavailable("KMS " + operation + " failed (" + reason + ")", e);
  }

  private static KeyManagerException.IntegrityFailure integrity(String message, Throwable cause) {
    return new KeyManagerException.IntegrityFailure(message, cause);
  }

  /** The KMS error code (e.g. ThrottlingException) and HTTP status, or the client error's class. */
  static String errorCode(SdkException e) {
    if (e instanceof KmsException k && k.awsErrorDetails() != null) {
      return k.awsErrorDetails().errorCode() + ", HTTP " + k.statusCode();
    }
    return e.getClass().getSimpleName();
  }

  @Override
  public void close() {
    if (ownsClient) {
      kms.close();
    }
    SdkAutoCloseable c = credentials;
    if (c != null) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "AwsKmsKeyManager[" + keyArn + ", v" + currentVersion() + "]";
  }
}
