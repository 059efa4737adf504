package dev.tokenvault.keys.awskms;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Which AWS KMS key wraps the vault's data keys. Credentials are not settings: they come from the
 * AWS SDK's default provider chain (environment, web identity, ECS/EC2 instance role, profile).
 *
 * <p>Configuration names: {@code tokenvault.keys.awskms.key-id}, {@code .region}, {@code
 * .endpoint}.
 *
 * @param keyId the KMS key: a key ARN (recommended), a key id, an alias name ({@code alias/...})
 *     or an alias ARN. Anything but a key ARN is resolved once at start with {@code
 *     kms:DescribeKey}, and the resolved key ARN is used from then on
 * @param region the AWS region, e.g. {@code eu-west-1}
 * @param endpoint an endpoint override (a VPC endpoint, FIPS endpoint, or a test double), or null
 * @param previousKeyIds the KMS keys the vault used before {@code keyId}, oldest first, kept for
 *     decryption until every data key is rewrapped: KEK version N is the N-th of these, and
 *     {@code keyId} is version {@code previousKeyIds.size() + 1} (configuration name {@code
 *     tokenvault.keys.awskms.previous-key-ids}, comma-separated). An entry {@code
 *     retired:<key ARN>} keeps its version number but is never used again
 */
public record AwsKmsSettings(String keyId, String region, URI endpoint, List<String> previousKeyIds) {
  /** Marks a retired version in {@link #previousKeyIds}. */
  public static final String RETIRED_PREFIX = "retired:";

  public AwsKmsSettings(String keyId, String region, URI endpoint) {
    this(keyId, region, endpoint, List.of());
  }

  public AwsKmsSettings {
    previousKeyIds = previousKeyIds == null ? List.of() : List.copyOf(previousKeyIds);
    for (String previous : previousKeyIds) {
      if (previous.isBlank()) {
        throw new IllegalArgumentException("previousKeyIds must not hold a blank key id");
      }
    }
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(region, "region");
    if (keyId.isBlank()) {
      throw new IllegalArgumentException("keyId must not be blank");
    }
    if (region.isBlank()) {
      throw new IllegalArgumentException("region must not be blank");
    }
    if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null)) {
      throw new IllegalArgumentException("endpoint must be an absolute URI such as https://host");
    }
  }

  /** True if {@link #keyId} is a key ARN ({@code arn:<partition>:kms:<region>:<account>:key/<id>}). */
  boolean keyIdIsKeyArn() {
    return isKeyArn(keyId);
  }

  static boolean isKeyArn(String id) {
    String[] parts = id.split(":", 6);
    return parts.length == 6
        && parts[0].equals("arn")
        && parts[2].equals("kms")
        && parts[5].startsWith("key/")
        && parts[5].length() > "key/".length();
  }
}
