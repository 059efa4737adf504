package dev.tokenvault.store.dynamodb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * A real DynamoDB engine for one test class: DynamoDB Local, in memory, in-process, on a random
 * free port, telemetry off. Register with {@code @RegisterExtension static final LocalDynamo DYNAMO
 * = new LocalDynamo();}. Each test takes a fresh table prefix, so tests never share data.
 * Credentials are fake static ones: DynamoDB Local accepts any.
 */
final class LocalDynamo implements BeforeAllCallback, AfterAllCallback {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** Whether the engine keeps its data in files (under {@link #dbDir}) rather than memory. */
  private final boolean onDisk;

  private Path dbDir;

  private DynamoDBProxyServer server;
  private int port;
  private URI endpoint;

  /** An engine in memory: fast, gone when stopped. */
  LocalDynamo() {
    this(false);
  }

  private LocalDynamo(boolean onDisk) {
    this.onDisk = onDisk;
  }

  /** An engine on files in a temporary directory: its data survives {@link #restart()}. */
  static LocalDynamo onDisk() {
    return new LocalDynamo(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    if (onDisk) {
      dbDir = Files.createTempDirectory("tokenvault-dynamodb-local");
    }
    Exception last = null;
    for (int attempt = 0; attempt < 3 && server == null; attempt++) {
      int candidate = freePort();
      try {
        start(candidate);
      } catch (Exception e) {
        last = e; // the port was taken between probing and binding: try another
      }
    }
    if (server == null) {
      throw last;
    }
  }

  private void start(int onPort) throws Exception {
    String[] args =
        !onDisk
            ? new String[] {"-inMemory", "-disableTelemetry", "-port", Integer.toString(onPort)}
            : new String[] {
              "-sharedDb",
              "-dbPath",
              dbDir.toString(),
              "-disableTelemetry",
              "-port",
              Integer.toString(onPort)
            };
    DynamoDBProxyServer s = ServerRunner.createServerFromCommandLineArgs(args);
    s.start();
    server = s;
    port = onPort;
    endpoint = URI.create("http://127.0.0.1:" + onPort);
  }

  /** Stops the engine abruptly (requests in flight are cut) and starts it again on its port. */
  void restart() throws Exception {
    server.stop();
    server = null;
    start(port);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.stop();
    }
    if (dbDir != null) {
      try (Stream<Path> files = Files.walk(dbDir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** A new client on the engine. The caller (or the store it is given to) closes it. */
  DynamoDbClient client() {
    return DynamoDbClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("fake", "fake")))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** A prefix no other test uses. */
  String freshPrefix() {
    return "t" + PREFIXES.incrementAndGet() + "-";
  }

  DynamoDbSettings settings(String prefix) {
    return DynamoDbSettings.of("us-east-1")
        .withEndpoint(endpoint)
        .withTablePrefix(prefix)
        .withCreateTables(true);
  }

  /** A store (a "vault node") on the tables under {@code prefix}, creating them if missing. */
  DynamoDbStore store(String prefix) {
    return new DynamoDbStore(settings(prefix), client());
  }

  /** Every item of every table under {@code prefix}, serialized: what a database copy holds. */
  byte[] rawDump(String prefix) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DynamoDbClient client = client()) {
      for (String table : new Tables(prefix).all()) {
        Map<String, AttributeValue> start = null;
        do {
          Map<String, AttributeValue> from = start;
          ScanResponse page = client.scan(b -> b.tableName(table).exclusiveStartKey(from));
          for (Map<String, AttributeValue> item : page.items()) {
            write(out, table + "\n");
            new TreeMap<>(item)
                .forEach(
                    (k, v) -> {
                      write(out, k + "=");
                      value(out, v);
                      write(out, "\n");
                    });
          }
          start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
        } while (start != null && !start.isEmpty());
      }
    }
    return out.toByteArray();
  }

  /** The dump as text (binary attributes as raw bytes, read as ISO-8859-1). */
  String rawText(String prefix) {
    return new String(rawDump(prefix), StandardCharsets.ISO_8859_1);
  }

  private static void value(ByteArrayOutputStream out, AttributeValue v) {
    if (v.s() != null) {
      write(out, v.s());
    } else if (v.n() != null) {
      write(out, v.n());
    } else if (v.b() != null) {
      out.writeBytes(v.b().asByteArray());
    } else if (v.bool() != null) {
      write(out, v.bool().toString());
    } else if (v.hasM()) {
      write(out, "{");
      new TreeMap<>(v.m())
          .forEach(
              (k, x) -> {
                write(out, k + ":");
                value(out, x);
                write(out, ",");
              });
      write(out, "}");
    } else if (v.hasL()) {
      List<AttributeValue> l = v.l();
      write(out, "[");
      l.forEach(
          x -> {
            value(out, x);
            write(out, ",");
          });
      write(out, "]");
    } else {
      write(out, v.toString());
    }
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }
}
