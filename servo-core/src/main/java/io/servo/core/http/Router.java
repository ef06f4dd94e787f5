package io.servo.core.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Matches a method and raw path against the routes: the route, or the 404/405 to answer. */
final class Router {
  /**
   * What a request matched: a route and its variables, or the error to answer. The template is the
   * path's route also for a 405, null for a 404.
   */
  record Match(Route route, String template, Map<String, String> pathVariables, HttpError error) {}

  private record Compiled(Route route, Pattern path, List<String> variables) {}

  private final List<Compiled> routes;
  /** The routes, for a 404's message: what the service does serve. */
  private final String served;

  Router(List<Route> routes) {
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("routes must not be empty");
    }
    this.routes = routes.stream().map(Router::compile).toList();
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

  private static Compiled compile(Route route) {
    List<String> variables = new ArrayList<>();
    StringBuilder regex = new StringBuilder();
    for (String segment : route.template().substring(1).split("/")) {
      regex.append('/');
      if (segment.startsWith("{")) {
        variables.add(segment.substring(1, segment.length() - 1));
        regex.append("([^/]+)");
      } else {
        regex.append(Pattern.quote(segment));
      }
    }
    return new Compiled(route, Pattern.compile(regex.toString()), variables);
  }

  /**
   * @param service the service's name in messages ("the worker serves …")
   */
  Match match(String method, String rawPath, String service) {
    TreeSet<String> allowed = new TreeSet<>();
    String template = null;
    for (Compiled c : routes) {
      Matcher m = c.path().matcher(rawPath);
      if (!m.matches()) {
        continue;
      }
      if (c.route().method().equals(method)) {
        Map<String, String> variables = new LinkedHashMap<>();
        for (int i = 0; i < c.variables().size(); i++) {
          variables.put(c.variables().get(i), m.group(i + 1));
        }
        return new Match(c.route(), c.route().template(), Map.copyOf(variables), null);
      }
      allowed.add(c.route().method());
      template = c.route().template();
    }
    if (allowed.isEmpty()) {
      return new Match(null, null, Map.of(),
          new HttpError(404, "no route " + method + " " + rawPath + ": the " + service + " serves " + served));
    }
    String allow = String.join(", ", allowed);
    return new Match(null, template, Map.of(), new HttpError(405,
        "method " + method + " is not allowed on " + rawPath + ": use " + allow, Map.of("Allow", allow)));
  }
}
