package dev.tokenvault.server.it;

import dev.tokenvault.testkit.FakeKmsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * SQLite and the AWS KMS key manager against {@link FakeKmsServer}, a <b>fake</b> KMS in the test
 * JVM (no AWS KMS can run here). The vault signs its requests with the fake's credentials, given
 * through the standard AWS environment variables.
 */
final class FakeKmsBackend implements Backend {
  final FakeKmsServer kms;
  private final String keyArn;

  FakeKmsBackend() {
    try {
      kms = new FakeKmsServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    keyArn = kms.createKey();
  }

  @Override
  public String name() {
    return "awskms";
  }

  @Override
  public Map<String, String> properties() {
    return Map.of(
        "tokenvault.keys.type", "awskms",
        "tokenvault.keys.awskms.key-id", keyArn,
        "tokenvault.keys.awskms.region", FakeKmsServer.REGION,
        "tokenvault.keys.awskms.endpoint", kms.endpoint().toString());
  }

  @Override
  public Map<String, String> environment() {
    return Map.of(
        "AWS_ACCESS_KEY_ID", FakeKmsServer.ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY", FakeKmsServer.SECRET_ACCESS_KEY);
  }

  @Override
  public void close() {
    kms.close();
  }
}
