package io.servo.settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads a service's environment variables. Each getter returns the variable's value, or its default
 * when it is unset; a value that cannot be used is recorded as a problem and the getter returns the
 * default, so that reading goes on and {@link #check()} reports every problem at once.
 *
 * <p>Blank values (only spaces and control characters, what {@link String#trim()} removes) count as
 * unset, and values are trimmed. Every problem names its variable, quotes the value ({@link
 * QuotedValue}: credentials masked, cut, control characters escaped) and says what is accepted; a
 * {@linkplain #secret secret}'s value is never shown.
 *
 * <pre>{@code
 * Settings settings = Settings.of(System.getenv(), "the worker");
 * int port = settings.integer("PORT", 8081, 0, 65535);
 * String secret = settings.secret("SERVO_HMAC_SECRET");
 * settings.check(); // throws SettingsException listing every problem
 * }</pre>
 */
public final class Settings {
  /** Longest value a problem quotes. */
  static final int MAX_QUOTED = 120;

  private final Map<String, String> env;
  private final String subject;
  private final List<SettingsException.Problem> problems = new ArrayList<>();

  private Settings(Map<String, String> env, String subject) {
    this.env = env;
    this.subject = subject;
  }

  /**
   * A reader of {@code env}.
   *
   * @param subject what cannot start when a value is unusable, e.g. {@code "the worker"}; the start
   *     of {@link SettingsException}'s message
   */
  public static Settings of(Map<String, String> env, String subject) {
    return new Settings(Objects.requireNonNull(env, "env"), Objects.requireNonNull(subject, "subject"));
  }

  /** The trimmed value of {@code name}; empty when it is unset or blank. Never a problem. */
  public Optional<String> raw(String name) {
    String value = env.get(name);
    if (value == null) {
      return Optional.empty();
    }
    String trimmed = value.trim();
    return trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
  }

  /**
   * The names of the variables that start with {@code prefix}, sorted: for a family of variables
   * whose names carry data, such as one per tenant.
   */
  public SortedSet<String> names(String prefix) {
    SortedSet<String> names = new TreeSet<>();
    env.keySet().stream().filter(n -> n.startsWith(prefix)).forEach(names::add);
    return names;
  }

  /** Whether {@code name} has a value. */
  public boolean isSet(String name) {
    return raw(name).isPresent();
  }

  /** {@code name}'s value, or {@code fallback} (which may be null). */
  public String string(String name, String fallback) {
    return raw(name).orElse(fallback);
  }

  /** {@code name}'s value; null and a problem that says what it is for when it is unset. */
  public String requiredString(String name, String purpose) {
    String value = raw(name).orElse(null);
    if (value == null) {
      problem(name, name + " is not set: " + purpose);
    }
    return value;
  }

  /**
   * {@code name}'s value, or null. A secret is only ever reported by name: use {@link
   * #invalidSecret} for a problem with it.
   */
  public String secret(String name) {
    return raw(name).orElse(null);
  }

  /**
   * {@code name}'s value, or null; a value shorter than {@code minBytes} (in UTF-8) is a problem that
   * gives its length, never its value.
   *
   * @param hint how to make a good one, e.g. {@code "generate one with: openssl rand -base64 48"}
   */
  public String secret(String name, int minBytes, String hint) {
    String value = secret(name);
    if (value != null) {
      tooShort(value.getBytes(StandardCharsets.UTF_8).length, minBytes, hint)
          .ifPresent(expected -> invalidSecret(name, expected));
    }
    return value;
  }

  /**
   * Checks a secret that did not come from the environment (one a command generated, say) as {@link
   * #secret(String, int, String)} checks one that did.
   *
   * @throws SettingsException when it is shorter than {@code minBytes}
   */
  public static void checkSecretLength(String subject, String name, int bytes, int minBytes, String hint) {
    Optional<String> expected = tooShort(bytes, minBytes, hint);
    if (expected.isPresent()) {
      Settings settings = of(Map.of(), subject);
      settings.invalidSecret(name, expected.get());
      settings.check();
    }
  }

  private static Optional<String> tooShort(int bytes, int minBytes, String hint) {
    return bytes >= minBytes ? Optional.empty()
        : Optional.of("at least " + minBytes + " bytes (it has " + bytes + "); " + hint);
  }

  /**
   * {@code name}'s value parsed by {@code parse}, or {@code fallback} when it is unset. When {@code
   * parse} returns null or throws an {@link IllegalArgumentException}, the value is reported as
   * invalid with {@code expected} (e.g. {@code "a JDBC URL such as jdbc:postgresql://db/servo"}) and
   * {@code fallback} is returned.
   */
  public <T> T value(String name, T fallback, Function<String, T> parse, String expected) {
    String value = raw(name).orElse(null);
    if (value == null) {
      return fallback;
    }
    T parsed = parse(parse, value);
    if (parsed == null) {
      invalid(name, value, expected);
      return fallback;
    }
    return parsed;
  }

  /** A whole number from {@code min} to {@code max}. */
  public int integer(String name, int fallback, int min, int max) {
    return (int) longInteger(name, fallback, min, max);
  }

  /** A whole number from {@code min} to {@code max}. */
  public long longInteger(String name, long fallback, long min, long max) {
    return value(name, fallback, v -> {
      long n = Long.parseLong(v);
      return n >= min && n <= max ? n : null;
    }, "a whole number from " + min + " to " + max);
  }

  /** A number from {@code min} to {@code max}, in plain decimal notation (no NaN, no exponent). */
  public double decimal(String name, double fallback, double min, double max, String example) {
    return value(name, fallback, v -> {
      // Double.parseDouble alone would also take "NaN", "1e3" or "5d".
      if (!v.matches("[0-9]{1,9}(\\.[0-9]{1,9})?|\\.[0-9]{1,9}")) {
        return null;
      }
      double d = Double.parseDouble(v);
      return d >= min && d <= max ? d : null;
    }, "a number from " + min + " to " + max + example(example));
  }

  /** A positive whole number of milliseconds, as the {@code OTEL_*} variables take durations. */
  public Duration milliseconds(String name, Duration fallback) {
    return value(name, fallback, v -> {
      long ms = Long.parseLong(v);
      return ms > 0 ? Duration.ofMillis(ms) : null;
    }, "a positive number of milliseconds, e.g. 10000");
  }

  /**
   * A duration such as {@code 30s}, {@code 2m} or {@code 1m30s} ({@link DurationText}) from {@code
   * min} to {@code max}.
   */
  public Duration duration(String name, Duration fallback, Duration min, Duration max) {
    return value(name, fallback,
        v -> DurationText.parse(v).filter(d -> d.compareTo(min) >= 0 && d.compareTo(max) <= 0).orElse(null),
        "a duration from " + DurationText.format(min) + " to " + DurationText.format(max)
            + " such as 30s, 2m or 1m30s");
  }

  /** {@code true} or {@code false}, in any case. */
  public boolean bool(String name, boolean fallback) {
    return optionalBool(name).orElse(fallback);
  }

  /** {@code true} or {@code false}, in any case; empty when unset (or invalid). */
  public Optional<Boolean> optionalBool(String name) {
    return Optional.ofNullable(value(name, null, v -> {
      if (v.equalsIgnoreCase("true")) {
        return Boolean.TRUE;
      }
      return v.equalsIgnoreCase("false") ? Boolean.FALSE : null;
    }, "true or false"));
  }

  /**
   * One of {@code type}'s constants, written as its name in lower case (in any case); {@code fallback}
   * (which may be null) when unset.
   */
  public <E extends Enum<E>> E choice(String name, Class<E> type, E fallback) {
    Map<String, E> accepted = new LinkedHashMap<>();
    for (E e : type.getEnumConstants()) {
      accepted.put(e.name().toLowerCase(Locale.ROOT), e);
    }
    return choice(name, accepted, fallback);
  }

  /** One of {@code accepted}'s keys, in any case; {@code fallback} (which may be null) when unset. */
  public <T> T choice(String name, Map<String, T> accepted, T fallback) {
    return value(name, fallback, v -> accepted.get(v.toLowerCase(Locale.ROOT)),
        "one of " + String.join(", ", accepted.keySet()));
  }

  /**
   * An absolute {@code http://} or {@code https://} URL with a host and neither query nor fragment,
   * or {@code fallback}.
   *
   * @param example shown in the problem, e.g. {@code http://localhost:4318}
   */
  public URI httpUrl(String name, URI fallback, String example) {
    return value(name, fallback, Settings::httpUrl,
        "an http:// or https:// URL with a host, without query" + example(example));
  }

  /**
   * The comma-separated entries of {@code name}, trimmed, empty ones left out; each checked by {@code
   * parse} (null or an {@link IllegalArgumentException} means invalid). An entry that is invalid is
   * reported (quoted alone) with {@code expected} and left out.
   */
  public <T> List<T> list(String name, Function<String, T> parse, String expected) {
    List<T> entries = new ArrayList<>();
    String value = raw(name).orElse(null);
    if (value == null) {
      return entries;
    }
    for (String part : value.split(",", -1)) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        continue;
      }
      T parsed = parse(parse, entry);
      if (parsed == null) {
        problem(name, name + " has invalid entry " + quoted(entry) + ": expected " + expected);
      } else {
        entries.add(parsed);
      }
    }
    return entries;
  }

  /** Records that {@code value} of {@code name} cannot be used; {@code expected} says what can. */
  public void invalid(String name, String value, String expected) {
    problem(name, name + " has invalid value " + quoted(value) + ": expected " + expected);
  }

  /**
   * Records that the secret {@code name} cannot be used, without showing it; {@code expected} says
   * what can (and must not quote the value either).
   */
  public void invalidSecret(String name, String expected) {
    problem(name, name + " has an invalid value (not shown: it is a secret): expected " + expected);
  }

  /** Records a problem with {@code name}: {@code message} is the whole sentence, variable included. */
  public void problem(String name, String message) {
    problems.add(new SettingsException.Problem(name, QuotedValue.escapeControlCharacters(message)));
  }

  /** Whether a problem was recorded. */
  public boolean hasProblems() {
    return !problems.isEmpty();
  }

  /**
   * Throws when a problem was recorded.
   *
   * @throws SettingsException listing every problem, in the order the variables were read
   */
  public void check() {
    if (!problems.isEmpty()) {
      throw new SettingsException(subject, problems);
    }
  }

  /** What {@code parse} makes of {@code value}; null when it returns null or rejects it. */
  private static <T> T parse(Function<String, T> parse, String value) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@code value} as a problem quotes it: in single quotes, through {@link QuotedValue}. */
  public static String quoted(String value) {
    return "'" + QuotedValue.of(value, MAX_QUOTED) + "'";
  }

  /** An absolute http(s) URL with a host and neither query nor fragment; null otherwise. */
  static URI httpUrl(String value) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
          && uri.getRawQuery() == null && uri.getRawFragment() == null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // not a URL
    }
    return null;
  }

  private static String example(String example) {
    return example == null ? "" : ", e.g. " + example;
  }

  @Override
  public String toString() {
    return "Settings[" + subject + ", problems=" + problems.stream().map(SettingsException.Problem::variable)
        .collect(Collectors.joining(", ", "[", "]")) + "]";
  }
}
