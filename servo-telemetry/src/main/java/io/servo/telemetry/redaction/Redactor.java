package io.servo.telemetry.redaction;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.common.Value;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes credentials from text and attributes before they leave the process.
 *
 * <p>Two rules apply. A <em>sensitive key</em> (an attribute key containing, case-insensitively,
 * {@code password}, {@code secret}, {@code token}, {@code authorization}, {@code cookie}, … or one
 * of the configured extra keys) has its whole value replaced by {@value #REDACTED}. A
 * <em>secret-shaped substring</em> anywhere in any string (Bearer/Basic credentials, JWTs, Google
 * OAuth access tokens and API keys, PEM blocks, the password of {@code user:password@} in URLs,
 * {@code password=…} in connection strings, …) is replaced by {@value #REDACTED}, keeping the rest
 * of the string.
 *
 * <p>Instances are immutable and thread-safe. Strings that cannot hold a secret are returned as the
 * same instance without allocating. Other modules use {@link #redact(String)} for log lines and
 * error messages they store.
 */
public final class Redactor {

  /** What replaces a secret. */
  public static final String REDACTED = "[REDACTED]";

  private static final List<String> DEFAULT_KEYS = List.of(
      "password", "passwd", "secret", "token", "authorization", "cookie", "session", "api_key",
      "apikey", "api-key", "bearer", "credential", "private_key", "private-key", "privatekey",
      "hmac", "signature", "oidc", "jwt");

  private static final Redactor DEFAULT = new Redactor(DEFAULT_KEYS);

  // Each rule runs only when its cheap literal pre-check passes, so ordinary strings never reach
  // the regex engine.
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]{1,64})-----.*?(?:-----END \\1-----|$)", Pattern.DOTALL);
  private static final Pattern JWT = Pattern.compile(
      "eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*");
  private static final Pattern GOOGLE_OAUTH_TOKEN = Pattern.compile("ya29\\.[A-Za-z0-9._-]+");
  private static final Pattern GOOGLE_API_KEY = Pattern.compile("AIza[0-9A-Za-z_-]{35}");
  private static final Pattern AWS_ACCESS_KEY = Pattern.compile("(?:AKIA|ASIA)[0-9A-Z]{16}");
  private static final Pattern GITHUB_TOKEN = Pattern.compile("gh[pousr]_[A-Za-z0-9]{30,}");
  private static final Pattern SLACK_TOKEN = Pattern.compile("xox[abprs]-[A-Za-z0-9-]{10,}");
  // "Bearer" is followed by a credential whatever it looks like.
  private static final Pattern BEARER = Pattern.compile(
      "(?i)\\b(bearer)(\\s+)[A-Za-z0-9._~+/-]{4,}=*");
  // "Basic" is also an ordinary word: require something base64-like (a digit, '+', '/' or '=').
  private static final Pattern BASIC = Pattern.compile(
      "(?i)\\b(basic)(\\s+)(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{6,}=*");
  private static final Pattern URL_PASSWORD = Pattern.compile(
      "([A-Za-z][A-Za-z0-9+.-]{0,30}://[^/\\s:@?#]*:)[^\\s/?#]*@");
  // key=value in connection strings, JDBC URLs, query strings; a '?' or '$1' value is a bind
  // placeholder, not a secret, and "null" (a program printing an unset variable) is none either.
  private static final Pattern KEY_EQUALS_VALUE = Pattern.compile(
      "(?i)(?<![A-Za-z0-9])((?:password|passwd|pwd|secret|client_secret|api[_-]?key|"
          + "access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|token|sig|signature|"
          + "private[_-]?key|credentials?)\\s*=\\s*+)"
          + "(?!\\[REDACTED\\])(?!null(?:[\\s;&,\"'}\\])]|$))"
          + "(\"[^\"]*\"|'[^']*'|(?![?$:\\s])[^\\s;&,\"'}\\])]+)");
  // "key": "value" (JSON) and key: value (YAML, headers) for words that are never ordinary prose.
  private static final Pattern KEY_COLON_VALUE = Pattern.compile(
      "(?i)(?<![A-Za-z0-9])((?:password|passwd|pwd|client_secret|secret|api[_-]?key|"
          + "access[_-]?token|refresh[_-]?token|private[_-]?key)[\"']?\\s*:\\s*+)"
          + "(?!\\[REDACTED\\])(\"[^\"]*\"|'[^']*'|[^\\s,\"'}\\]]+)");
  private static final Pattern HEADER_LINE = Pattern.compile(
      "(?i)(?<![A-Za-z0-9-])((?:proxy-)?authorization|set-cookie|cookie)(\\s*[:=]\\s*+)(?!\\[REDACTED\\])[^\\r\\n]+");

  // What keywords(...) reports.
  private static final int BEARER_WORD = 1;
  private static final int BASIC_WORD = 2;
  private static final int KEY_VALUE_STEM = 4; // pass, pwd, secret, key, token, sig, credential
  private static final int HEADER_WORD = 8; // authorization, cookie

  // Attribute keys are few and constant (db.statement, http.route, …) while spans are many: each
  // key's verdict is computed once. Bounded, in case some instrumentation puts data in keys.
  private static final int MAX_CACHED_KEYS = 4096;

  // Attribute values repeat too: the same sanitized SQL, URL, route and service names on every
  // execution. A value found to need no change is remembered (it holds no secret, by that finding),
  // so the next span with it costs one lookup instead of a dozen passes. Cleared when full, so
  // values that never repeat (ids) cannot crowd the recurring ones out for long.
  private static final int MAX_CLEAN_VALUES = 2048;
  // No rule matches fewer characters: redact(String) returns shorter texts at once, and only
  // longer values are worth remembering. Short ones too (127.0.0.1, a table's name): a lookup
  // beats the passes even for them (JMH Redaction 17.9 → 13.5 µs per execution when values of 5 to
  // 15 characters were first remembered).
  private static final int SHORTEST_SECRET = 5;
  private static final int MAX_CLEAN_VALUE_LENGTH = 8192;
  // Bounds the memory the remembered values hold (a few MB at most), whatever their lengths.
  private static final long MAX_CLEAN_CHARS = 1L << 20;

  private final String[] sensitiveKeys;
  private final ConcurrentHashMap<String, KeyVerdict> keyVerdicts = new ConcurrentHashMap<>();
  // A remembered value maps to what ControlCharacters found in it (PLAIN, LINES), so that an
  // exporter can also skip escaping it: one lookup per value instead of a walk for each.
  private final ConcurrentHashMap<String, Byte> cleanValues = new ConcurrentHashMap<>();
  // Kept apart: a query must also be free of literals, which other values need not be.
  private final ConcurrentHashMap<String, Byte> cleanQueries = new ConcurrentHashMap<>();
  private final AtomicLong cleanChars = new AtomicLong();

  /**
   * What redaction does to values under a key, and to the key itself; {@code multiLine}: its
   * values keep their line breaks when escaped; {@code plain}: the key leaves redaction and
   * escaping as it is and its values are not replaced whole.
   */
  private record KeyVerdict(boolean sensitive, String redactedName, boolean query, boolean multiLine,
      boolean plain) {}

  private Redactor(Collection<String> keys) {
    Set<String> normalized = new LinkedHashSet<>();
    for (String key : keys) {
      String k = key.trim().toLowerCase(Locale.ROOT);
      if (!k.isEmpty()) {
        normalized.add(k);
      }
    }
    this.sensitiveKeys = normalized.toArray(new String[0]);
  }

  /** The redactor with Servo's built-in sensitive keys only. */
  public static Redactor defaults() {
    return DEFAULT;
  }

  /**
   * A redactor that also treats keys containing any of {@code extraKeys} (case-insensitively) as
   * sensitive, for example the values of {@code SERVO_TRACE_REDACT_KEYS}.
   */
  public static Redactor create(Collection<String> extraKeys) {
    Objects.requireNonNull(extraKeys, "extraKeys");
    if (extraKeys.isEmpty()) {
      return DEFAULT;
    }
    List<String> all = new ArrayList<>(DEFAULT_KEYS);
    all.addAll(extraKeys);
    return new Redactor(all);
  }

  /** Whether values under {@code key} are replaced entirely. */
  public boolean isSensitiveKey(String key) {
    return verdict(key).sensitive();
  }

  private KeyVerdict verdict(String key) {
    KeyVerdict verdict = keyVerdicts.get(key);
    if (verdict == null) {
      String redacted = redact(key);
      boolean sensitive = computeSensitive(key);
      verdict = new KeyVerdict(sensitive, redacted == key ? key : redacted,
          SqlText.isQueryKey(key), ControlCharacters.MULTI_LINE_KEYS.contains(key),
          !sensitive && redacted == key && ControlCharacters.flags(key) == ControlCharacters.PLAIN_AND_LINES);
      // A key that itself holds a secret is not kept.
      if (redacted == key && keyVerdicts.size() < MAX_CACHED_KEYS) {
        keyVerdicts.putIfAbsent(key, verdict);
      }
    }
    return verdict;
  }

  private boolean computeSensitive(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    for (String sensitive : sensitiveKeys) {
      if (lower.contains(sensitive)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replaces every secret-shaped substring of {@code text} by {@value #REDACTED}.
   *
   * @return {@code text} itself when nothing was found (also for {@code null})
   */
  public String redact(String text) {
    if (text == null || text.length() < SHORTEST_SECRET) {
      return text;
    }
    String s = text;
    // One case-insensitive pass finds the words the keyword rules need; without them those rules
    // cannot match (a replacement only ever removes text), so they are skipped.
    int words = keywords(s);
    if (s.contains("-----BEGIN ")) {
      s = PEM.matcher(s).replaceAll(REDACTED);
    }
    if (s.contains("eyJ")) {
      s = replace(JWT, s);
    }
    if (s.contains("ya29.")) {
      s = replace(GOOGLE_OAUTH_TOKEN, s);
    }
    if (s.contains("AIza")) {
      s = replace(GOOGLE_API_KEY, s);
    }
    if (s.contains("AKIA") || s.contains("ASIA")) {
      s = replace(AWS_ACCESS_KEY, s);
    }
    if (s.contains("gh") && s.indexOf('_') >= 0) {
      s = replace(GITHUB_TOKEN, s);
    }
    if (s.contains("xox")) {
      s = replace(SLACK_TOKEN, s);
    }
    if ((words & BEARER_WORD) != 0) {
      s = replaceKeepingGroups(BEARER, s);
    }
    if ((words & BASIC_WORD) != 0) {
      s = replaceKeepingGroups(BASIC, s);
    }
    if (s.indexOf('@') >= 0 && s.contains("://")) {
      s = replaceKeepingGroups(URL_PASSWORD, s);
    }
    boolean hasEquals = s.indexOf('=') >= 0;
    boolean hasColon = s.indexOf(':') >= 0;
    if ((hasEquals || hasColon) && (words & KEY_VALUE_STEM) != 0) {
      if (hasEquals) {
        s = replaceKeepingGroups(KEY_EQUALS_VALUE, s);
      }
      if (hasColon) {
        s = replaceKeepingGroups(KEY_COLON_VALUE, s);
      }
    }
    if ((hasEquals || hasColon) && (words & HEADER_WORD) != 0) {
      s = replaceKeepingGroups(HEADER_LINE, s);
    }
    return s;
  }

  /**
   * Redacts one attribute value: the whole value when the key is sensitive, secret-shaped
   * substrings otherwise.
   */
  public String redact(String key, String value) {
    if (value == null) {
      return null;
    }
    KeyVerdict verdict = verdict(key);
    if (verdict.sensitive()) {
      return REDACTED;
    }
    Map<String, Byte> clean = cleanValuesFor(verdict);
    boolean cacheable = cacheable(value);
    if (cacheable && clean.containsKey(value)) {
      return value;
    }
    String redacted = redact(value);
    if (verdict.query()) {
      redacted = SqlText.removeLiterals(redacted);
    }
    if (cacheable && redacted == value) {
      remember(clean, value);
    }
    return redacted;
  }

  /** Where values found clean under a key with {@code verdict} are remembered. */
  private Map<String, Byte> cleanValuesFor(KeyVerdict verdict) {
    return verdict.query() ? cleanQueries : cleanValues;
  }

  private static boolean cacheable(String value) {
    return value.length() >= SHORTEST_SECRET && value.length() <= MAX_CLEAN_VALUE_LENGTH;
  }

  private void remember(Map<String, Byte> clean, String value) {
    if (clean.size() >= MAX_CLEAN_VALUES
        || cleanChars.addAndGet(value.length()) > MAX_CLEAN_CHARS) {
      cleanValues.clear();
      cleanQueries.clear();
      cleanChars.set(value.length());
    }
    clean.put(value, ControlCharacters.flags(value));
  }

  /**
   * {@code text} (a span or event name) redacted, then with control characters escaped, for an
   * exporter; the same instance when neither changes it. Names recur on every execution, so a name
   * found to need neither is remembered like a clean attribute value.
   */
  String redactAndEscape(String text) {
    if (text == null) {
      return null;
    }
    boolean cacheable = cacheable(text);
    if (cacheable) {
      Byte flags = cleanValues.get(text);
      if (flags != null && (flags & ControlCharacters.PLAIN) != 0) {
        return text;
      }
    }
    String redacted = redact(text);
    if (cacheable && redacted == text) {
      remember(cleanValues, text);
    }
    return ControlCharacters.escape(redacted);
  }

  /**
   * {@code attributes} (of a span, an event, a link or a resource) redacted, then with control
   * characters escaped, for an exporter; the same instance when neither changes them. Keys and
   * values recur on every execution: when all of them were seen before and found clean, this costs
   * one lookup per attribute; otherwise the full path runs and remembers what it finds clean.
   */
  Attributes redactAndEscape(Attributes attributes) {
    return knownUnchangedOnExport(attributes)
        ? attributes
        : ControlCharacters.escape(redact(attributes));
  }

  /**
   * Whether neither redaction nor escaping changes {@code attributes}, known from remembered keys
   * and values alone. False means "not known".
   */
  private boolean knownUnchangedOnExport(Attributes attributes) {
    if (attributes.isEmpty()) {
      return true;
    }
    boolean[] unknown = new boolean[1];
    attributes.forEach((key, value) -> {
      if (!unknown[0] && !knownUnchangedOnExport(key, value)) {
        unknown[0] = true;
      }
    });
    return !unknown[0];
  }

  private boolean knownUnchangedOnExport(AttributeKey<?> key, Object value) {
    KeyVerdict verdict = verdict(key.getKey());
    if (!verdict.plain()) {
      return false;
    }
    switch (key.getType()) {
      case STRING:
        return knownUnchangedOnExport(verdict, (String) value);
      case STRING_ARRAY:
        for (Object element : (List<?>) value) {
          if (!knownUnchangedOnExport(verdict, (String) element)) {
            return false;
          }
        }
        return true;
      case VALUE:
        return false;
      default:
        return true; // numbers and booleans: neither rule changes them
    }
  }

  private boolean knownUnchangedOnExport(KeyVerdict verdict, String value) {
    if (verdict.query() || cacheable(value)) {
      Byte flags = cleanValuesFor(verdict).get(value);
      return flags != null
          && (flags & (verdict.multiLine() ? ControlCharacters.LINES : ControlCharacters.PLAIN)) != 0;
    }
    // Too short to hold a secret (or too long to remember): escaping is all that could change it.
    return value.length() < SHORTEST_SECRET
        && (ControlCharacters.flags(value) & ControlCharacters.PLAIN) != 0;
  }

  /**
   * Redacts attribute keys and values; returns {@code attributes} itself when nothing changes.
   * Values under a sensitive key become the string {@value #REDACTED} whatever their type, except
   * booleans, which cannot carry a secret.
   */
  public Attributes redact(Attributes attributes) {
    if (attributes.isEmpty() || !needsRedaction(attributes)) {
      return attributes;
    }
    AttributesBuilder builder = Attributes.builder();
    attributes.forEach((key, value) -> put(builder, key, value));
    return builder.build();
  }

  private boolean needsRedaction(Attributes attributes) {
    boolean[] found = new boolean[1];
    attributes.forEach((key, value) -> {
      if (!found[0] && changes(key, value)) {
        found[0] = true;
      }
    });
    return found[0];
  }

  private boolean changes(AttributeKey<?> key, Object value) {
    String name = key.getKey();
    KeyVerdict verdict = verdict(name);
    if (!verdict.redactedName().equals(name)) {
      return true;
    }
    AttributeType type = key.getType();
    if (verdict.sensitive()) {
      return type != AttributeType.BOOLEAN && type != AttributeType.BOOLEAN_ARRAY
          && !REDACTED.equals(value);
    }
    if (type == AttributeType.STRING) {
      return redact(name, (String) value) != value;
    }
    if (type == AttributeType.STRING_ARRAY) {
      for (Object element : (List<?>) value) {
        if (redact(name, (String) element) != element) {
          return true;
        }
      }
    }
    if (type == AttributeType.VALUE) {
      String text = ((Value<?>) value).asString();
      return redact(name, text) != text;
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  private void put(AttributesBuilder builder, AttributeKey<?> key, Object value) {
    KeyVerdict verdict = verdict(key.getKey());
    String name = verdict.redactedName();
    AttributeType type = key.getType();
    if (verdict.sensitive()
        && type != AttributeType.BOOLEAN && type != AttributeType.BOOLEAN_ARRAY) {
      builder.put(AttributeKey.stringKey(name), REDACTED);
      return;
    }
    AttributeKey<Object> target = name.equals(key.getKey())
        ? (AttributeKey<Object>) key
        : (AttributeKey<Object>) rename(key, name);
    if (type == AttributeType.STRING) {
      builder.put(target, redact(key.getKey(), (String) value));
    } else if (type == AttributeType.STRING_ARRAY) {
      List<String> redacted = new ArrayList<>();
      for (Object element : (List<?>) value) {
        redacted.add(redact(key.getKey(), (String) element));
      }
      builder.put(target, redacted);
    } else if (type == AttributeType.VALUE) {
      // Structured values (maps, arrays, bytes) are flattened to their redacted text when they
      // hold a secret; otherwise they keep their structure.
      String text = ((Value<?>) value).asString();
      String redacted = redact(key.getKey(), text);
      if (redacted == text) {
        builder.put(target, value);
      } else {
        builder.put(AttributeKey.stringKey(name), redacted);
      }
    } else {
      builder.put(target, value);
    }
  }

  private static AttributeKey<?> rename(AttributeKey<?> key, String name) {
    switch (key.getType()) {
      case STRING: return AttributeKey.stringKey(name);
      case BOOLEAN: return AttributeKey.booleanKey(name);
      case LONG: return AttributeKey.longKey(name);
      case DOUBLE: return AttributeKey.doubleKey(name);
      case STRING_ARRAY: return AttributeKey.stringArrayKey(name);
      case BOOLEAN_ARRAY: return AttributeKey.booleanArrayKey(name);
      case LONG_ARRAY: return AttributeKey.longArrayKey(name);
      case DOUBLE_ARRAY: return AttributeKey.doubleArrayKey(name);
      default: return AttributeKey.stringKey(name);
    }
  }

  private static String replace(Pattern pattern, String s) {
    Matcher m = pattern.matcher(s);
    if (!m.find()) {
      return s;
    }
    String result = m.replaceAll(REDACTED);
    return result.equals(s) ? s : result;
  }

  /** Keeps the first captured groups (the key, the scheme) and replaces what follows them. */
  private static String replaceKeepingGroups(Pattern pattern, String s) {
    Matcher m = pattern.matcher(s);
    if (!m.find()) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int last = 0;
    do {
      out.append(s, last, m.start());
      int kept = Math.min(m.groupCount(), pattern == KEY_EQUALS_VALUE || pattern == KEY_COLON_VALUE
          || pattern == URL_PASSWORD ? 1 : 2);
      for (int g = 1; g <= kept; g++) {
        if (m.group(g) != null) {
          out.append(m.group(g));
        }
      }
      out.append(REDACTED);
      if (pattern == URL_PASSWORD) {
        out.append('@');
      }
      last = m.end();
    } while (m.find());
    out.append(s, last, s.length());
    String result = out.toString();
    return result.equals(s) ? s : result;
  }

  /**
   * The keyword groups {@code s} contains, case-insensitively, in one pass over it (spans carry many
   * strings, and a pass per word was most of redaction's cost).
   */
  static int keywords(String s) {
    int found = 0;
    int n = s.length();
    // The rules' patterns are case-insensitive for ASCII only, so ASCII folding (| 0x20) of the
    // first two letters finds every candidate; regionMatches confirms the rest.
    for (int i = 0; i < n - 2; i++) {
      int second = s.charAt(i + 1) | 0x20;
      switch (s.charAt(i) | 0x20) {
        case 'a' -> found |= second == 'u' ? at(s, i, found, "authorization", HEADER_WORD) : 0;
        case 'b' -> found |= second == 'e' ? at(s, i, found, "bearer", BEARER_WORD)
            : second == 'a' ? at(s, i, found, "basic", BASIC_WORD) : 0;
        case 'c' -> found |= second == 'r' ? at(s, i, found, "credential", KEY_VALUE_STEM)
            : second == 'o' ? at(s, i, found, "cookie", HEADER_WORD) : 0;
        case 'k' -> found |= second == 'e' ? at(s, i, found, "key", KEY_VALUE_STEM) : 0;
        case 'p' -> found |= second == 'a' ? at(s, i, found, "pass", KEY_VALUE_STEM)
            : second == 'w' ? at(s, i, found, "pwd", KEY_VALUE_STEM) : 0;
        case 's' -> found |= second == 'e' ? at(s, i, found, "secret", KEY_VALUE_STEM)
            : second == 'i' ? at(s, i, found, "sig", KEY_VALUE_STEM) : 0;
        case 't' -> found |= second == 'o' ? at(s, i, found, "token", KEY_VALUE_STEM) : 0;
        default -> { }
      }
    }
    return found;
  }

  /** {@code bit} if {@code word} is at {@code i}; the third letter is compared before the rest. */
  private static int at(String s, int i, int found, String word, int bit) {
    if ((found & bit) != 0 || (s.charAt(i + 2) | 0x20) != word.charAt(2)) {
      return 0;
    }
    return s.regionMatches(true, i, word, 0, word.length()) ? bit : 0;
  }
}
