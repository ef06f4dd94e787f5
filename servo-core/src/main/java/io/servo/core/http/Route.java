package io.servo.core.http;

import java.io.IOException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One method on one path template of a service. A template's {@code {name}} segments match one
 * non-empty path segment, raw (still percent-encoded), available as {@link Request#pathVariable}.
 *
 * @param servedWhenOverloaded whether the route is still served when every request thread is busy
 *     (health probes, so that a busy service does not look dead); other routes then get 503
 */
public record Route(String method, String template, Handler handler, boolean servedWhenOverloaded) {
  private static final Pattern TEMPLATE = Pattern.compile("(/([A-Za-z0-9._~-]+|\\{[a-z_]+\\}))+");

  public Route {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(handler, "handler");
    if (!TEMPLATE.matcher(Objects.requireNonNull(template, "template")).matches()) {
      throw new IllegalArgumentException("template must be '/'-separated literal or {name} segments, was '"
          + template + "'");
    }
  }

  public static Route of(String method, String template, Handler handler) {
    return new Route(method, template, handler, false);
  }

  /** This route, also served when the service is overloaded (a health probe). */
  public Route evenWhenOverloaded() {
    return new Route(method, template, handler, true);
  }

  /** Answers one routed request; throws {@link HttpError} for an error answer. */
  @FunctionalInterface
  public interface Handler {
    JsonAnswer handle(Request request) throws IOException;
  }
}
