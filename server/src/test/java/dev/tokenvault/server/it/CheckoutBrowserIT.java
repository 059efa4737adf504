package dev.tokenvault.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;

/**
 * The checkout page end to end in headless Debian Chromium (driven by Selenium through
 * /usr/bin/chromedriver) against the real server: live validation with accessible messages, no
 * request while the form is invalid, encryption with the browser's own WebCrypto (so this is also
 * the interop test of our JavaScript JWE against Nimbus on the server), and the request the
 * browser actually sent, read from Chromium's network log, holds no card digits.
 *
 * <p>Never skipped: without Chromium the test fails ({@code .ci/install-chromium.sh} installs it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckoutBrowserIT {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  static final String VISA = "4111111111111111";
  /** Waits below are bounds on a page that answers in milliseconds, not measurements. */
  static final long WAIT_LIMIT_MILLIS = 30_000;

  VaultServer server;
  ChromeDriver browser;
  ChromeDriverService service;
  final List<JsonNode> network = new ArrayList<>();

  @BeforeAll
  void start() throws IOException {
    assertThat(new File(CHROMIUM)).as("Debian chromium (.ci/install-chromium.sh)").exists();
    assertThat(new File(CHROMEDRIVER)).as("Debian chromium-driver (.ci/install-chromium.sh)").exists();
    server = VaultServer.fresh("checkout", Map.of()).start();
    Path profile = Files.createTempDirectory(server.dataDir.getParent(), "chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile);
    // the vault's dev certificate is from its own dev CA, unknown to this browser profile
    options.setAcceptInsecureCerts(true);
    options.setCapability("goog:loggingPrefs", Map.of("performance", "ALL"));
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .withLogOutput(java.io.OutputStream.nullOutputStream())
        .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (service != null) {
        service.stop();
      }
      server.stop();
    }
    assertThat(LeakScan.findings(List.of(server.dataDir, server.log)))
        .as("card numbers in the data directory or the server log").isEmpty();
  }

  /** Network requests the page sent since the last call (Chromium's performance log). */
  private List<JsonNode> requests() {
    List<JsonNode> out = new ArrayList<>();
    for (LogEntry e : browser.manage().logs().get("performance")) {
      try {
        JsonNode m = Http.JSON.readTree(e.getMessage()).get("message");
        if ("Network.requestWillBeSent".equals(m.get("method").asText())) {
          out.add(m.get("params").get("request"));
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    network.addAll(out);
    return out;
  }

  private static boolean isApiCall(JsonNode request) {
    String url = request.get("url").asText();
    return url.contains("/v1/") || url.endsWith("/checkout/session");
  }

  private static String body(JsonNode request) {
    if (request.hasNonNull("postData")) {
      return request.get("postData").asText();
    }
    StringBuilder b = new StringBuilder();
    if (request.has("postDataEntries")) {
      for (JsonNode part : request.get("postDataEntries")) {
        b.append(new String(Base64.getDecoder().decode(part.get("bytes").asText()), StandardCharsets.UTF_8));
      }
    }
    return b.toString();
  }

  private WebElement el(String id) {
    return browser.findElement(By.id(id));
  }

  private void type(String id, String text) {
    WebElement e = el(id);
    e.clear();
    e.sendKeys(text);
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.currentTimeMillis() + WAIT_LIMIT_MILLIS;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("gave up waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  @Test
  void fillValidateEncryptAndSeeTheToken() throws Exception {
    browser.get("https://localhost:" + server.port + "/checkout");
    assertThat(browser.getTitle()).contains("checkout");
    assertThat(el("cc-number").getAttribute("autocomplete")).isEqualTo("cc-number");
    assertThat(el("cc-number").getAttribute("inputmode")).isEqualTo("numeric");
    assertThat(el("cc-exp").getAttribute("autocomplete")).isEqualTo("cc-exp");
    assertThat(el("cc-csc").getAttribute("autocomplete")).isEqualTo("cc-csc");
    assertThat(el("cc-name").getAttribute("autocomplete")).isEqualTo("cc-name");
    assertThat(el("cc-number").getAttribute("aria-describedby")).contains("cc-number-error");
    assertThat(el("cc-number-error").getAttribute("role")).isEqualTo("alert");
    assertThat((Boolean) browser.executeScript("return window.isSecureContext && !!crypto.subtle")).isTrue();
    requests(); // the page and its files

    // a bad card: wrong check digit, expired, a short code, no name; then submit
    type("cc-number", "4111 1111 1111 1112");
    type("cc-exp", "0120");
    type("cc-csc", "12");
    // leave the field first, as a person does: its message appears and may move the button
    el("cc-csc").sendKeys(Keys.TAB);
    el("pay").click();
    assertThat(el("cc-number").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(el("cc-number-error").getText()).contains("not valid").doesNotContain("1112");
    assertThat(el("cc-exp").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(el("cc-exp").getAttribute("value")).isEqualTo("01/20");
    assertThat(el("cc-exp-error").getText()).contains("expired");
    assertThat(el("cc-csc").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(el("cc-csc-error").getText()).contains("3 digits");
    assertThat(el("cc-name").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(el("cc-name-error").getText()).contains("name");
    assertThat(browser.switchTo().activeElement().getAttribute("id")).as("focus on the first error")
        .isEqualTo("cc-name");
    assertThat(el("cc-scheme").getText()).isEqualTo("Visa");
    // an American Express number asks for 4 digits, live
    type("cc-number", "378282246310005");
    assertThat(el("cc-scheme").getText()).isEqualTo("American Express");
    assertThat(el("cc-number").getAttribute("aria-invalid")).isEqualTo("false");
    type("cc-csc", "123");
    assertThat(el("cc-csc-error").getText()).contains("4 digits");
    assertThat(requests()).as("requests sent while the form was invalid").noneMatch(CheckoutBrowserIT::isApiCall);

    // fix everything, live: each message goes away as the field becomes valid
    type("cc-name", "Ada Lovelace");
    type("cc-number", VISA);
    String future = String.format("12%02d", (YearMonth.now(ZoneOffset.UTC).getYear() + 3) % 100);
    type("cc-exp", future);
    type("cc-csc", "123");
    el("cc-csc").sendKeys(Keys.TAB);
    for (String id : List.of("cc-name", "cc-number", "cc-exp", "cc-csc")) {
      assertThat(el(id).getAttribute("aria-invalid")).as(id).isEqualTo("false");
      assertThat(el(id + "-error").getText()).as(id).isEmpty();
    }
    assertThat(requests()).noneMatch(CheckoutBrowserIT::isApiCall);

    el("pay").click();
    await("the token", () -> el("result").isDisplayed() || !el("form-error").getText().isEmpty());
    assertThat(el("form-error").getText()).isEmpty();
    assertThat(el("result-token").getText()).startsWith("tok_");
    assertThat(el("result-card").getText()).endsWith("1111").doesNotContain("4111");
    assertThat(el("cc-number").getAttribute("value")).as("the number is cleared").isEmpty();
    assertThat(el("cc-csc").getAttribute("value")).as("the code is cleared").isEmpty();

    // what the browser sent: a session request, then one compact JWE and nothing in clear
    List<JsonNode> sent = requests().stream().filter(CheckoutBrowserIT::isApiCall).toList();
    assertThat(sent).extracting(r -> r.get("url").asText().replaceAll("^https://localhost:\\d+", ""))
        .containsExactly("/checkout/session", "/v1/capture");
    JsonNode capture = sent.get(1);
    assertThat(capture.get("method").asText()).isEqualTo("POST");
    String jwe = body(capture);
    assertThat(jwe).matches("[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    assertThat(LeakScan.findings("the captured request body", jwe.getBytes(StandardCharsets.UTF_8))).isEmpty();
    for (String part : jwe.split("\\.")) {
      byte[] decoded = Base64.getUrlDecoder().decode(part);
      assertThat(LeakScan.findings("a decoded JWE part", decoded)).isEmpty();
      assertThat(new String(decoded, StandardCharsets.ISO_8859_1)).doesNotContain("\"cvv\"", "Ada");
    }
    JsonNode header = Http.JSON.readTree(Base64.getUrlDecoder().decode(jwe.split("\\.")[0]));
    assertThat(header.get("alg").asText()).isEqualTo("ECDH-ES");
    assertThat(header.get("enc").asText()).isEqualTo("A256GCM");
    assertThat(header.get("kid").asText()).startsWith("capture-enc-");
    assertThat(header.get("epk").get("crv").asText()).isEqualTo("P-256");
    assertThat(header.size()).isEqualTo(4);
    // nothing from another origin: no CDN, no font service (chrome:// pages are the browser's own)
    assertThat(network).noneMatch(r -> r.get("url").asText().startsWith("http")
        && !r.get("url").asText().startsWith("https://localhost:" + server.port + "/"));

    // the vault audited it as a capture by the dev merchant
    String token = el("result-token").getText();
    JsonNode events = Http.json(server.http().get("/v1/audit?token=" + token,
        DevTokens.token(server, "audit.read"))).get("events");
    assertThat(events).anySatisfy(e -> {
      assertThat(e.get("eventName").asText()).isEqualTo("Tokenize");
      assertThat(e.get("principal").asText()).isEqualTo("capture");
      assertThat(e.get("clientId").asText()).isEqualTo("merchant");
    });
  }
}
