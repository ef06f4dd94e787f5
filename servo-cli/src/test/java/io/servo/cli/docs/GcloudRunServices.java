package io.servo.cli.docs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the {@code gcloud run deploy} and {@code gcloud run services update} commands of a page
 * give each Cloud Run service, applied in the page's order: its {@code --args}, its plain variables
 * and its variables from secrets ({@code NAME=secret:version}).
 */
final class GcloudRunServices {
  private static final Pattern EXPORT = Pattern.compile("^export (\\w+)=(\\S+)$");
  private static final Pattern REFERENCE = Pattern.compile("\\$(\\w+)|\\$\\{(\\w+)}");

  /** One service: the arguments it runs with, its variables and the secrets behind some of them. */
  record Service(String name, List<String> args, Map<String, String> variables, Map<String, String> secrets) {}

  private final Map<String, Service> services = new LinkedHashMap<>();
  private final Map<String, String> shellVariables = new LinkedHashMap<>();

  /**
   * Reads the blocks' commands; {@code $NAME} is expanded from the page's own {@code export}s, then
   * from {@code standIns} (values the page gets from gcloud, such as the worker's URL).
   */
  static GcloudRunServices of(List<ShellBlocks.Block> blocks, Map<String, String> standIns) {
    GcloudRunServices page = new GcloudRunServices();
    for (ShellBlocks.Block block : blocks) {
      for (String command : block.commands()) {
        String line = command.replace("\\\n", " ").strip();
        Matcher export = EXPORT.matcher(line);
        if (export.matches() && !export.group(2).startsWith("$(")) {
          page.shellVariables.put(export.group(1), page.expand(export.group(2), standIns));
        }
        int gcloud = line.indexOf("gcloud run ");
        if (gcloud >= 0) {
          page.apply(tokens(line.substring(gcloud)), v -> page.expand(v, standIns));
        }
      }
    }
    return page;
  }

  Map<String, Service> services() {
    return services;
  }

  private void apply(List<String> words, UnaryOperator<String> expand) {
    boolean deploy = words.size() > 3 && words.get(2).equals("deploy");
    boolean update = words.size() > 4 && words.get(2).equals("services") && words.get(3).equals("update");
    if (!deploy && !update) {
      return;
    }
    String name = words.get(deploy ? 3 : 4);
    Service service = deploy
        ? new Service(name, new ArrayList<>(), new LinkedHashMap<>(), new LinkedHashMap<>())
        : services.get(name);
    if (service == null) {
      throw new AssertionError("`gcloud run services update " + name + "` before any `gcloud run deploy " + name + "`");
    }
    for (String word : words) {
      int eq = word.indexOf('=');
      if (!word.startsWith("--") || eq < 0) {
        continue;
      }
      String flag = word.substring(0, eq);
      String value = expand.apply(word.substring(eq + 1));
      switch (flag) {
        case "--args" -> service.args().addAll(List.of(value.split(",")));
        case "--set-env-vars", "--update-env-vars" -> pairs(value).forEach((k, v) -> {
          service.variables().put(k, v);
          service.secrets().remove(k);
        });
        case "--set-secrets", "--update-secrets" -> pairs(value).forEach((k, v) -> {
          service.secrets().put(k, v.replaceFirst(":[^:]*$", ""));
          service.variables().remove(k);
        });
        default -> { }
      }
    }
    services.put(name, service);
  }

  /** gcloud's {@code K=V,K=V} list; {@code ^D^} first makes D the separator. */
  private static Map<String, String> pairs(String list) {
    String separator = ",";
    String rest = list;
    if (rest.startsWith("^")) {
      int end = rest.indexOf('^', 1);
      separator = rest.substring(1, end);
      rest = rest.substring(end + 1);
    }
    Map<String, String> pairs = new LinkedHashMap<>();
    for (String pair : rest.split(Pattern.quote(separator))) {
      int eq = pair.indexOf('=');
      pairs.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return pairs;
  }

  private String expand(String text, Map<String, String> standIns) {
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = standIns.containsKey(name) ? standIns.get(name) : shellVariables.get(name);
      if (value == null) {
        throw new AssertionError("$" + name + " in `" + text + "` is neither exported on the page nor stood in for");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  /** Shell words: split on blanks, single and double quotes removed ($ inside single quotes is kept literal). */
  private static List<String> tokens(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    boolean inWord = false;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else if (c == ')' && !inWord) {
        // the end of $(gcloud ...)
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
