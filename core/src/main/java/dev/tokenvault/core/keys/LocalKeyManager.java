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
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.ArrayList;
import com.codahale.shamir.Scheme;
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
 * passphrase, or under an unseal key split into M-of-N shares, so that a copy of the data
 * directory alone is useless. An unsealed file is announced with a loud warning at every start.
 *
 * <h2>File format ({@value #FILE_NAME}, Java properties)</h2>
 *
 * <pre>
 * format=tokenvault-local-kek/1
 * kek.id=local-...                     random, stable for the file's life
 * kek.current=2
 * sealed=false
 * kek.1.material=base64(32 random bytes)
 * kek.1.created=2026-11-23T03:00:00Z
 * kek.2.material=...                   made by rotate()
 * kek.2.created=...
 * kek.1.retired=2026-12-01T...          retire(1): the material is gone, the date stays
 * </pre>
 *
 * Sealed under a passphrase, the {@code kek.N.*} entries are replaced by {@code sealed.kdf.salt},
 * {@code sealed.kdf.iterations} and {@code sealed.keys}: the same entries encrypted with
 * AES-256-GCM under a key derived from the passphrase with PBKDF2-HMAC-SHA256 (600,000
 * iterations, OWASP 2023; the JDK's implementation, so no extra dependency), associated data
 * {@code tokenvault-local-kek/1}. A wrong passphrase fails to open the file; it never yields wrong
 * keys.
 *
 * <h2>Split knowledge (PCI DSS 3.7.6): M-of-N key shares</h2>
 *
 * {@link #initShares} seals the file under a random 256-bit <em>unseal key</em> ({@code
 * sealed.method=shares}, {@code sealed.keys} = AES-256-GCM under it, same associated data) and
 * splits that key with Shamir's secret sharing over GF(256) ({@code com.codahale:shamir}, chosen
 * over a hand-written GF(256) because it is small, dependency-free and reviewed) into N shares of
 * which any M rebuild it. Only the shares leave the process (once, to their custodians); the file
 * holds neither the key nor a share. Fewer than M shares reveal nothing about the key (Shamir's
 * scheme is information-theoretically secure); M shares of which one is wrong rebuild a wrong key,
 * which AES-GCM refuses: opening fails closed, it never yields wrong KEKs. A share reads {@code
 * tvshare1-<set>-<M>-<index>-<base64url>}; {@code set} names the share set (a re-split makes a new
 * one), so shares of another vault or an older split are told apart before any crypto.
 *
 * <h2>Key rotation</h2>
 *
 * {@link #rotate} adds version N+1 (fresh random material) and makes it current; {@link #retire}
 * removes a version's material. Both rewrite the file atomically (temporary file, fsync, rename:
 * a crash leaves the old file or the new one), sealed the same way as before, under a fresh salt.
 * To do so this manager keeps the passphrase or the unseal key in memory for its lifetime, which
 * exposes nothing more than the KEKs it already holds.
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
  /** Shares allowed per set: GF(256) has 255 non-zero points. */
  public static final int MAX_SHARES = 255;
  static final String SHARE_PREFIX = "tvshare1";

  /** How a key file is sealed. */
  public enum SealMode {
    /** No key file yet. */
    ABSENT,
    /** Keys in clear (development only). */
    NONE,
    /** Sealed under a passphrase ({@code TOKENVAULT_KEK_PASSPHRASE}). */
    PASSPHRASE,
    /** Sealed under an unseal key split into M-of-N shares. */
    SHARES
  }

  private static final Logger LOG = LoggerFactory.getLogger(LocalKeyManager.class);
  private static final byte[] WRAP_LABEL =
      "tokenvault/local-kek".getBytes(StandardCharsets.US_ASCII);

  private final Path file;
  private final Clock clock;
  private final String kekId;
  private final Sealer sealer;
  private final Object lock = new Object();
  private volatile State state;
  private final SecureRandom random = new SecureRandom();

  /** The versions held and the current one. Immutable. */
  private record State(int current, NavigableMap<Integer, Aead> keks) {}

  private LocalKeyManager(Path file, Clock clock, String kekId, Sealer sealer, State state) {
    this.file = file;
    this.clock = clock;
    this.kekId = kekId;
    this.sealer = sealer;
    this.state = state;
  }

  /** How the key file under {@code dataDir} is sealed, without opening it. */
  public static SealMode sealMode(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      return SealMode.ABSENT;
    }
    try {
      Properties p = read(file);
      if (!Boolean.parseBoolean(p.getProperty("sealed"))) {
        return SealMode.NONE;
      }
      return "shares".equals(p.getProperty("sealed.method")) ? SealMode.SHARES : SealMode.PASSPHRASE;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the local key file " + file, e);
    }
  }

  /**
   * True if {@code share} is well formed and belongs to the share set of the key file under
   * {@code dataDir} (says nothing about whether it is a right share).
   */
  public static boolean isWellFormedShare(Path dataDir, String share) {
    ParsedShare p = ParsedShare.parse(share);
    if (p == null) {
      return false;
    }
    try {
      Properties props = read(dataDir.resolve(FILE_NAME));
      return p.set().equals(props.getProperty("sealed.shares.set"))
          && Integer.toString(p.threshold()).equals(props.getProperty("sealed.shares.threshold"))
          && p.index() <= Integer.parseInt(props.getProperty("sealed.shares.count", "0"));
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  /** The threshold M of a key file sealed under shares. */
  public static int shareThreshold(Path dataDir) {
    try {
      return Integer.parseInt(read(dataDir.resolve(FILE_NAME)).getProperty("sealed.shares.threshold"));
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("the local key file is not sealed under shares", e);
    }
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
        write(file, passphrase == null ? created : new PassphraseSealer(passphrase).seal(created));
        LOG.info("created a new local key-encryption key file: {}", file);
      }
      Properties props = checkedRead(file);
      boolean sealed = Boolean.parseBoolean(props.getProperty("sealed"));
      if (sealed && "shares".equals(props.getProperty("sealed.method"))) {
        throw new IllegalStateException(
            "the local key file " + file + " is sealed under key shares: unseal it with shares");
      }
      Sealer sealer;
      Properties keys;
      if (sealed) {
        if (passphrase == null) {
          throw new IllegalStateException(
              "the local key file " + file + " is sealed: set TOKENVAULT_KEK_PASSPHRASE to open it");
        }
        sealer = new PassphraseSealer(passphrase);
        keys = sealer.unseal(props);
      } else {
        keys = props;
        if (passphrase != null) {
          sealer = new PassphraseSealer(passphrase);
          write(file, sealer.seal(props));
          LOG.warn("sealed the local key file {} under the given passphrase", file);
        } else {
          sealer = new NoSealer();
          LOG.warn(
              "\n*** The local key-encryption key is stored UNSEALED in {}.\n"
                  + "*** Anyone who can read the data directory can read every value.\n"
                  + "*** Development only: seal it (TOKENVAULT_KEK_PASSPHRASE or key shares) or use"
                  + " an HSM or KMS key manager in production. ***",
              file);
        }
      }
      return new LocalKeyManager(file, clock, props.getProperty("kek.id"), sealer, state(keys));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the local key file " + file, e);
    }
  }

  /**
   * Opens a key file sealed under shares ({@link #initShares}) with at least M of them.
   *
   * @throws IllegalStateException if fewer than M distinct shares of this file's share set are
   *     given, or if they do not unseal the file (a wrong or altered share); the message never
   *     contains a share
   */
  public static LocalKeyManager openWithShares(Path dataDir, Collection<String> shares, Clock clock) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(shares, "shares");
    Objects.requireNonNull(clock, "clock");
    Path file = dataDir.resolve(FILE_NAME);
    try {
      if (!Files.exists(file)) {
        throw new IllegalStateException("no local key file " + file);
      }
      Properties props = checkedRead(file);
      if (!"shares".equals(props.getProperty("sealed.method"))) {
        throw new IllegalStateException("the local key file " + file + " is not sealed under shares");
      }
      ShareSealer sealer = ShareSealer.join(props, shares);
      Properties keys = sealer.unseal(props);
      return new LocalKeyManager(file, clock, props.getProperty("kek.id"), sealer, state(keys));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the local key file " + file, e);
    }
  }

  /**
   * Seals the key file under {@code dataDir} (created if absent) under a new random unseal key and
   * returns that key split into {@code shares} shares, any {@code threshold} of which unseal it.
   * The shares exist only in the returned list: hand each to its own custodian.
   *
   * @param passphrase opens the file if it is sealed under a passphrase now, else null
   * @throws IllegalStateException if the file is already sealed under shares (re-splitting needs
   *     the old shares: not offered here), or cannot be opened
   */
  public static List<String> initShares(
      Path dataDir, char[] passphrase, int shares, int threshold, Clock clock) {
    if (threshold < 2 || shares < threshold || shares > MAX_SHARES) {
      throw new IllegalArgumentException(
          "shares and threshold must satisfy 2 <= threshold <= shares <= " + MAX_SHARES);
    }
    if (sealMode(dataDir) == SealMode.SHARES) {
      throw new IllegalStateException("the local key file is already sealed under key shares");
    }
    Path file = dataDir.resolve(FILE_NAME);
    try {
      Properties keys;
      if (sealMode(dataDir) == SealMode.ABSENT) {
        keys = newKeyFile(clock);
      } else {
        Properties props = checkedRead(file);
        if (Boolean.parseBoolean(props.getProperty("sealed"))) {
          if (passphrase == null) {
            throw new IllegalStateException(
                "the local key file is sealed under a passphrase: set TOKENVAULT_KEK_PASSPHRASE");
          }
          keys = new PassphraseSealer(passphrase).unseal(props);
          keys.setProperty("kek.id", props.getProperty("kek.id"));
        } else {
          keys = props;
        }
      }
      state(keys); // refuses a file without usable keys before it is resealed
      byte[] unsealKey = new byte[TinkPrimitives.KEY_BYTES];
      SecureRandom random = new SecureRandom();
      random.nextBytes(unsealKey);
      byte[] set = new byte[4];
      random.nextBytes(set);
      ShareSealer sealer = new ShareSealer(unsealKey, threshold, shares, HexFormat.of().formatHex(set));
      Map<Integer, byte[]> parts = new Scheme(random, shares, threshold).split(unsealKey);
      Arrays.fill(unsealKey, (byte) 0);
      write(file, sealer.seal(keys));
      List<String> out = new ArrayList<>();
      for (Map.Entry<Integer, byte[]> part : new TreeMap<>(parts).entrySet()) {
        out.add(
            SHARE_PREFIX + "-" + sealer.set + "-" + threshold + "-" + part.getKey() + "-"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(part.getValue()));
        Arrays.fill(part.getValue(), (byte) 0);
      }
      LOG.info(
          "sealed the local key file {} under a new unseal key split into {} shares, threshold {}",
          file, shares, threshold);
      return List.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot seal the local key file " + file, e);
    }
  }

  private static Properties checkedRead(Path file) throws IOException {
    Properties props = read(file);
    if (!FORMAT.equals(props.getProperty("format"))) {
      throw new IllegalStateException("unknown key file format in " + file);
    }
    return props;
  }

  private static State state(Properties keys) {
    int current = Integer.parseInt(keys.getProperty("kek.current"));
    NavigableMap<Integer, Aead> keks = new TreeMap<>();
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
    return new State(current, Collections.unmodifiableNavigableMap(keks));
  }

  private static Properties newKeyFile(Clock clock) {
    SecureRandom random = new SecureRandom();
    byte[] id = new byte[8];
    random.nextBytes(id);
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("kek.id", "local-" + HexFormat.of().formatHex(id));
    p.setProperty("kek.current", "1");
    p.setProperty("sealed", "false");
    addVersion(p, 1, clock);
    return p;
  }

  private static void addVersion(Properties p, int version, Clock clock) {
    byte[] material = new byte[TinkPrimitives.KEY_BYTES];
    new SecureRandom().nextBytes(material);
    p.setProperty("kek." + version + ".material", Base64.getEncoder().encodeToString(material));
    p.setProperty("kek." + version + ".created", clock.instant().toString());
    Arrays.fill(material, (byte) 0);
  }

  /** Turns the clear key entries into the file's content and back. */
  private interface Sealer {
    Properties seal(Properties clear) throws IOException;

    Properties unseal(Properties sealed) throws IOException;
  }

  private static final class NoSealer implements Sealer {
    @Override
    public Properties seal(Properties clear) {
      Properties out = new Properties();
      out.putAll(clear);
      out.setProperty("sealed", "false");
      return out;
    }

    @Override
    public Properties unseal(Properties sealed) {
      return sealed;
    }
  }

  /** The sealed entries: every {@code kek.*} entry but the id, serialized. */
  private static byte[] keyEntries(Properties clear) throws IOException {
    Properties keys = new Properties();
    for (String name : clear.stringPropertyNames()) {
      if (name.startsWith("kek.") && !name.equals("kek.id")) {
        keys.setProperty(name, clear.getProperty(name));
      }
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    keys.store(buf, null);
    return buf.toByteArray();
  }

  private static Properties header(Properties clear) {
    Properties out = new Properties();
    out.setProperty("format", FORMAT);
    out.setProperty("kek.id", clear.getProperty("kek.id"));
    out.setProperty("sealed", "true");
    return out;
  }

  private static Properties openEntries(Aead aead, Properties sealed, String failure)
      throws IOException {
    byte[] clear;
    try {
      clear =
          aead.decrypt(
              Base64.getDecoder().decode(sealed.getProperty("sealed.keys")),
              FORMAT.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      throw new IllegalStateException(failure);
    }
    Properties keys = new Properties();
    keys.load(new ByteArrayInputStream(clear));
    Arrays.fill(clear, (byte) 0);
    return keys;
  }

  private static final class PassphraseSealer implements Sealer {
    private final char[] passphrase;

    PassphraseSealer(char[] passphrase) {
      this.passphrase = passphrase.clone();
    }

    @Override
    public Properties seal(Properties clear) throws IOException {
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      byte[] sealedKeys;
      try {
        sealedKeys =
            passphraseAead(passphrase, salt, PBKDF2_ITERATIONS)
                .encrypt(keyEntries(clear), FORMAT.getBytes(StandardCharsets.US_ASCII));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot seal the key file", e);
      }
      Properties out = header(clear);
      out.setProperty("sealed.kdf", "PBKDF2WithHmacSHA256");
      out.setProperty("sealed.kdf.iterations", Integer.toString(PBKDF2_ITERATIONS));
      out.setProperty("sealed.kdf.salt", Base64.getEncoder().encodeToString(salt));
      out.setProperty("sealed.keys", Base64.getEncoder().encodeToString(sealedKeys));
      return out;
    }

    @Override
    public Properties unseal(Properties sealed) throws IOException {
      byte[] salt = Base64.getDecoder().decode(sealed.getProperty("sealed.kdf.salt"));
      int iterations = Integer.parseInt(sealed.getProperty("sealed.kdf.iterations"));
      return openEntries(
          passphraseAead(passphrase, salt, iterations),
          sealed,
          "cannot unseal the local key file: wrong passphrase?");
    }
  }

  private static final class ShareSealer implements Sealer {
    private final byte[] unsealKey;
    private final int threshold;
    private final int shares;
    private final String set;

    ShareSealer(byte[] unsealKey, int threshold, int shares, String set) {
      this.unsealKey = unsealKey.clone();
      this.threshold = threshold;
      this.shares = shares;
      this.set = set;
    }

    /** Rebuilds the unseal key from the given shares; never echoes a share. */
    static ShareSealer join(Properties props, Collection<String> given) {
      String set = props.getProperty("sealed.shares.set");
      int threshold = Integer.parseInt(props.getProperty("sealed.shares.threshold"));
      int count = Integer.parseInt(props.getProperty("sealed.shares.count"));
      Map<Integer, byte[]> parts = new HashMap<>();
      int foreign = 0;
      for (String share : given) {
        ParsedShare p = ParsedShare.parse(share);
        if (p == null || !p.set.equals(set) || p.threshold != threshold || p.index > count) {
          foreign++;
          continue;
        }
        parts.putIfAbsent(p.index, p.bytes);
      }
      if (parts.size() < threshold) {
        throw new IllegalStateException(
            "not enough key shares: "
                + parts.size()
                + " of "
                + threshold
                + " needed"
                + (foreign > 0 ? " (" + foreign + " malformed or of another share set)" : ""));
      }
      byte[] key = new Scheme(new SecureRandom(), count, threshold).join(parts);
      try {
        if (key.length != TinkPrimitives.KEY_BYTES) {
          throw new IllegalStateException("the key shares do not unseal the local key file");
        }
        return new ShareSealer(key, threshold, count, set);
      } finally {
        Arrays.fill(key, (byte) 0);
        parts.values().forEach(b -> Arrays.fill(b, (byte) 0));
      }
    }

    @Override
    public Properties seal(Properties clear) throws IOException {
      byte[] sealedKeys;
      try {
        sealedKeys =
            TinkPrimitives.aes256Gcm(unsealKey)
                .encrypt(keyEntries(clear), FORMAT.getBytes(StandardCharsets.US_ASCII));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot seal the key file", e);
      }
      Properties out = header(clear);
      out.setProperty("sealed.method", "shares");
      out.setProperty("sealed.shares.scheme", "shamir-gf256");
      out.setProperty("sealed.shares.set", set);
      out.setProperty("sealed.shares.threshold", Integer.toString(threshold));
      out.setProperty("sealed.shares.count", Integer.toString(shares));
      out.setProperty("sealed.keys", Base64.getEncoder().encodeToString(sealedKeys));
      return out;
    }

    @Override
    public Properties unseal(Properties sealed) throws IOException {
      return openEntries(
          TinkPrimitives.aes256Gcm(unsealKey),
          sealed,
          "the key shares do not unseal the local key file (a wrong or altered share?)");
    }
  }

  /** {@code tvshare1-<set>-<M>-<index>-<base64url>}; null if malformed. */
  private record ParsedShare(String set, int threshold, int index, byte[] bytes) {
    static ParsedShare parse(String share) {
      if (share == null) {
        return null;
      }
      String[] f = share.strip().split("-", 5);
      if (f.length != 5 || !f[0].equals(SHARE_PREFIX) || !f[1].matches("[0-9a-f]{8}")) {
        return null;
      }
      try {
        int threshold = Integer.parseInt(f[2]);
        int index = Integer.parseInt(f[3]);
        byte[] bytes = Base64.getUrlDecoder().decode(f[4]);
        if (index < 1 || index > MAX_SHARES || bytes.length != TinkPrimitives.KEY_BYTES) {
          return null;
        }
        return new ParsedShare(f[1], threshold, index, bytes);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
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
    try (var dirChannel = FileChannel.open(dir, StandardOpenOption.READ)) {
      dirChannel.force(true); // the rename itself survives a power loss
    } catch (IOException | UnsupportedOperationException e) {
      // Not every file system lets a directory be opened; the rename is still atomic.
    }
  }

  /** Reads and unseals the file, lets {@code change} edit the clear entries, writes it back. */
  private State update(java.util.function.Consumer<Properties> change) {
    try {
      Properties props = checkedRead(file);
      if (!kekId.equals(props.getProperty("kek.id"))) {
        throw new IllegalStateException("the local key file " + file + " now holds another KEK");
      }
      Properties keys = Boolean.parseBoolean(props.getProperty("sealed")) ? sealer.unseal(props) : props;
      keys.setProperty("format", FORMAT);
      keys.setProperty("kek.id", kekId);
      change.accept(keys);
      State updated = state(keys);
      write(file, sealer.seal(keys));
      return updated;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update the local key file " + file, e);
    }
  }

  @Override
  public String kekId() {
    return kekId;
  }

  @Override
  public int currentVersion() {
    return state.current();
  }

  @Override
  public SortedSet<Integer> versions() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(state.keks().keySet()));
  }

  /** Adds version N+1 to the key file (atomically) and makes it current. */
  @Override
  public int rotate() {
    synchronized (lock) {
      int next = state.keks().lastKey() + 1;
      state =
          update(
              keys -> {
                addVersion(keys, next, clock);
                keys.setProperty("kek.current", Integer.toString(next));
              });
      LOG.info("rotated local key-encryption key {} to version {}", kekId, next);
      return next;
    }
  }

  @Override
  public void retire(int version) {
    synchronized (lock) {
      State s = state;
      if (version == s.current()) {
        throw new IllegalStateException("the current KEK version cannot be retired");
      }
      if (!s.keks().containsKey(version)) {
        throw new IllegalStateException("no KEK version " + version + " to retire");
      }
      state =
          update(
              keys -> {
                keys.remove("kek." + version + ".material");
                keys.setProperty("kek." + version + ".retired", clock.instant().toString());
              });
      LOG.info("retired local key-encryption key {} version {}", kekId, version);
    }
  }

  @Override
  public WrappedKey rewrap(WrappedKey wrapped, EncryptionContext context) {
    byte[] key = decryptDataKey(wrapped, context);
    State s = state;
    try {
      byte[] rewrapped = s.keks().get(s.current()).encrypt(key, aad(s.current(), context));
      return new WrappedKey(kekId, s.current(), rewrapped);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    State s = state;
    byte[] key = new byte[DATA_KEY_BYTES];
    random.nextBytes(key);
    try {
      byte[] wrapped = s.keks().get(s.current()).encrypt(key, aad(s.current(), context));
      return new DataKey(key, new WrappedKey(kekId, s.current(), wrapped));
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
    Aead kek = state.keks().get(wrapped.kekVersion());
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
    return "LocalKeyManager[" + kekId + ", v" + state.current() + "]";
  }
}
