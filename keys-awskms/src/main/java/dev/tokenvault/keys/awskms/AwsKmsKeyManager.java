package dev.tokenvault.keys.awskms;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import java.time.Duration;
import java.util.Arrays;
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
 * earlier material for decryption; the blob names the material. So this adapter has one KEK
 * version, {@code 1}, and a vault-level rotation to another KMS key means another key ARN.
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
  /** The only KEK version: KMS versions key material internally. */
  public static final int VERSION = 1;
  /** Connecting to KMS takes milliseconds in a region; longer means it is not reachable. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** One call including the SDK's retries: long enough for retries on throttling, short enough to answer 503 before clients time out. */
  static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(AwsKmsKeyManager.class);

  private final KmsClient kms;
  private final boolean ownsClient;
  private final String keyArn;
  /** The credentials provider this manager made (and closes), or null. */
  private volatile SdkAutoCloseable credentials;

  private AwsKmsKeyManager(KmsClient kms, boolean ownsClient, String keyArn) {
    this.kms = kms;
    this.ownsClient = ownsClient;
    this.keyArn = keyArn;
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
    LOG.info(
        "AWS KMS key manager ready: key {} (configured as {}), region {}{}",
        arn,
        settings.keyId(),
        settings.region(),
        settings.endpoint() == null ? "" : ", endpoint " + settings.endpoint());
    return new AwsKmsKeyManager(client, owns, arn);
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

  @Override
  public String kekId() {
    return keyArn;
  }

  @Override
  public int currentVersion() {
    return VERSION;
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
      checkKeyId("GenerateDataKey", response.keyId());
      if (key.length != DATA_KEY_BYTES || response.ciphertextBlob() == null) {
        throw new KeyManagerException.Unavailable(
            "KMS GenerateDataKey returned a malformed response", null);
      }
      return new DataKey(
          key, new WrappedKey(keyArn, VERSION, response.ciphertextBlob().asByteArray()));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    if (!keyArn.equals(wrapped.kekId())) {
      throw integrity("the data key was wrapped by another KMS key", null);
    }
    if (wrapped.kekVersion() != VERSION) {
      throw integrity("no key-encryption key version " + wrapped.kekVersion(), null);
    }
    byte[] blob = wrapped.ciphertext();
    if (blob.length == 0) {
      throw integrity("invalid wrapped key", null);
    }
    DecryptResponse response;
    try {
      response =
          kms.decrypt(
              r ->
                  r.keyId(keyArn)
                      .ciphertextBlob(SdkBytes.fromByteArray(blob))
                      .encryptionContext(context.entries())
                      .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT));
    } catch (SdkException e) {
      throw translate("Decrypt", e);
    }
    byte[] key = take(response.plaintext());
    try {
      checkKeyId("Decrypt", response.keyId());
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

  private void checkKeyId(String operation, String responseKeyId) {
    if (!keyArn.equals(responseKeyId)) {
      throw integrity(
          "KMS " + operation + " answered for key " + responseKeyId + ", not " + keyArn, null);
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
    return "AwsKmsKeyManager[" + keyArn + "]";
  }
}
