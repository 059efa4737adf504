package dev.tokenvault.keys.awskms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.testkit.FakeKmsServer;
import dev.tokenvault.testkit.KeyManagerOutageConformance;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The key-manager contract and the KMS specifics against {@link FakeKmsServer}, a <b>fake</b>
 * AWS KMS (no real one can run here), reached through the real AWS SDK v2 client over HTTP. The
 * outage is the fake answering 503 {@code KMSInternalException}.
 */
class AwsKmsKeyManagerTest extends KeyManagerOutageConformance {
  private static FakeKmsServer kms;
  private static String keyArn;
  private static String otherKeyArn;

  @BeforeAll
  static void startFakeKms() throws Exception {
    kms = new FakeKmsServer();
    keyArn = kms.createKey();
    otherKeyArn = kms.createKey();
  }

  @AfterAll
  static void stopFakeKms() {
    kms.close();
  }

  @AfterEach
  void fakeKmsUpAgain() {
    kms.mode(FakeKmsServer.Mode.UP);
  }

  private static StaticCredentialsProvider fakeCredentials() {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create(FakeKmsServer.ACCESS_KEY_ID, FakeKmsServer.SECRET_ACCESS_KEY));
  }

  private static AwsKmsKeyManager open(String keyId, URI endpoint) {
    return AwsKmsKeyManager.open(
        new AwsKmsSettings(keyId, FakeKmsServer.REGION, endpoint), fakeCredentials());
  }

  private static AwsKmsKeyManager open(String keyId) {
    return open(keyId, kms.endpoint());
  }

  @Override
  protected KeyManager open() {
    return open(keyArn);
  }

  @Override
  protected KeyManager openOther() {
    return open(otherKeyArn);
  }

  /** The configuration each manager was opened with: rotation is a configuration change. */
  private final Map<KeyManager, AwsKmsSettings> settingsOf = new IdentityHashMap<>();

  private KeyManager open(AwsKmsSettings settings) {
    KeyManager m = AwsKmsKeyManager.open(settings, fakeCredentials());
    settingsOf.put(m, settings);
    return m;
  }

  @Override
  protected KeyManager openFresh() {
    return open(new AwsKmsSettings(kms.createKey(), FakeKmsServer.REGION, kms.endpoint()));
  }

  @Override
  protected KeyManager reopen(KeyManager manager) {
    return open(settingsOf.get(manager));
  }

  /** What an operator does: a new KMS key becomes key-id, the old one moves to previous-key-ids. */
  @Override
  protected KeyManager rotate(KeyManager manager) {
    AwsKmsSettings before = settingsOf.get(manager);
    List<String> previous = new ArrayList<>(before.previousKeyIds());
    previous.add(before.keyId());
    return open(new AwsKmsSettings(kms.createKey(), before.region(), before.endpoint(), previous));
  }

  /** What an operator does once no data key is left under it: mark the entry retired. */
  @Override
  protected KeyManager retire(KeyManager manager, int version) {
    assertThatThrownBy(() -> manager.retire(version))
        .isInstanceOf(UnsupportedOperationException.class);
    AwsKmsSettings before = settingsOf.get(manager);
    List<String> previous = new ArrayList<>(before.previousKeyIds());
    previous.set(version - 1, AwsKmsSettings.RETIRED_PREFIX + previous.get(version - 1));
    return open(new AwsKmsSettings(before.keyId(), before.region(), before.endpoint(), previous));
  }

  @Test
  void rewrapIsOneReEncryptInsideKmsAndNoDecrypt() {
    KeyManager fresh = track(openFresh());
    var old = fresh.generateDataKey(CONTEXT);
    KeyManager rotated = track(rotate(fresh));
    int decrypts = kms.calls("Decrypt");
    int reEncrypts = kms.calls("ReEncrypt");

    rotated.rewrap(old.wrapped(), CONTEXT);

    assertThat(kms.calls("ReEncrypt")).isEqualTo(reEncrypts + 1);
    assertThat(kms.calls("Decrypt")).isEqualTo(decrypts);
  }

  @Override
  protected void startOutage(KeyManager manager) {
    kms.mode(FakeKmsServer.Mode.UNAVAILABLE);
  }

  @Override
  protected void endOutage(KeyManager manager) {
    kms.mode(FakeKmsServer.Mode.UP);
  }

  @Test
  void wrappedKeyRecordsTheKeyArnAndVersionOne() {
    DataKey key = km.generateDataKey(CONTEXT);

    assertThat(km.kekId()).isEqualTo(keyArn);
    assertThat(km.currentVersion()).isEqualTo(1);
    assertThat(key.wrapped().kekId()).isEqualTo(keyArn);
    assertThat(key.wrapped().kekVersion()).isEqualTo(1);
  }

  @Test
  void oneKmsCallPerDataKeyAndPerUnwrap() {
    int generates = kms.calls("GenerateDataKey");
    int decrypts = kms.calls("Decrypt");

    DataKey key = km.generateDataKey(CONTEXT);
    km.decryptDataKey(key.wrapped(), CONTEXT);

    assertThat(kms.calls("GenerateDataKey")).isEqualTo(generates + 1);
    assertThat(kms.calls("Decrypt")).isEqualTo(decrypts + 1);
  }

  @Test
  void aKeyArnIsUsedAsConfiguredWithoutDescribeKey() {
    int describes = kms.calls("DescribeKey");

    track(open(keyArn));

    assertThat(kms.calls("DescribeKey")).isEqualTo(describes);
  }

  @Test
  void anAliasIsResolvedOnceAndTheKeyIsPinned() {
    kms.alias("tokenvault-test", keyArn);
    KeyManager byAlias = track(open("alias/tokenvault-test"));
    DataKey before = byAlias.generateDataKey(CONTEXT);

    kms.alias("tokenvault-test", otherKeyArn);

    assertThat(byAlias.kekId()).isEqualTo(keyArn);
    DataKey after = byAlias.generateDataKey(CONTEXT);
    assertThat(after.wrapped().kekId()).isEqualTo(keyArn);
    assertThat(byAlias.decryptDataKey(before.wrapped(), CONTEXT)).isEqualTo(before.plaintext());
    assertThat(km.decryptDataKey(after.wrapped(), CONTEXT)).isEqualTo(after.plaintext());
  }

  @Test
  void anAliasArnAndABareKeyIdResolveToo() {
    kms.alias("tokenvault-arn", keyArn);
    String aliasArn = "arn:aws:kms:" + FakeKmsServer.REGION + ":" + FakeKmsServer.ACCOUNT
        + ":alias/tokenvault-arn";
    String bareId = keyArn.substring(keyArn.indexOf("key/") + 4);

    assertThat(track(open(aliasArn)).kekId()).isEqualTo(keyArn);
    assertThat(track(open(bareId)).kekId()).isEqualTo(keyArn);
  }

  @Test
  void anUnknownKeyIsAConfigurationError() {
    assertThatThrownBy(() -> open("alias/no-such-key"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("alias/no-such-key");
  }

  @Test
  void aResponseForAnotherKeyIsAnIntegrityFailure() {
    DataKey key = km.generateDataKey(CONTEXT);

    kms.mode(FakeKmsServer.Mode.WRONG_KEY_ID_IN_RESPONSE);

    assertThatThrownBy(() -> km.generateDataKey(CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
    assertThatThrownBy(() -> km.decryptDataKey(key.wrapped(), CONTEXT))
        .isInstanceOf(KeyManagerException.IntegrityFailure.class);
  }

  @Test
  void throttlingIsUnavailable() {
    DataKey key = km.generateDataKey(CONTEXT);

    kms.mode(FakeKmsServer.Mode.THROTTLING);

    assertThatThrownBy(() -> km.generateDataKey(CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class)
        .hasMessageContaining("ThrottlingException");
    assertThatThrownBy(() -> km.decryptDataKey(key.wrapped(), CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class);
  }

  @Test
  void anUnreachableEndpointIsUnavailable() throws Exception {
    URI closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
    KeyManager unreachable = track(open(keyArn, closedPort));

    assertThatThrownBy(() -> unreachable.generateDataKey(CONTEXT))
        .isInstanceOf(KeyManagerException.Unavailable.class);
  }

  @Test
  void theProductionOpenTakesCredentialsFromTheDefaultChain() {
    // The chain's first source is the JVM system properties: set them for this test only.
    System.setProperty("aws.accessKeyId", FakeKmsServer.ACCESS_KEY_ID);
    System.setProperty("aws.secretAccessKey", FakeKmsServer.SECRET_ACCESS_KEY);
    try {
      KeyManager viaChain =
          track(
              AwsKmsKeyManager.open(
                  new AwsKmsSettings(keyArn, FakeKmsServer.REGION, kms.endpoint())));

      DataKey key = viaChain.generateDataKey(CONTEXT);
      assertThat(viaChain.decryptDataKey(key.wrapped(), CONTEXT)).isEqualTo(key.plaintext());
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }

  @Test
  void settingsRejectIncompleteValues() {
    assertThatThrownBy(() -> new AwsKmsSettings(" ", "eu-west-1", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AwsKmsSettings(keyArn, "", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AwsKmsSettings(keyArn, "eu-west-1", URI.create("relative")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new AwsKmsSettings(keyArn, "eu-west-1", null).keyIdIsKeyArn()).isTrue();
    assertThat(new AwsKmsSettings("alias/x", "eu-west-1", null).keyIdIsKeyArn()).isFalse();
  }
}
