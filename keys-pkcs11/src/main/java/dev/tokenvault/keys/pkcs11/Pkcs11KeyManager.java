package dev.tokenvault.keys.pkcs11;

import dev.tokenvault.core.keys.DataKey;
import dev.tokenvault.core.keys.EncryptionContext;
import dev.tokenvault.core.keys.KeyManager;
import dev.tokenvault.core.keys.KeyManagerException;
import dev.tokenvault.core.keys.WrappedKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key manager whose key-encryption key (KEK) lives inside an HSM, reached through PKCS#11 with
 * the JDK's own SunPKCS11 provider (no native code of ours, no extra dependency).
 *
 * <h2>Threat model</h2>
 *
 * The KEK is an AES-256 secret-key token object created {@code CKA_SENSITIVE=true}, {@code
 * CKA_EXTRACTABLE=false}: no PKCS#11 call returns its value, so neither a copy of the database
 * nor a compromise of this process yields it. What a compromised process can do is what the vault
 * itself can do: ask the HSM to decrypt wrapped data keys while it holds the login. That is why
 * the PIN comes from the environment or a file (never a command line or a log), why every
 * key-manager call is audited by the caller, and why versions that are retired are deleted from
 * the token. A KEK version found extractable is refused at start.
 *
 * <h2>Key versions</h2>
 *
 * KEK version N is the secret-key object labelled {@code <key-label>-v<N>} (N = 1, 2, ...,
 * decimal, no leading zero); the current version is the highest present. {@link #rotate()} makes
 * version N+1; older versions keep decrypting until {@link #retire} deletes them from the token
 * (or an operator does). {@link #rewrap} moves a wrapped key to the current version. A wrapped
 * key naming a version newer than any this instance knows (another instance rotated) makes it
 * re-read the token's labels once.
 *
 * <h2>Wrapped key format (61 bytes)</h2>
 *
 * <pre>
 * 0x01 (format) | IV (12 bytes) | AES-256-GCM ciphertext of the 32-byte data key | tag (16 bytes)
 * AAD = "tokenvault/pkcs11-kek" | KEK version (u32, big-endian) | EncryptionContext.canonicalBytes()
 * </pre>
 *
 * Encryption and decryption run inside the HSM ({@code C_Encrypt}/{@code C_Decrypt} with {@code
 * CKM_AES_GCM}); the data key is in this process only as the caller's clear copy. The version is
 * in the AAD, so a wrapped key relabelled with another version does not decrypt; the format byte
 * leaves room for another scheme. IVs are 96 random bits from the HSM's generator (the JDK's if
 * the HSM has none): NIST SP 800-38D allows 2^32 random-IV encryptions per key, and a vault
 * makes one per data key, i.e. a few per hour.
 *
 * <h2>Why AES-GCM and not key wrap</h2>
 *
 * PKCS#11 has key-wrapping mechanisms ({@code CKM_AES_KEY_WRAP(_PAD)}, RFC 3394/5649), but on
 * this stack they are not usable: SunPKCS11 on JDK 17 supports neither {@code WRAP_MODE} for a
 * secret key into the HSM nor {@code AES/KW*}, and SoftHSM2 refuses them from JDK 25. Key wrap
 * also binds no associated data, so the encryption context (which ties a data key to its
 * namespace and id) would be lost. AES-GCM with the context as AAD gives the same
 * confidentiality plus that binding; its cost is the 12-byte IV and the random-IV limit above.
 *
 * <h2>Failures</h2>
 *
 * A PKCS#11 error (the HSM or its session went away, the login was dropped, the module failed)
 * becomes {@link KeyManagerException.Unavailable}, and the next call logs in again on a fresh
 * provider instance: the manager recovers by itself once the HSM is back. The one failed call is
 * not retried inside, so an outage costs one HSM round trip per call, not two. A GCM tag mismatch
 * ({@code AEADBadTagException}) is {@link KeyManagerException.IntegrityFailure} only after a
 * probe encryption under the same KEK succeeds: SoftHSM2 reports a bad tag as {@code
 * CKR_GENERAL_ERROR}, which SunPKCS11 turns into {@code AEADBadTagException}, and a dying HSM
 * could report the same; an outage must never look like tampering.
 *
 * <h2>Threads</h2>
 *
 * Thread-safe. Each call uses its own {@code Cipher}; SunPKCS11 pools PKCS#11 sessions. Logins
 * and key creation are serialised on one lock.
 *
 * <h2>Closing</h2>
 *
 * {@link #close()} forgets the key handles and overwrites the PIN copy. It does not log out:
 * a PKCS#11 login belongs to the whole process for that token, so logging out would break any
 * other user of the token in this JVM. The library's sessions end with the process.
 */
public final class Pkcs11KeyManager implements KeyManager {
  /** The JCE name of AES-GCM. Not "AES_256/GCM/NoPadding": SunPKCS11 checks its key size wrongly. */
  static final String TRANSFORMATION = "AES/GCM/NoPadding";
  static final byte FORMAT_V1 = 1;
  /** 96-bit IVs: the size GCM is specified for (SP 800-38D 8.2). */
  static final int IV_BYTES = 12;
  static final int TAG_BITS = 128;
  static final int WRAPPED_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BITS / 8;
  static final String KEK_ID_PREFIX = "pkcs11:";

  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11KeyManager.class);
  private static final byte[] AAD_LABEL =
      "tokenvault/pkcs11-kek".getBytes(StandardCharsets.US_ASCII);
  /** The largest version accepted; keeps labels inside PKCS#11's 32 characters. */
  private static final int MAX_VERSION = 999_999;

  private final Pkcs11Settings settings;
  private final String providerConfig;
  private final String kekId;
  private final Pattern versionLabel;
  private final char[] pin;
  private final Object lock = new Object();
  /** Null once a PKCS#11 call failed: the next call logs in again. */
  private volatile Connection connection;
  private volatile boolean closed;

  /** One logged-in provider instance and the KEK versions it sees. Immutable. */
  private record Connection(
      Provider provider, KeyStore keyStore, SecureRandom random, NavigableMap<Integer, SecretKey> keks) {
    int current() {
      return keks.lastKey();
    }
  }

  private Pkcs11KeyManager(Pkcs11Settings settings, String providerConfig, char[] pin) {
    this.settings = settings;
    this.providerConfig = providerConfig;
    this.kekId = KEK_ID_PREFIX + settings.keyLabel();
    this.versionLabel = Pattern.compile(Pattern.quote(settings.keyLabel()) + "-v([1-9][0-9]{0,5})");
    this.pin = pin.clone();
  }

  /**
   * Logs in to the token and loads the KEK versions; with {@code createKey}, creates version 1
   * when there is none.
   *
   * @param pin the user PIN; copied, the caller should overwrite its array afterwards
   * @throws KeyManagerException.Unavailable if the module or the token cannot be reached
   * @throws IllegalStateException for configuration errors (no such library or token, wrong
   *     PIN, no key and {@code createKey} off, an extractable key)
   */
  public static Pkcs11KeyManager open(Pkcs11Settings settings, char[] pin) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(pin, "pin");
    if (!Files.isRegularFile(Path.of(settings.library()))) {
      throw new IllegalStateException("PKCS#11 library not found: " + settings.library());
    }
    Pkcs11KeyManager manager =
        new Pkcs11KeyManager(settings, providerConfig(settings), pin);
    synchronized (manager.lock) {
      Connection c = manager.connect();
      if (c.keks.isEmpty()) {
        if (!settings.createKey()) {
          throw new IllegalStateException(
              "the token holds no key labelled "
                  + settings.keyLabel()
                  + "-v1: set tokenvault.keys.pkcs11.create-key=true once to create it");
        }
        c = manager.createVersion(c, 1);
        LOG.info("created key-encryption key {}-v1 in the HSM", settings.keyLabel());
      }
      manager.connection = c;
      LOG.info(
          "PKCS#11 key manager ready: KEK {} version {} (versions {}), library {}, {}, random from"
              + " {}",
          manager.kekId,
          c.current(),
          c.keks.keySet(),
          settings.library(),
          settings.tokenLabel() != null
              ? "token '" + settings.tokenLabel() + "'"
              : "slot index " + settings.slotIndex(),
          c.random.getProvider().getName());
      return manager;
    }
  }

  static String providerConfig(Pkcs11Settings settings) {
    StringBuilder config = new StringBuilder("--name=tokenvault\n");
    config.append("library=").append(settings.library()).append('\n');
    if (settings.slotIndex() != null) {
      config.append("slotListIndex=").append(settings.slotIndex()).append('\n');
    } else {
      config
          .append("slot=")
          .append(TokenSlots.slotIdOf(settings.library(), settings.tokenLabel()))
          .append('\n');
    }
    // Keys generated by this provider (the KEK, then copied to a token object) never leave it.
    config.append("attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n");
    config.append("  CKA_SENSITIVE = true\n");
    config.append("  CKA_EXTRACTABLE = false\n");
    config.append("}\n");
    return config.toString();
  }

  /** Configures a fresh provider instance, logs in and reads the KEK versions. Holds the lock. */
  private Connection connect() {
    Provider provider;
    try {
      provider = Security.getProvider("SunPKCS11").configure(providerConfig);
    } catch (ProviderException | InvalidParameterException e) {
      throw unavailable("cannot initialise the PKCS#11 module or slot", e);
    }
    KeyStore keyStore;
    try {
      keyStore = KeyStore.getInstance("PKCS11", provider);
      keyStore.load(null, pin);
    } catch (IOException | GeneralSecurityException | ProviderException e) {
      String code = pkcs11Code(e);
      if (code != null && code.startsWith("CKR_PIN_")) {
        throw new IllegalStateException("the HSM refused the login (" + code + "): check the PIN");
      }
      throw unavailable("cannot log in to the token", e);
    }
    SecureRandom random;
    try {
      random = SecureRandom.getInstance("PKCS11", provider);
    } catch (NoSuchAlgorithmException e) {
      random = new SecureRandom();
    }
    return new Connection(provider, keyStore, random, readVersions(keyStore));
  }

  private NavigableMap<Integer, SecretKey> readVersions(KeyStore keyStore) {
    NavigableMap<Integer, SecretKey> keks = new TreeMap<>();
    try {
      for (String alias : Collections.list(keyStore.aliases())) {
        Matcher m = versionLabel.matcher(alias);
        if (!m.matches()) {
          continue;
        }
        Key key = keyStore.getKey(alias, null);
        if (!(key instanceof SecretKey secret) || !"AES".equalsIgnoreCase(key.getAlgorithm())) {
          LOG.warn("ignoring token object {}: not an AES secret key", alias);
          continue;
        }
        if (key.getEncoded() != null) {
          throw new IllegalStateException(
              "the HSM key "
                  + alias
                  + " is extractable or not sensitive: refusing to use it as a KEK");
        }
        keks.put(Integer.parseInt(m.group(1)), secret);
      }
    } catch (GeneralSecurityException | ProviderException e) {
      throw unavailable("cannot read the key-encryption keys from the token", e);
    }
    return Collections.unmodifiableNavigableMap(keks);
  }

  /** Creates KEK version {@code version} as a token object. Holds the lock. */
  private Connection createVersion(Connection c, int version) {
    String label = settings.keyLabel() + "-v" + version;
    try {
      if (c.keyStore.containsAlias(label)) {
        throw new IllegalStateException("the token already holds a key labelled " + label);
      }
      KeyGenerator generator = KeyGenerator.getInstance("AES", c.provider);
      generator.init(256, c.random);
      SecretKey sessionKey = generator.generateKey();
      c.keyStore.setEntry(label, new KeyStore.SecretKeyEntry(sessionKey), null);
    } catch (GeneralSecurityException | ProviderException e) {
      throw unavailable("cannot create the key-encryption key " + label, e);
    }
    Connection updated = new Connection(c.provider, c.keyStore, c.random, readVersions(c.keyStore));
    if (!updated.keks.containsKey(version)) {
      throw new IllegalStateException("the HSM did not keep the new key " + label);
    }
    return updated;
  }

  /**
   * Creates KEK version {@link #currentVersion()} + 1 in the token and makes it current. Data
   * keys wrapped under older versions keep decrypting.
   *
   * @return the new current version
   */
  public int rotate() {
    synchronized (lock) {
      Connection c = connection();
      int next = c.current() + 1;
      if (next > MAX_VERSION) {
        throw new IllegalStateException("no KEK version after " + MAX_VERSION);
      }
      connection = createVersion(c, next);
      LOG.info("rotated key-encryption key {} to version {}", kekId, next);
      return next;
    }
  }

  @Override
  public String kekId() {
    return kekId;
  }

  @Override
  public int currentVersion() {
    return connection().current();
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    Objects.requireNonNull(context, "context");
    Connection c = connection();
    byte[] key = new byte[DATA_KEY_BYTES];
    try {
      c.random.nextBytes(key);
      return new DataKey(key, wrap(c, key, context, "GenerateDataKey"));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Encrypts {@code key} inside the HSM under the current version of {@code c}. */
  private WrappedKey wrap(Connection c, byte[] key, EncryptionContext context, String operation) {
    int version = c.current();
    byte[] iv = new byte[IV_BYTES];
    try {
      c.random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance(TRANSFORMATION, c.provider);
      cipher.init(Cipher.ENCRYPT_MODE, c.keks.get(version), new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(aad(version, context));
      byte[] sealed = cipher.doFinal(key);
      if (1 + IV_BYTES + sealed.length != WRAPPED_BYTES) {
        throw new IllegalStateException("the HSM returned " + sealed.length + " bytes of GCM output");
      }
      byte[] wrapped =
          ByteBuffer.allocate(WRAPPED_BYTES).put(FORMAT_V1).put(iv).put(sealed).array();
      return new WrappedKey(kekId, version, wrapped);
    } catch (GeneralSecurityException | ProviderException e) {
      throw lost(c, operation, e);
    }
  }

  /**
   * Decrypts inside the HSM under the old version and encrypts under the current one. The data
   * key passes through this process in clear for that moment, as on every {@link
   * #decryptDataKey} (PKCS#11 key wrap, which would keep it inside, is not usable here: see
   * "Why AES-GCM and not key wrap"), and is overwritten at once.
   */
  @Override
  public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
    byte[] key = decryptDataKey(wrapped, context);
    try {
      return wrap(connection(), key, context, "ReEncrypt");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public java.util.SortedSet<Integer> versions() {
    return Collections.unmodifiableSortedSet(new TreeMap<>(connection().keks).navigableKeySet());
  }

  /**
   * Deletes KEK version {@code version}'s key object from the token ({@code C_DestroyObject}):
   * nothing can unwrap under it afterwards, in this instance or any other.
   */
  @Override
  public void retire(int version) {
    synchronized (lock) {
      Connection c = connection();
      if (version == c.current()) {
        throw new IllegalStateException("the current KEK version cannot be retired");
      }
      if (!c.keks.containsKey(version)) {
        throw new IllegalStateException("no KEK version " + version + " to retire");
      }
      String label = settings.keyLabel() + "-v" + version;
      try {
        c.keyStore.deleteEntry(label);
      } catch (GeneralSecurityException | ProviderException e) {
        throw lost(c, "DeleteKey", e);
      }
      connection = new Connection(c.provider, c.keyStore, c.random, readVersions(c.keyStore));
      LOG.info("retired key-encryption key {}: deleted {} from the token", kekId, label);
    }
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    if (!kekId.equals(wrapped.kekId())) {
      throw integrity("the data key was wrapped by another key-encryption key");
    }
    byte[] bytes = wrapped.ciphertext();
    if (bytes.length != WRAPPED_BYTES || bytes[0] != FORMAT_V1) {
      throw integrity("invalid wrapped key");
    }
    int version = wrapped.kekVersion();
    if (version < 1 || version > MAX_VERSION) {
      throw integrity("invalid wrapped key");
    }
    Connection c = connection();
    SecretKey kek = c.keks.get(version);
    if (kek == null && version > c.current()) {
      c = reread(c);
      kek = c.keks.get(version);
    }
    if (kek == null) {
      throw integrity("no key-encryption key version " + version + " in the token");
    }
    byte[] key;
    try {
      Cipher cipher = Cipher.getInstance(TRANSFORMATION, c.provider);
      cipher.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, bytes, 1, IV_BYTES));
      cipher.updateAAD(aad(version, context));
      key = cipher.doFinal(bytes, 1 + IV_BYTES, bytes.length - 1 - IV_BYTES);
    } catch (AEADBadTagException e) {
      if (probe(c, kek)) {
        throw integrity("the wrapped data key does not decrypt");
      }
      throw lost(c, "Decrypt", e);
    } catch (GeneralSecurityException | ProviderException e) {
      throw lost(c, "Decrypt", e);
    }
    if (key.length != DATA_KEY_BYTES) {
      Arrays.fill(key, (byte) 0);
      throw integrity("invalid wrapped key");
    }
    return key;
  }

  /** True if the HSM still encrypts under {@code kek}: a tag failure is then real. */
  private static boolean probe(Connection c, SecretKey kek) {
    try {
      byte[] iv = new byte[IV_BYTES];
      c.random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance(TRANSFORMATION, c.provider);
      cipher.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(AAD_LABEL);
      cipher.doFinal(new byte[1]);
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Re-reads the token's labels: another instance may have made a newer version. */
  private Connection reread(Connection c) {
    synchronized (lock) {
      Connection current = connection;
      if (current != c && current != null) {
        return current;
      }
      try {
        c.keyStore.load(null, pin);
      } catch (IOException | GeneralSecurityException | ProviderException e) {
        throw lost(c, "ListKeys", e);
      }
      Connection updated = new Connection(c.provider, c.keyStore, c.random, readVersions(c.keyStore));
      connection = updated;
      return updated;
    }
  }

  private Connection connection() {
    Connection c = connection;
    if (c != null) {
      return c;
    }
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the PKCS#11 key manager is closed");
      }
      if (connection == null) {
        Connection fresh = connect();
        if (fresh.keks.isEmpty()) {
          throw unavailable("the token no longer holds any key " + settings.keyLabel() + "-vN", null);
        }
        connection = fresh;
        LOG.info("PKCS#11 key manager logged in again: KEK {} version {}", kekId, fresh.current());
      }
      return connection;
    }
  }

  /** A call on {@code c} failed in the HSM: drop the connection so the next call logs in again. */
  private KeyManagerException.Unavailable lost(Connection c, String operation, Exception e) {
    synchronized (lock) {
      if (connection == c) {
        connection = null;
      }
    }
    return unavailable("HSM call " + operation + " failed", e);
  }

  private static KeyManagerException.Unavailable unavailable(String what, Exception e) {
    String reason = e == null ? null : pkcs11Code(e);
    if (reason == null && e != null) {
      reason = e.getClass().getSimpleName();
    }
    String message = reason == null ? what : what + " (" + reason + ")";
    LOG.warn("{}: the HSM is treated as unavailable until a call succeeds", message);
    return new KeyManagerException.Unavailable(message, e);
  }

  private static KeyManagerException.IntegrityFailure integrity(String message) {
    return new KeyManagerException.IntegrityFailure(message, null);
  }

  /**
   * The {@code CKR_...} code of the first PKCS11Exception in the cause chain, or null. The class
   * is internal to the JDK, so it is recognised by name; its message is the code's name.
   */
  static String pkcs11Code(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().equals("sun.security.pkcs11.wrapper.PKCS11Exception")) {
        String message = String.valueOf(t.getMessage());
        int end = 0;
        while (end < message.length()
            && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '_')) {
          end++;
        }
        return message.substring(0, end);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static byte[] aad(int version, EncryptionContext context) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(AAD_LABEL);
    out.writeBytes(ByteBuffer.allocate(4).putInt(version).array());
    out.writeBytes(context.canonicalBytes());
    return out.toByteArray();
  }

  /** The provider of the current connection; tests use it to drop the login as an HSM would. */
  Provider provider() {
    return connection().provider;
  }

  /** The KEK versions of the current connection (tests check their attributes). */
  Map<Integer, SecretKey> keks() {
    return connection().keks;
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      connection = null;
      Arrays.fill(pin, '\0');
    }
  }

  @Override
  public String toString() {
    return "Pkcs11KeyManager[" + kekId + ", library=" + settings.library() + ", pin=<masked>]";
  }
}
