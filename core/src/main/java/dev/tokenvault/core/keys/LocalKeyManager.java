package dev.tokenvault.core.keys;

import com.google.crypto.tink.Aead;
import dev.tokenvault.core.crypto.TinkPrimitives;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.KeySpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded key manager: key-encryption keys (KEKs) in a file under the data directory.
 *
 * <h2>Threat model</h2>
 *
 * Whoever can read the key file and the database can read every value. That is acceptable on a
 * laptop, never in production: use an HSM ({@code pkcs11}) or a KMS ({@code awskms}) there. The
 * file is created owner-only (0600 in a 0700 directory), and it can be <em>sealed</em> under a
 * passphrase so that a copy of the data directory alone is useless. An unsealed file is announced
 * with a loud warning at every start.
 *
 * <h2>File format ({@value #FILE_NAME}, Java properties)</h2>
 *
 * <pre>
 * format=tokenvault-local-kek/1
 * kek.id=local-...                     random, stable for the file's life
 * kek.current=1
 * sealed=false
 * kek.1.material=base64(32 random bytes)
 * kek.1.created=2026-11-23T03:00:00Z
 * </pre>
 *
 * Sealed, the {@code kek.N.*} entries are replaced by {@code sealed.kdf.salt}, {@code
 * sealed.kdf.iterations} and {@code sealed.keys}: the same entries encrypted with AES-256-GCM
 * under a key derived from the passphrase with PBKDF2-HMAC-SHA256 (600,000 iterations, OWASP
 * 2023; the JDK's implementation, so no extra dependency), associated data {@code
 * tokenvault-local-kek/1}. A wrong passphrase fails to open the file; it never yields wrong keys.
 *
 * <h2>Wrapped data keys</h2>
 *
 * {@code AES-256-GCM(KEK version v, data key, AAD = "tokenvault/local-kek" || u32 v ||
 * EncryptionContext.canonicalBytes())}: 60 bytes (nonce, 32-byte key, tag).
 */
public final class LocalKeyManager implements KeyManager {
  public static final String FILE_NAME = "keys/local-kek.properties";
  static final String FORMAT = "tokenvault-local-kek/1";
  /** OWASP's 2023 minimum for PBKDF2-HMAC-SHA256. */
  static final int PBKDF2_ITERATIONS = 600_000;

  private static final Logger LOG = LoggerFactory.getLogger(LocalKeyManager.class);
  private static final byte[] WRAP_LABEL =
      "tokenvault/local-kek".getBytes(StandardCharsets.US_ASCII);

  private final String kekId;
  private final int currentVersion;
  private final Map<Integer, Aead> keks;
  private final SecureRandom random = new SecureRandom();

  private LocalKeyManager(String kekId, int currentVersion, Map<Integer, Aead> keks) {
    this.kekId = kekId;
    this.currentVersion = currentVersion;
    this.keks = Map.copyOf(keks);
  }

  /**
   * Opens the key file under {@code dataDir}, creating it with a new KEK on first use.
   *
   * @param passphrase seals the file: required to open a sealed file; given for an unsealed
   *     file, the file is sealed in place. Null for no sealing (development only).
   */
  public static LocalKeyManager open(Path dataDir, char[] passphrase, Clock clock) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(clock, "clock");
    Path file = dataDir.resolve(FILE_NAME);
    try {
      if (!Files.exists(file)) {
        Properties created = newKeyFile(clock);
        write(file, passphrase == null ? created : seal(created, passphrase));
        LOG.info("created a new local key-encryption key file: {}", file);
      }
      Properties props = read(file);
      if (!FORMAT.equals(props.getProperty("format"))) {
        throw new IllegalStateException("unknown key file format in " + file);
      }
      boolean sealed = Boolean.parseBoolean(props.getProperty("sealed"));
      Properties keys;
      if (sealed) {
        if (passphrase == null) {
          throw new IllegalStateException(
              "the local key file " + file + " is sealed: set TOKENVAULT_KEK_PASSPHRASE to open it");
        }
        keys = unseal(props, passphrase);
      } else {
        keys = props;
        if (passphrase != null) {
          write(file, seal(props, passphrase));
          LOG.warn("sealed the local key file {} under the given passphrase", file);
        } else {
          LOG.warn(
              "\n*** The local key-encryption key is stored UNSEALED in {}.\n"
                  + "*** Anyone who can read the data directory can read every value.\n"
                  + "*** Development only: seal it (TOKENVAULT_KEK_PASSPHRASE) or use an HSM or"
                  + " KMS key manager in production. ***",
              file);
        }
      }
      return fromKeys(props.getProperty("kek.id"), keys);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the local key file " + file, e);
    }
  }

  private static LocalKeyManager fromKeys(String kekId, Properties keys) {
    int current = Integer.parseInt(keys.getProperty("kek.current"));
    Map<Integer, Aead> keks = new TreeMap<>();
    for (String name : keys.stringPropertyNames()) {
      if (name.startsWith("kek.") && name.endsWith(".material")) {
        int version = Integer.parseInt(name.substring(4, name.length() - ".material".length()));
        byte[] material = Base64.getDecoder().decode(keys.getProperty(name));
        keks.put(version, TinkPrimitives.aes256Gcm(material));
        Arrays.fill(material, (byte) 0);
      }
    }
    if (!keks.containsKey(current)) {
      throw new IllegalStateException("the local key file has no material for version " + current);
    }
    return new LocalKeyManager(kekId, current, keks);
  }

  private static Properties newKeyFile(Clock clock) {
    SecureRandom random = new SecureRandom();
    byte[] material = new byte[TinkPrimitives.KEY_BYTES];
    random.nextBytes(material);
    byte[] id = new byte[8];
    random.nextBytes(id);
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("kek.id", "local-" + java.util.HexFormat.of().formatHex(id));
    p.setProperty("kek.current", "1");
    p.setProperty("sealed", "false");
    p.setProperty("kek.1.material", Base64.getEncoder().encodeToString(material));
    p.setProperty("kek.1.created", clock.instant().toString());
    Arrays.fill(material, (byte) 0);
    return p;
  }

  private static Properties seal(Properties clear, char[] passphrase) throws IOException {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    Properties keys = new Properties();
    for (String name : clear.stringPropertyNames()) {
      if (name.startsWith("kek.") && !name.equals("kek.id")) {
        keys.setProperty(name, clear.getProperty(name));
      }
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    keys.store(buf, null);
    byte[] sealedKeys;
    try {
      sealedKeys =
          passphraseAead(passphrase, salt, PBKDF2_ITERATIONS)
              .encrypt(buf.toByteArray(), FORMAT.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal the key file", e);
    }
    Properties out = new Properties();
    out.setProperty("format", FORMAT);
    out.setProperty("kek.id", clear.getProperty("kek.id"));
    out.setProperty("sealed", "true");
    out.setProperty("sealed.kdf", "PBKDF2WithHmacSHA256");
    out.setProperty("sealed.kdf.iterations", Integer.toString(PBKDF2_ITERATIONS));
    out.setProperty("sealed.kdf.salt", Base64.getEncoder().encodeToString(salt));
    out.setProperty("sealed.keys", Base64.getEncoder().encodeToString(sealedKeys));
    return out;
  }

  private static Properties unseal(Properties sealed, char[] passphrase) throws IOException {
    byte[] salt = Base64.getDecoder().decode(sealed.getProperty("sealed.kdf.salt"));
    int iterations = Integer.parseInt(sealed.getProperty("sealed.kdf.iterations"));
    byte[] clear;
    try {
      clear =
          passphraseAead(passphrase, salt, iterations)
              .decrypt(
                  Base64.getDecoder().decode(sealed.getProperty("sealed.keys")),
                  FORMAT.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot unseal the local key file: wrong passphrase?");
    }
    Properties keys = new Properties();
    keys.load(new ByteArrayInputStream(clear));
    Arrays.fill(clear, (byte) 0);
    return keys;
  }

  private static Aead passphraseAead(char[] passphrase, byte[] salt, int iterations) {
    try {
      KeySpec spec = new PBEKeySpec(passphrase, salt, iterations, 256);
      byte[] key =
          SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      Aead aead = TinkPrimitives.aes256Gcm(key);
      Arrays.fill(key, (byte) 0);
      return aead;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is required of every JVM", e);
    }
  }

  private static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (var in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  /** Writes owner-only, atomically: a crash leaves the old file or the new one, never half. */
  private static void write(Path file, Properties props) throws IOException {
    Path dir = file.getParent();
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (!Files.exists(dir)) {
      if (posix) {
        Files.createDirectories(
            dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    }
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (posix) {
      Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(ownerOnly));
    } else {
      Files.createFile(tmp);
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    props.store(buf, "tokenvault local key-encryption keys: never copy, never commit");
    try (var fc = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      fc.write(java.nio.ByteBuffer.wrap(buf.toByteArray()));
      fc.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public String kekId() {
    return kekId;
  }

  @Override
  public int currentVersion() {
    return currentVersion;
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    byte[] key = new byte[DATA_KEY_BYTES];
    random.nextBytes(key);
    try {
      byte[] wrapped = keks.get(currentVersion).encrypt(key, aad(currentVersion, context));
      return new DataKey(key, new WrappedKey(kekId, currentVersion, wrapped));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public byte[] decryptDataKey(WrappedKey wrapped, EncryptionContext context) {
    if (!kekId.equals(wrapped.kekId())) {
      throw new KeyManagerException.IntegrityFailure(
          "the data key was wrapped by another key-encryption key", null);
    }
    Aead kek = keks.get(wrapped.kekVersion());
    if (kek == null) {
      throw new KeyManagerException.IntegrityFailure(
          "no key-encryption key version " + wrapped.kekVersion(), null);
    }
    try {
      return kek.decrypt(wrapped.ciphertext(), aad(wrapped.kekVersion(), context));
    } catch (GeneralSecurityException e) {
      throw new KeyManagerException.IntegrityFailure("the wrapped data key does not decrypt", null);
    }
  }

  private static byte[] aad(int version, EncryptionContext context) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(WRAP_LABEL);
    out.write((version >>> 24) & 0xff);
    out.write((version >>> 16) & 0xff);
    out.write((version >>> 8) & 0xff);
    out.write(version & 0xff);
    out.writeBytes(context.canonicalBytes());
    return out.toByteArray();
  }

  @Override
  public String toString() {
    return "LocalKeyManager[" + kekId + ", v" + currentVersion + "]";
  }
}
