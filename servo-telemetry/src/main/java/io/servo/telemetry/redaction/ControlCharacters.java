package io.servo.telemetry.redaction;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.servo.settings.QuotedValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Escapes control characters in text that leaves the process: log lines, the stdout exporter, and
 * every span before it is exported. Request data (a {@code User-Agent}, a method, a header a
 * front end copies into {@code client.address}, an exception quoting a payload) may hold them, and
 * a reader that splits on line breaks or a terminal showing a trace must not act on them.
 *
 * <p>Escaped ({@code \n}, {@code \r}, {@code \t}, {@code \u001b}, …) are the C0 and C1 controls
 * (NEL included, which some readers take as a line break) and the Unicode line and paragraph
 * separators. Text without any is returned as the same instance.
 */
public final class ControlCharacters {
  /** Attributes whose values are multi-line by nature: their line breaks and tabs are kept. */
  static final Set<String> MULTI_LINE_KEYS =
      Set.of("exception.stacktrace", "db.statement", "db.query.text");

  /** {@link #flags(String)}: escaping changes nothing. */
  static final byte PLAIN = 1;
  /** {@link #flags(String)}: escaping that keeps line breaks and tabs changes nothing. */
  static final byte LINES = 2;
  static final byte PLAIN_AND_LINES = PLAIN | LINES;

  private ControlCharacters() {}

  /**
   * What escaping would do to {@code text}, in one pass: {@link #PLAIN} if {@link #escape(String)}
   * leaves it as it is, {@link #LINES} if {@link #escapeKeepingLineBreaks(String)} does.
   */
  static byte flags(String text) {
    byte flags = PLAIN_AND_LINES;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (unsafe(c, false)) {
        if (unsafe(c, true)) {
          return 0;
        }
        flags = LINES;
      }
    }
    return flags;
  }

  /** {@code text} with every control character escaped; the same instance when there is none. */
  public static String escape(String text) {
    return escape(text, false);
  }

  /** Like {@link #escape(String)}, but line feeds, carriage returns and tabs are kept. */
  public static String escapeKeepingLineBreaks(String text) {
    return escape(text, true);
  }

  // The escaping itself is servo-settings' (configuration messages escape the same way); this class
  // applies it to spans and logs.
  private static String escape(String text, boolean keepLineBreaks) {
    return QuotedValue.escapeControlCharacters(text, keepLineBreaks);
  }

  private static int firstUnsafe(String text, boolean keepLineBreaks) {
    return QuotedValue.firstControlCharacter(text, keepLineBreaks);
  }

  private static boolean unsafe(char c, boolean keepLineBreaks) {
    return QuotedValue.isControlCharacter(c, keepLineBreaks);
  }

  /** Attribute keys and string values escaped; {@code attributes} itself when nothing changes. */
  static Attributes escape(Attributes attributes) {
    if (attributes.isEmpty() || !needsEscaping(attributes)) {
      return attributes;
    }
    AttributesBuilder builder = Attributes.builder();
    attributes.forEach((key, value) -> put(builder, key, value));
    return builder.build();
  }

  private static boolean needsEscaping(Attributes attributes) {
    boolean[] found = new boolean[1];
    attributes.forEach((key, value) -> {
      if (found[0]) {
        return;
      }
      boolean keep = MULTI_LINE_KEYS.contains(key.getKey());
      if (firstUnsafe(key.getKey(), false) >= 0) {
        found[0] = true;
      } else if (key.getType() == AttributeType.STRING) {
        found[0] = firstUnsafe((String) value, keep) >= 0;
      } else if (key.getType() == AttributeType.STRING_ARRAY) {
        for (Object element : (List<?>) value) {
          found[0] |= firstUnsafe((String) element, keep) >= 0;
        }
      }
    });
    return found[0];
  }

  @SuppressWarnings("unchecked")
  private static void put(AttributesBuilder builder, AttributeKey<?> key, Object value) {
    String name = escape(key.getKey());
    boolean keep = MULTI_LINE_KEYS.contains(key.getKey());
    switch (key.getType()) {
      case STRING -> builder.put(AttributeKey.stringKey(name), escape((String) value, keep));
      case STRING_ARRAY -> {
        List<String> escaped = new ArrayList<>();
        for (Object element : (List<?>) value) {
          escaped.add(escape((String) element, keep));
        }
        builder.put(AttributeKey.stringArrayKey(name), escaped);
      }
      default -> {
        if (name.equals(key.getKey())) {
          builder.put((AttributeKey<Object>) key, value);
        } else {
          builder.put((AttributeKey<Object>) renamed(key, name), value);
        }
      }
    }
  }

  private static AttributeKey<?> renamed(AttributeKey<?> key, String name) {
    switch (key.getType()) {
      case BOOLEAN: return AttributeKey.booleanKey(name);
      case LONG: return AttributeKey.longKey(name);
      case DOUBLE: return AttributeKey.doubleKey(name);
      case BOOLEAN_ARRAY: return AttributeKey.booleanArrayKey(name);
      case LONG_ARRAY: return AttributeKey.longArrayKey(name);
      case DOUBLE_ARRAY: return AttributeKey.doubleArrayKey(name);
      default: return AttributeKey.stringKey(name);
    }
  }
}
