package io.servo.core.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Matches a method and raw path against the routes: the route, or the 404/405 to answer. Paths are
 * compared segment by segment: a literal segment matches its percent-decoded request segment
 * ({@code /%65xecute} is {@code /execute}, as RFC 3986 says), a {@code {name}} takes the raw segment,
 * so an encoded {@code /} stays inside it.
 */
final class Router {
  /**
   * What a request matched: a route and its variables, or the error to answer. The template is the
   * path's route also for a 405, null for a 404.
   */
  record Match(Route route, String template, Map<String, String> pathVariables, HttpError error) {}

  private final List<Route> routes;
  /** The routes, for a 404's message: what the service does serve. */
  private final String served;

  Router(List<Route> routes) {
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("routes must not be empty");
    }
    this.routes = List.copyOf(routes);
    List<String> names = new ArrayList<>();
    for (Route route : routes) {
      // HEAD beside GET on the same path is implied by the GET.
      boolean headOfGet = route.method().equals("HEAD") && routes.stream()
          .anyMatch(r -> r.method().equals("GET") && r.template().equals(route.template()));
      if (!headOfGet) {
        names.add(route.method() + " " + route.template());
      }
    }
    this.served = String.join(", ", names);
  }

  /**
   * @param service the service's name in messages ("the worker serves …")
   */
  Match match(String method, String rawPath, String service) {
    String[] segments = rawPath.split("/", -1);
    TreeSet<String> allowed = new TreeSet<>();
    String template = null;
    for (Route route : routes) {
      Map<String, String> variables = variables(route.template(), segments);
      if (variables == null) {
        continue;
      }
      if (route.method().equals(method)) {
        return new Match(route, route.template(), variables, null);
      }
      allowed.add(route.method());
      template = route.template();
    }
    if (allowed.isEmpty()) {
      return new Match(null, null, Map.of(),
          new HttpError(404, "no route " + method + " " + rawPath + ": the " + service + " serves " + served));
    }
    String allow = String.join(", ", allowed);
    return new Match(null, template, Map.of(), new HttpError(405,
        "method " + method + " is not allowed on " + rawPath + ": use " + allow, Map.of("Allow", allow)));
  }

  /** The template's variables when the path's segments match it, else null. */
  private static Map<String, String> variables(String template, String[] segments) {
    String[] parts = template.split("/", -1);
    if (parts.length != segments.length) {
      return null;
    }
    Map<String, String> variables = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      if (parts[i].startsWith("{")) {
        if (segments[i].isEmpty()) {
          return null;
        }
        variables.put(parts[i].substring(1, parts[i].length() - 1), segments[i]);
      } else if (!parts[i].equals(decode(segments[i]))) {
        return null;
      }
    }
    return variables;
  }

  private static String decode(String rawSegment) {
    if (rawSegment.indexOf('%') < 0) {
      return rawSegment;
    }
    try {
      // URLDecoder decodes forms: a '+' in a path is itself, not a space.
      return URLDecoder.decode(rawSegment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return rawSegment; // not valid percent-encoding: matches no literal
    }
  }
}
