package io.servo.core.workflow;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${env:NAME}} references in asset fields. They stay unresolved everywhere but inside the
 * worker, at the moment the asset runs, so a resolved value is never stored, logged or traced.
 */
public final class EnvReferences {
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

  private EnvReferences() {}

  /** The names {@code template} refers to, in order, each once; empty for null. */
  public static Set<String> names(String template) {
    Set<String> names = new LinkedHashSet<>();
    if (template != null && template.contains("${env:")) {
      Matcher m = REFERENCE.matcher(template);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /**
   * Replaces every reference with {@code lookup}'s value.
   *
   * @throws IllegalStateException naming the variable when it is not set
   */
  public static String resolve(String template, Function<String, String> lookup) {
    if (template == null || template.indexOf("${env:") < 0) {
      return template;
    }
    Matcher m = REFERENCE.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = lookup.apply(m.group(1));
      if (value == null) {
        throw new IllegalStateException(
            "environment variable " + m.group(1) + " is not set on the worker (referenced as ${env:"
                + m.group(1) + "})");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
