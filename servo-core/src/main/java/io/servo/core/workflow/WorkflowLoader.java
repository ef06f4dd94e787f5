package io.servo.core.workflow;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.servo.core.json.Json;
import io.servo.core.plan.PlanCompiler;
import io.servo.settings.DurationText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads workflow files (YAML or JSON) into validated {@link Workflow}s and writes them back in their
 * canonical JSON form. Every problem in a file is reported at once (up to {@value #MAX_PROBLEMS}),
 * each naming the asset and field.
 *
 * <p>Files come from API callers, so reading one is bounded: its size (and, for YAML, its longest
 * line) is checked before parsing, nesting is limited by Jackson, YAML aliases are refused rather
 * than expanded (or, as Jackson's YAML parser does, silently read as the anchor's name), duplicate
 * keys are refused, and the report quotes at most {@value #MAX_QUOTED_CHARS} characters of any
 * value, with control characters escaped.
 */
public final class WorkflowLoader {
  /** Names end up in URLs and Cloud Tasks task names, so they keep to the characters both accept. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

  private static final String NAME_RULE =
      "1-63 characters: letters, digits, '_' or '-', starting with a letter or digit";
  private static final Set<String> WORKFLOW_FIELDS = Set.of("workflow", "tenant", "assets");
  private static final Set<String> COMMON_FIELDS = Set.of("name", "kind", "depends_on", "timeout");
  private static final Map<AssetKind, Set<String>> KIND_FIELDS =
      Map.of(
          AssetKind.SQL, Set.of("sql"),
          AssetKind.COMMAND, Set.of("command", "env"),
          AssetKind.HTTP, Set.of("method", "url", "headers", "body"));
  private static final Set<String> HTTP_METHODS =
      Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
  /**
   * The largest file read, in characters: SnakeYAML's own limit for a YAML document, which it
   * enforces only after scanning a whole token (a 25 MB string took it 90 s to refuse).
   */
  public static final int MAX_FILE_CHARS = 3 * 1024 * 1024;
  /** Problems reported at most; one more line says how many were left out. */
  public static final int MAX_PROBLEMS = 100;
  /**
   * The longest line of a YAML file, in characters. SnakeYAML copies its whole look-ahead window
   * for every 1 KB it reads within one token, so a token's cost grows with the square of its length:
   * one 3 MB line took 1.2 s of CPU (15 s on a loaded machine), while 3 MB of 64 KiB lines take
   * about 50 ms. JSON files are read by Jackson's own parser, which is linear, and have no such limit.
   */
  public static final int MAX_YAML_LINE_CHARS = 64 * 1024;
  private static final int MAX_QUOTED_CHARS = 80;
  private static final int MAX_LISTED_NAMES = 10;
  private static final YAMLFactory YAML_FACTORY =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper YAML = YAMLMapper.builder(YAML_FACTORY).build();
  private static final ObjectReader JSON =
      Json.mapper().reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  private WorkflowLoader() {}

  /** Parses a workflow file's text, YAML or JSON. */
  public static Workflow parse(String text) {
    if (text.length() > MAX_FILE_CHARS) {
      throw new WorkflowValidationException(List.of("the file has " + text.length()
          + " characters; a workflow file may have at most " + MAX_FILE_CHARS
          + ": move large SQL or data out of it"));
    }
    JsonNode root;
    try {
      String trimmed = text.stripLeading();
      if (trimmed.startsWith("{")) {
        root = JSON.readTree(text);
      } else {
        refuseLongLines(text);
        root = YAML.readTree(text);
        refuseAliases(text);
      }
    } catch (JacksonException e) {
      throw new WorkflowValidationException(List.of("the file is not valid YAML or JSON: " + syntaxProblem(e)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return fromTree(root);
  }

  /**
   * The cycle among the valid assets whose dependencies are (transitively) valid assets, so that a
   * file with other problems also learns of its cycle in the same answer.
   */
  private static Optional<List<String>> cycleAmong(List<Asset> assets) {
    List<Asset> closed = assets;
    while (true) {
      Set<String> names = new LinkedHashSet<>();
      closed.forEach(a -> names.add(a.name()));
      List<Asset> kept = closed.stream().filter(a -> names.containsAll(a.dependsOn())).toList();
      if (kept.size() == closed.size()) {
        break;
      }
      closed = kept;
    }
    if (closed.isEmpty()) {
      return Optional.empty();
    }
    try {
      PlanCompiler.compile(new Workflow("w", Workflow.DEFAULT_TENANT, closed));
      return Optional.empty();
    } catch (WorkflowValidationException e) {
      return Optional.of(e.problems());
    }
  }

  private static void refuseLongLines(String text) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0, n = text.length(); i <= n; i++) {
      char c = i < n ? text.charAt(i) : '\n';
      if (c == '\n' || c == '\r') {
        if (i - lineStart > MAX_YAML_LINE_CHARS) {
          throw new WorkflowValidationException(List.of("line " + line + " has " + (i - lineStart)
              + " characters; a line of a YAML workflow file may have at most " + MAX_YAML_LINE_CHARS
              + ": break it into lines (a block scalar, sql: |, keeps SQL readable) or send the file as JSON"));
        }
        if (c == '\n' || i + 1 >= n || text.charAt(i + 1) != '\n') {
          line++;
        }
        lineStart = i + 1;
      }
    }
  }

  /**
   * Jackson's YAML parser reads an alias as the name of its anchor ({@code sql: *q} becomes the
   * SQL {@code q}); expanding aliases instead would let a small file grow exponentially. Neither
   * is acceptable, so a file that uses them is refused. Aliases need a {@code *}: files without one
   * are not scanned again.
   */
  private static void refuseAliases(String text) throws IOException {
    if (text.indexOf('*') < 0) {
      return;
    }
    try (JsonParser parser = YAML_FACTORY.createParser(text)) {
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (((YAMLParser) parser).isCurrentAlias()) {
          throw new WorkflowValidationException(List.of("line " + parser.currentLocation().getLineNr()
              + ": YAML aliases (*" + quote(parser.getText(), MAX_QUOTED_CHARS)
              + ") are not supported: write the value out where it is used"));
        }
      }
    }
  }

  public static Workflow parse(byte[] utf8) {
    return parse(new String(utf8, StandardCharsets.UTF_8));
  }

  /**
   * One line, one position. SnakeYAML's own message spans several lines, quotes the offending line
   * with a caret, and names two places (where the construct started and where it broke), and
   * Jackson adds a third: keep the place where it broke, and the construct in words.
   */
  private static String syntaxProblem(JacksonException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException yaml && yaml.getProblem() != null) {
        org.yaml.snakeyaml.error.Mark at = yaml.getProblemMark();
        String where = at == null ? "" : "line " + (at.getLine() + 1) + ", column " + (at.getColumn() + 1) + ": ";
        org.yaml.snakeyaml.error.Mark started = yaml.getContextMark();
        String context = yaml.getContext() == null ? ""
            : " (" + yaml.getContext().strip() + (started == null ? "" : " that starts at line " + (started.getLine() + 1)
                + ", column " + (started.getColumn() + 1)) + ")";
        return quote(where + yaml.getProblem().strip() + context, 300);
      }
    }
    String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    return quote(message.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(message), 300)
        + location(e);
  }

  private static String location(JacksonException e) {
    return e.getLocation() == null
        ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  /** Validates a parsed tree (the workflow file's structure) and returns the workflow. */
  public static Workflow fromTree(JsonNode root) {
    List<String> problems = new ArrayList<>();
    if (root == null || !root.isObject()) {
      throw new WorkflowValidationException(
          List.of("the file must be a mapping with the fields 'workflow', 'assets' and optionally 'tenant'"));
    }
    unknownFields(root, WORKFLOW_FIELDS, "the workflow", problems);
    String name = name(root, "workflow", "the workflow", problems);
    String tenant = Workflow.DEFAULT_TENANT;
    if (root.has("tenant")) {
      tenant = name(root, "tenant", "the workflow", problems);
    }
    List<Asset> assets = new ArrayList<>();
    JsonNode assetNodes = root.get("assets");
    if (assetNodes == null || assetNodes.isNull()) {
      problems.add("missing field 'assets': list the workflow's assets");
    } else if (!assetNodes.isArray() || assetNodes.isEmpty()) {
      problems.add("'assets' must be a non-empty list of assets");
    } else {
      Set<String> seen = new LinkedHashSet<>();
      int index = 0;
      for (JsonNode node : assetNodes) {
        index++;
        Asset asset = asset(node, index, problems);
        if (asset != null && !seen.add(asset.name())) {
          problems.add("duplicate asset '" + asset.name() + "': asset names must be unique in a workflow");
        } else if (asset != null) {
          assets.add(asset);
        } else if (node.path("name").isTextual() && NAME.matcher(node.path("name").asText()).matches()) {
          // An asset with problems of its own still exists: depending on it is not a second problem.
          seen.add(node.path("name").asText());
        }
      }
      for (Asset asset : assets) {
        for (String dep : asset.dependsOn()) {
          if (!seen.contains(dep)) {
            problems.add("asset '" + asset.name() + "' depends on unknown asset " + quoted(dep)
                + ": known assets are " + listed(seen));
          } else if (dep.equals(asset.name())) {
            problems.add("asset '" + asset.name() + "' depends on itself");
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      cycleAmong(assets).ifPresent(problems::addAll);
      throw new WorkflowValidationException(bounded(problems));
    }
    Workflow workflow = new Workflow(name, tenant, assets);
    PlanCompiler.compile(workflow); // rejects cycles, naming the assets on the cycle
    return workflow;
  }

  private static Asset asset(JsonNode node, int index, List<String> problems) {
    String where = "asset #" + index;
    if (!node.isObject()) {
      problems.add(where + " must be a mapping with at least 'name' and 'kind'");
      return null;
    }
    int before = problems.size();
    String name = name(node, "name", where, problems);
    if (name != null) {
      where = "asset '" + name + "'";
    }
    JsonNode kindNode = node.get("kind");
    AssetKind kind = null;
    if (kindNode == null || kindNode.isNull()) {
      problems.add(where + ": missing field 'kind' (one of sql, command, http)");
    } else {
      kind = AssetKind.fromWireName(kindNode.asText()).orElse(null);
      if (kind == null || !kindNode.isTextual()) {
        problems.add(where + ": unknown kind " + quoted(kindNode.asText()) + " (one of sql, command, http)");
        kind = null;
      }
    }
    List<String> dependsOn = stringList(node, "depends_on", where, problems, false);
    Duration timeout = Asset.DEFAULT_TIMEOUT;
    JsonNode timeoutNode = node.get("timeout");
    if (timeoutNode != null && !timeoutNode.isNull()) {
      timeout = DurationText.parse(timeoutNode.asText()).orElse(null);
      if (timeout == null) {
        problems.add(where + ": bad duration " + quoted(timeoutNode.asText())
            + " for 'timeout' (use a positive number with a unit: 500ms, 30s, 5m, 1h30m)");
      }
    }
    if (kind == null) {
      return null;
    }
    Set<String> allowed = new LinkedHashSet<>(COMMON_FIELDS);
    allowed.addAll(KIND_FIELDS.get(kind));
    unknownFields(node, allowed, where + " (kind " + kind.wireName() + ")", problems);
    Asset asset =
        switch (kind) {
          case SQL -> {
            String sql = requiredText(node, "sql", where, problems);
            yield new SqlAsset(name, dependsOn, timeout, sql);
          }
          case COMMAND -> {
            List<String> command = stringList(node, "command", where, problems, true);
            if (node.has("command") && command.isEmpty() && node.get("command").isArray()) {
              problems.add(where + ": 'command' must name a program: [program, arg, ...]");
            }
            Map<String, String> env = stringMap(node, "env", where, problems);
            yield new CommandAsset(name, dependsOn, timeout, command, env);
          }
          case HTTP -> {
            String url = requiredText(node, "url", where, problems);
            if (url != null && !url.startsWith("http://") && !url.startsWith("https://")
                && !url.startsWith("${env:")) {
              problems.add(where + ": 'url' must start with http:// or https:// (got " + quoted(url) + ")");
            }
            String method = "GET";
            JsonNode m = node.get("method");
            if (m != null && !m.isNull()) {
              method = m.asText().toUpperCase(java.util.Locale.ROOT);
              if (!HTTP_METHODS.contains(method)) {
                problems.add(where + ": unknown HTTP method " + quoted(m.asText()) + " (one of "
                    + String.join(", ", HTTP_METHODS.stream().sorted().toList()) + ")");
              }
            }
            JsonNode b = node.get("body");
            String body = b == null || b.isNull() ? null : b.isTextual() ? b.asText() : b.toString();
            yield new HttpAsset(name, dependsOn, timeout, method, url,
                stringMap(node, "headers", where, problems), body);
          }
        };
    return problems.size() == before ? asset : null;
  }

  private static String name(JsonNode node, String field, String where, List<String> problems) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      problems.add(where + ": missing field '" + field + "'");
      return null;
    }
    if (!value.isTextual() || !NAME.matcher(value.asText()).matches()) {
      problems.add(where + ": invalid " + field + " " + quoted(value.asText()) + " (" + NAME_RULE + ")");
      return null;
    }
    return value.asText();
  }

  private static String requiredText(JsonNode node, String field, String where, List<String> problems) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
      problems.add(where + ": missing field '" + field + "'");
      return null;
    }
    if (!value.isValueNode()) {
      problems.add(where + ": '" + field + "' must be a string");
      return null;
    }
    return value.asText();
  }

  private static List<String> stringList(
      JsonNode node, String field, String where, List<String> problems, boolean required) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        problems.add(where + ": missing field '" + field + "'");
      }
      return List.of();
    }
    if (!value.isArray()) {
      problems.add(where + ": '" + field + "' must be a list, for example [a, b]");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isValueNode() || item.isNull()) {
        problems.add(where + ": every entry of '" + field + "' must be a string");
        return List.of();
      }
      out.add(item.asText());
    }
    return out;
  }

  private static Map<String, String> stringMap(
      JsonNode node, String field, String where, List<String> problems) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Map.of();
    }
    if (!value.isObject()) {
      problems.add(where + ": '" + field + "' must be a mapping of names to strings");
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = value.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        problems.add(where + ": " + quoted(field + "." + e.getKey()) + " must be a string");
      } else {
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  private static void unknownFields(JsonNode node, Set<String> allowed, String where, List<String> problems) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String field = names.next();
      if (!allowed.contains(field)) {
        problems.add(where + ": unknown field " + quoted(field) + " (accepted: "
            + String.join(", ", allowed.stream().sorted().toList()) + ")");
      }
    }
  }

  /** The first {@value #MAX_PROBLEMS} problems, and how many more there were. */
  private static List<String> bounded(List<String> problems) {
    if (problems.size() <= MAX_PROBLEMS) {
      return problems;
    }
    List<String> shown = new ArrayList<>(problems.subList(0, MAX_PROBLEMS));
    shown.add("… and " + (problems.size() - MAX_PROBLEMS)
        + " more problems (fix these and deploy again to see the rest)");
    return shown;
  }

  private static String listed(Set<String> names) {
    if (names.size() <= MAX_LISTED_NAMES) {
      return names.toString();
    }
    return names.stream().limit(MAX_LISTED_NAMES).map(n -> n + ", ")
        .collect(java.util.stream.Collectors.joining("", "[", "… " + (names.size() - MAX_LISTED_NAMES) + " more]"));
  }

  /** A value from the file as a problem quotes it: in quotes, short, control characters escaped. */
  private static String quoted(String value) {
    return "'" + quote(value, MAX_QUOTED_CHARS) + "'";
  }

  private static String quote(String value, int maxChars) {
    if (value == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), maxChars) + 8);
    int end = Math.min(value.length(), maxChars);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (value.length() > maxChars) {
      out.append('…');
    }
    return out.toString();
  }

  /** The canonical JSON form of a workflow: the workflow file's schema, so {@link #fromTree} reads it back. */
  public static ObjectNode toTree(Workflow workflow) {
    ObjectMapper m = Json.mapper();
    ObjectNode root = m.createObjectNode();
    root.put("workflow", workflow.name());
    root.put("tenant", workflow.tenant());
    ArrayNode assets = root.putArray("assets");
    for (Asset asset : workflow.assets()) {
      ObjectNode a = assets.addObject();
      a.put("name", asset.name());
      a.put("kind", asset.kind().wireName());
      if (!asset.dependsOn().isEmpty()) {
        asset.dependsOn().forEach(a.putArray("depends_on")::add);
      }
      a.put("timeout", DurationText.format(asset.timeout()));
      if (asset instanceof SqlAsset s) {
        a.put("sql", s.sql());
      } else if (asset instanceof CommandAsset c) {
        c.command().forEach(a.putArray("command")::add);
        if (!c.env().isEmpty()) {
          ObjectNode env = a.putObject("env");
          new java.util.TreeMap<>(c.env()).forEach(env::put);
        }
      } else if (asset instanceof HttpAsset h) {
        a.put("method", h.method());
        a.put("url", h.url());
        if (!h.headers().isEmpty()) {
          ObjectNode headers = a.putObject("headers");
          new java.util.TreeMap<>(h.headers()).forEach(headers::put);
        }
        if (h.body() != null) {
          a.put("body", h.body());
        }
      }
    }
    return root;
  }
}
