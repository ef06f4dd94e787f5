package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.sun.net.httpserver.HttpServer;
import io.servo.core.execution.AssetStatus;
import io.servo.core.tenant.TenantGrants;
import io.servo.core.workflow.AssetKind;
import io.servo.core.workflow.HttpAsset;
import java.io.IOException;
import java.net.Authenticator;
import java.net.ConnectException;
import java.net.CookieHandler;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EgressGuardTest {
  private static final String HINT = ", which http assets may not reach; an operator allows a host with "
      + "SERVO_TENANT_ACME_HTTP_HOSTS=host:port";

  /** Listens on every address of this machine: loopback (v4 and v6) and its interfaces' own. */
  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> hosts = new ConcurrentLinkedQueue<>();
  private int port;
  private HttpClient client;

  @BeforeEach
  void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress(0), 0);
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      hosts.add(exchange.getRequestHeaders().getFirst("Host"));
      byte[] answer = "reached".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
    port = server.getAddress().getPort();
    client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @AfterEach
  void tearDown() {
    server.stop(0);
  }

  private static AssetContext acme(String... hosts) {
    return new AssetContext("acme", "e1",
        new TenantGrants("acme", Set.of("*"), EnumSet.allOf(AssetKind.class), List.of(hosts), null, false));
  }

  private static HttpAsset get(String url) {
    return new HttpAsset("hook", List.of(), Duration.ofSeconds(5), "GET", url, Map.of(), null);
  }

  private AssetOutcome run(AssetContext context, String url, Map<String, String> env) throws Exception {
    return new HttpRunner(client, env).run(context, get(url));
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:PORT/x", "http://[::1]:PORT/x", "http://localhost:PORT/x",
      "http://[::ffff:127.0.0.1]:PORT/x", "http://0.0.0.0:PORT/x", "http://127.0.0.2:PORT/x",
      "https://localhost:PORT/x", "http://[::]:PORT/x"})
  void thisMachineIsRefusedAndReceivesNothing(String written) throws Exception {
    String url = written.replace("PORT", String.valueOf(port));

    AssetOutcome outcome = run(acme(), url, Map.of());

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("GET " + url + " refused: ").endsWith(HINT)
        .containsAnyOf("a loopback address", "the unspecified address");
    assertThat(requests).hasValue(0);
  }

  @Test
  void theMessageNamesTheAddressOrTheHostItResolvedFrom() throws Exception {
    assertThat(run(acme(), "http://127.0.0.1:" + port + "/x", Map.of()).error())
        .isEqualTo("GET http://127.0.0.1:" + port + "/x refused: 127.0.0.1 is a loopback address" + HINT);
    assertThat(run(acme(), "http://[::ffff:127.0.0.1]:" + port + "/x", Map.of()).error())
        .isEqualTo("GET http://[::ffff:127.0.0.1]:" + port + "/x refused: 127.0.0.1 is a loopback address" + HINT);
    assertThat(run(acme(), "http://localhost:" + port + "/x", Map.of()).error())
        .matches("GET http://localhost:" + port + "/x refused: localhost resolves to (127\\.0\\.0\\.1|0:0:0:0:0:0:0:1), "
            + "a loopback address" + HINT.replace(".", "\\.").replace("+", "\\+"));
    assertThat(requests).hasValue(0);
  }

  @Test
  void theMetadataServerIsRefusedByAddressAndByName() throws Exception {
    String byAddress = "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token";
    assertThat(run(acme(), byAddress, Map.of()).error()).isEqualTo("GET " + byAddress
        + " refused: 169.254.169.254 is a link-local or metadata address" + HINT);
    // By name it is refused before any lookup: metadata.google.internal resolves only on GCP.
    for (String name : List.of("metadata.google.internal", "metadata", "METADATA.google.internal.")) {
      String url = "http://" + name + "/computeMetadata/v1/";
      assertThat(run(acme(), url, Map.of()).error())
          .isEqualTo("GET " + url + " refused: " + name + " is the metadata server" + HINT);
    }
    assertThat(run(acme(), "http://[fd00:ec2::254]/latest/", Map.of()).error())
        .isEqualTo("GET http://[fd00:ec2::254]/latest/ refused: fd00:ec2:0:0:0:0:0:254 is a link-local or "
            + "metadata address" + HINT);
    assertThat(run(acme(), "http://[fe80::1]:" + port + "/", Map.of()).error())
        .contains("is a link-local or metadata address" + HINT);
  }

  @Test
  void aUrlFromTheEnvironmentIsRefusedWithoutShowingIt() throws Exception {
    String secret = "http://127.0.0.1:" + port + "/hook/s3cr3t-path";

    AssetOutcome outcome = run(acme(), "${env:URL}", Map.of("URL", secret));

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error())
        .isEqualTo("GET ${env:URL} refused: the URL's host resolves to 127.0.0.1, a loopback address" + HINT)
        .doesNotContain("s3cr3t");
    assertThat(requests).hasValue(0);
  }

  @Test
  void anAddressOfThisMachinesOwnInterfacesIsRefused() throws Exception {
    Optional<InetAddress> own = NetworkInterface.networkInterfaces()
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
        .findFirst();
    assumeThat(own).as("a non-loopback IPv4 interface address").isPresent();
    String url = "http://" + own.get().getHostAddress() + ":" + port + "/";

    AssetOutcome outcome = run(acme(), url, Map.of());

    assertThat(outcome.error()).isEqualTo("GET " + url + " refused: " + own.get().getHostAddress()
        + " is an address of the worker's own machine" + HINT);
    assertThat(requests).hasValue(0);
  }

  @Test
  void aGrantedHostIsReached() throws Exception {
    String url = "http://127.0.0.1:" + port + "/x";

    AssetOutcome outcome = run(acme("127.0.0.1:" + port), url, Map.of());

    assertThat(outcome.status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(outcome.output()).isEqualTo("HTTP 200\nreached");
    assertThat(requests).hasValue(1);
    // Granted on another port only: refused.
    assertThat(run(acme("127.0.0.1:" + (port == 1 ? 2 : 1)), url, Map.of()).status())
        .isEqualTo(AssetStatus.FAILED);
    assertThat(requests).hasValue(1);
  }

  @Test
  void aWorkflowMayNotSetHostItself() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(5), "GET",
        "http://127.0.0.1:" + port + "/", Map.of("host", "metadata.google.internal"), null);

    AssetOutcome outcome = new HttpRunner(client, Map.of()).run(acme("127.0.0.1"), asset);

    assertThat(outcome.error()).isEqualTo("header 'host' cannot be sent: restricted header name");
    assertThat(requests).hasValue(0);
  }

  /** The first lookup says public, every later one says loopback: the DNS rebinding attack. */
  private static final class Rebinding implements EgressGuard.Resolver {
    final AtomicInteger lookups = new AtomicInteger();
    private final InetAddress first;
    private final InetAddress later;

    Rebinding(String first, String later) throws UnknownHostException {
      this.first = InetAddress.getByName(first);
      this.later = InetAddress.getByName(later);
    }

    @Override
    public InetAddress[] resolve(String host) {
      return new InetAddress[] {lookups.getAndIncrement() == 0 ? first : later};
    }
  }

  @Test
  void aRebindingNameIsSentToTheAddressChecked() throws Exception {
    Rebinding dns = new Rebinding("203.0.113.10", "127.0.0.1");
    Recording recording = new Recording();
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(5), "POST",
        "http://rebind.example:" + port + "/hook?q=1", Map.of("X-Token", "t"), "body");

    AssetOutcome outcome = new HttpRunner(recording, Map.of(), new EgressGuard(dns, true)).run(acme(), asset);

    // The client is handed the checked address as a literal (it does no lookup of a literal), with
    // the name in Host: whatever the name resolves to later, the connection goes to 203.0.113.10.
    assertThat(dns.lookups).hasValue(1);
    assertThat(recording.sent).hasSize(1);
    HttpRequest sent = recording.sent.peek();
    assertThat(sent.uri()).isEqualTo(URI.create("http://203.0.113.10:" + port + "/hook?q=1"));
    assertThat(sent.headers().allValues("Host")).containsExactly("rebind.example:" + port);
    assertThat(sent.headers().firstValue("X-Token")).hasValue("t");
    assertThat(sent.version()).hasValue(HttpClient.Version.HTTP_1_1);
    assertThat(outcome.error()).isEqualTo("POST http://rebind.example:" + port + " (from http://rebind.example:"
        + port + "/hook?q=1) failed: ConnectException: recorded, not sent");
    assertThat(requests).hasValue(0);
  }

  @Test
  void aNameThatResolvesToLoopbackFirstIsRefused() throws Exception {
    Rebinding dns = new Rebinding("127.0.0.1", "203.0.113.10");
    Recording recording = new Recording();

    AssetOutcome outcome = new HttpRunner(recording, Map.of(), new EgressGuard(dns, true))
        .run(acme(), get("http://rebind.example:" + port + "/"));

    assertThat(outcome.error()).isEqualTo("GET http://rebind.example:" + port
        + "/ refused: rebind.example resolves to 127.0.0.1, a loopback address" + HINT);
    assertThat(recording.sent).isEmpty();
    assertThat(requests).hasValue(0);
  }

  @Test
  void everyAddressANameResolvesToIsChecked() throws Exception {
    EgressGuard guard = new EgressGuard(host -> new InetAddress[] {
        InetAddress.getByName("203.0.113.10"), InetAddress.getByName("169.254.169.254")}, true);

    EgressGuard.Route route = guard.route(URI.create("https://two.example/"), "https://two.example/",
        acme().grants());

    assertThat(route.refusal()).isEqualTo(
        "two.example resolves to 169.254.169.254, a link-local or metadata address" + HINT);
  }

  @Test
  void withoutAnEffectiveHostHeaderHttpByNameIsRefusedNotSentByName() throws Exception {
    EgressGuard guard = new EgressGuard(host -> new InetAddress[] {InetAddress.getByName("203.0.113.10")}, false);

    EgressGuard.Route http = guard.route(URI.create("http://svc.example/"), "http://svc.example/", acme().grants());
    EgressGuard.Route https = guard.route(URI.create("https://svc.example/"), "https://svc.example/", acme().grants());

    assertThat(http.refusal()).isEqualTo("svc.example cannot be pinned to the address checked: the worker's JVM "
        + "does not let requests set Host (start it with -Djdk.httpclient.allowRestrictedHeaders=host)");
    // https is verified against the name by the JDK client, so it goes by name (see EgressGuard).
    assertThat(https.refusal()).isNull();
    assertThat(https.uri()).isEqualTo(URI.create("https://svc.example/"));
    assertThat(https.hostHeader()).isNull();
  }

  @Test
  void privateRangesStayReachable() throws Exception {
    for (String address : List.of("10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12:3456::1", "8.8.8.8")) {
      assertThat(EgressGuard.forbidden(InetAddress.getByName(address), Set.of())).as(address).isNull();
    }
    for (String address : List.of("::127.0.0.1", "64:ff9b::7f00:1", "::ffff:169.254.169.254", "0.1.2.3", "::1")) {
      assertThat(EgressGuard.forbidden(InetAddress.getByName(address), Set.of())).as(address).isNotNull();
    }
  }

  @Test
  void theJdkClientSendsThePinnedHostHeader() throws Exception {
    // What pinning rests on: surefire, like the Dockerfile, starts the JVM with
    // -Djdk.httpclient.allowRestrictedHeaders=host, and the JDK client then sends our Host.
    assertThat(EgressGuard.hostHeaderEffective()).isTrue();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
        .header("Host", "svc.example:" + port).version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(hosts).containsExactly("svc.example:" + port);
  }

  /** Records what it is asked to send and sends nothing. */
  private static final class Recording extends HttpClient {
    final ConcurrentLinkedQueue<HttpRequest> sent = new ConcurrentLinkedQueue<>();

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException {
      sent.add(request);
      throw new ConnectException("recorded, not sent");
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
        HttpResponse.BodyHandler<T> handler) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
        HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return Optional.empty();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return Optional.empty();
    }

    @Override
    public Redirect followRedirects() {
      return Redirect.NEVER;
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return Optional.empty();
    }

    @Override
    public SSLContext sslContext() {
      return null;
    }

    @Override
    public SSLParameters sslParameters() {
      return null;
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return Optional.empty();
    }

    @Override
    public Version version() {
      return Version.HTTP_1_1;
    }

    @Override
    public Optional<Executor> executor() {
      return Optional.empty();
    }
  }
}
