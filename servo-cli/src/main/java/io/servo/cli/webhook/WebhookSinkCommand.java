package io.servo.cli.webhook;

import io.servo.cli.StartupException;
import io.servo.cli.client.CliException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code servo webhook-sink}: a webhook on this machine for {@code http} assets to call, so a
 * workflow that notifies a hook runs without the internet. Prints one line per call.
 */
@Command(name = "webhook-sink", mixinStandardHelpOptions = true,
    description = {"Listen on localhost for webhook calls (POST or PUT, any path), answer 204 and print each "
        + "call: method, path, status, whether an Authorization header came (never its value), content type "
        + "and body.",
        "An http asset may call it once the operator grants the host, e.g. "
        + "SERVO_TENANT_DEFAULT_HTTP_HOSTS=localhost:9000."})
public final class WebhookSinkCommand implements Callable<Integer> {
  @Option(names = "--port", paramLabel = "PORT", defaultValue = "9000",
      description = "Port on 127.0.0.1 to listen on (default ${DEFAULT-VALUE}; 0 picks a free one)")
  int port;

  @Option(names = "--token", paramLabel = "T",
      description = "Answer 401 to calls whose Authorization is not T or 'Bearer T' (default: accept every call)")
  String token;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (port < 0 || port > 65535) {
      throw CliException.usage("--port must be between 0 and 65535, not " + port);
    }
    PrintStream out = System.out;
    WebhookSink sink;
    try {
      sink = WebhookSink.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), token,
          call -> {
            out.println(describe(call));
            out.flush();
          });
    } catch (BindException e) {
      throw new StartupException("cannot listen on port " + port + " (" + e.getMessage()
          + "): is another webhook-sink running? Stop it, or pass another --port", e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      sink.close();
      stopped.countDown();
    }, "webhook-sink-shutdown"));
    out.println("webhook-sink: listening on http://localhost:" + sink.port() + "/ (POST or PUT, any path; "
        + (token == null ? "every call accepted" : "calls must carry --token") + "); Ctrl-C stops");
    out.flush();
    stopped.await();
    return 0;
  }

  /** One line per call; the body as text with control characters escaped, so it cannot forge lines. */
  static String describe(WebhookSink.Call call) {
    String body = escape(new String(call.body(), StandardCharsets.UTF_8));
    return "webhook-sink: " + call.method() + " " + escape(call.path()) + " -> " + call.status()
        + " · authorization " + call.authorization()
        + " · " + (call.contentType() == null ? "no content type" : escape(call.contentType()))
        + " · " + (body.isEmpty() ? "empty body" : body)
        + (call.body().length >= WebhookSink.MAX_KEPT_BODY_BYTES ? " …(body cut at " + WebhookSink.MAX_KEPT_BODY_BYTES + " bytes)" : "");
  }

  private static String escape(String text) {
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(c -> {
      if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
