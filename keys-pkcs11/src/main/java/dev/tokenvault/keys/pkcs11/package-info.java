/**
 * The HSM key manager: the key-encryption key is a non-extractable AES-256 object in a PKCS#11
 * token, used through the JDK's SunPKCS11 provider. Entry points: {@link
 * dev.tokenvault.keys.pkcs11.Pkcs11KeyManager#open} with {@link
 * dev.tokenvault.keys.pkcs11.Pkcs11Settings}. Selecting the token by label needs the JVM option
 * {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}.
 */
package dev.tokenvault.keys.pkcs11;
