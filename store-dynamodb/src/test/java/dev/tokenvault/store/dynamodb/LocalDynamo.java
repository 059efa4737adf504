package dev.tokenvault.store.dynamodb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
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

  private DynamoDBProxyServer server;
  private URI endpoint;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 3 && server == null; attempt++) {
      int port = freePort();
      try {
        DynamoDBProxyServer s =
            ServerRunner.createServerFromCommandLineArgs(
                new String[] {"-inMemory", "-disableTelemetry", "-port", Integer.toString(port)});
        s.start();
        server = s;
        endpoint = URI.create("http://127.0.0.1:" + port);
      } catch (Exception e) {
        last = e; // the port was taken between probing and binding: try another
      }
    }
    if (server == null) {
      throw last;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** A new client on the engine. The caller (or the store it is given to) closes it. */
  DynamoDbClient client() {
    return client(endpoint);
  }

  /** A client on an engine at {@code endpoint}, with the fake credentials every test uses. */
  static DynamoDbClient client(URI endpoint) {
    return DynamoDbClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("fake", "fake")))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  URI endpoint() {
    return endpoint;
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
