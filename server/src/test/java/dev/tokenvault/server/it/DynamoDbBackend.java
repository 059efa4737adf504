package dev.tokenvault.server.it;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
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
 * DynamoDB Local (a real DynamoDB engine, in memory, telemetry off) in the test JVM on a free
 * port; the vault creates its tables under a fresh prefix; the local key manager. DynamoDB Local
 * accepts any credentials made of letters and digits only: the vault gets fake ones through the
 * standard environment variables.
 */
final class DynamoDbBackend implements Backend {
  private static final String REGION = "us-east-1";
  private static final String ACCESS_KEY = "fakeDynamoDbLocal";
  private static final String SECRET_KEY = "fakeDynamoDbLocalSecret";

  private final DynamoDBProxyServer server;
  private final URI endpoint;
  private final String prefix = "tv" + UUID.randomUUID().toString().substring(0, 8) + "-";

  DynamoDbBackend() {
    DynamoDBProxyServer started = null;
    int port = 0;
    Exception last = null;
    for (int attempt = 0; attempt < 3 && started == null; attempt++) {
      port = VaultServer.freePort();
      try {
        DynamoDBProxyServer s =
            ServerRunner.createServerFromCommandLineArgs(
                new String[] {"-inMemory", "-disableTelemetry", "-port", Integer.toString(port)});
        s.start();
        started = s;
      } catch (Exception e) {
        last = e; // the port was taken between probing and binding: try another
      }
    }
    if (started == null) {
      throw new IllegalStateException("cannot start DynamoDB Local", last);
    }
    server = started;
    endpoint = URI.create("http://127.0.0.1:" + port);
  }

  @Override
  public String name() {
    return "dynamodb";
  }

  @Override
  public Map<String, String> properties() {
    return Map.of(
        "tokenvault.store.type", "dynamodb",
        "tokenvault.store.dynamodb.endpoint", endpoint.toString(),
        "tokenvault.store.dynamodb.region", REGION,
        "tokenvault.store.dynamodb.table-prefix", prefix,
        "tokenvault.store.dynamodb.create-tables", "true");
  }

  @Override
  public Map<String, String> environment() {
    return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
  }

  private DynamoDbClient client() {
    return DynamoDbClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(REGION))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** Every item of every table under the vault's prefix: what a table export holds. */
  @Override
  public byte[] rawDump() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DynamoDbClient client = client()) {
      List<String> tables =
          client.listTables().tableNames().stream().filter(t -> t.startsWith(prefix)).toList();
      if (tables.isEmpty()) {
        throw new AssertionError("the vault made no tables under its prefix");
      }
      for (String table : tables) {
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

  private static void value(ByteArrayOutputStream out, AttributeValue v) {
    if (v.s() != null) {
      write(out, v.s());
    } else if (v.n() != null) {
      write(out, v.n());
    } else if (v.b() != null) {
      out.writeBytes(v.b().asByteArray());
    } else if (v.hasM()) {
      write(out, "{");
      new TreeMap<>(v.m()).forEach((k, x) -> {
        write(out, k + ":");
        value(out, x);
        write(out, ",");
      });
      write(out, "}");
    } else if (v.hasL()) {
      write(out, "[");
      v.l().forEach(x -> {
        value(out, x);
        write(out, ",");
      });
      write(out, "]");
    } else if (v.hasSs()) {
      v.ss().forEach(x -> write(out, x + ","));
    } else if (v.hasBs()) {
      v.bs().forEach(x -> out.writeBytes(x.asByteArray()));
    } else {
      write(out, v.toString());
    }
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop DynamoDB Local", e);
    }
  }
}
