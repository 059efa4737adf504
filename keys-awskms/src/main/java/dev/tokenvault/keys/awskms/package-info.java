/**
 * The AWS KMS key manager (AWS SDK v2): data keys from {@code GenerateDataKey}, unwrapped with
 * {@code Decrypt}, both bound to the encryption context. Entry point: {@link
 * dev.tokenvault.keys.awskms.AwsKmsKeyManager#open} with {@link
 * dev.tokenvault.keys.awskms.AwsKmsSettings}. The only module that sees the KMS SDK.
 */
package dev.tokenvault.keys.awskms;
