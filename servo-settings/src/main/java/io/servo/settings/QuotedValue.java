package io.servo.settings;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a settings problem or a configuration's {@code toString()} shows a value: the
 * credentials a URL or a connection string may carry are masked, long values are cut, and control
 * characters are escaped so that a message stays on its line.
 *
 * <p>This is not the span redactor of servo-telemetry (which scans span data for every secret shape
 * it knows at export): configuration values are URLs, names, numbers and durations, and what they can
 * carry is a password in the user info, or a secret in a {@code key=value} parameter.
 */
public final class QuotedValue {
  /** What replaces a masked credential. */
  public static final String MASK = "[REDACTED]";

  // scheme://user:password@host
  private static final Pattern URL_PASSWORD =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]{0,30}://[^/\\s:@?#]*:)[^\\s/?#]*@");
  // user:password@host, as a variable without its scheme may hold
  private static final Pattern LEADING_USER_INFO = Pattern.compile("^([^/@:\\s]*:)[^/@\\s]+@");
  // password=..., access_token=..., sig=... in a query string or a JDBC URL's properties
  private static final Pattern KEY_EQUALS_VALUE = Pattern.compile(
      "(?i)(?<![A-Za-z0-9])((?:password|passwd|pwd|secret|client_secret|api[_-]?key|"
          + "access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|token|sig|signature|"
          + "private[_-]?key|credentials?)\\s*=\\s*+)"
          + "(?!\\[REDACTED\\])(\"[^\"]*\"|'[^']*'|[^\\s;&,\"'}\\])]+)");

  private QuotedValue() {}

  /**
   * {@code value} fit for a message: credentials masked ({@value #MASK}), cut to {@code maxChars}
   * characters after masking (so no credential is cut in half), control characters escaped.
   * {@code null} stays {@code null}.
   */
  public static String of(String value, int maxChars) {
    if (value == null) {
      return null;
    }
    String shown = masked(value);
    if (shown.length() > maxChars) {
      shown = shown.substring(0, maxChars) + "…";
    }
    return escapeControlCharacters(shown);
  }

  /** {@code value} with the credentials of {@link #of} masked, nothing cut and nothing escaped. */
  public static String masked(String value) {
    if (value == null) {
      return null;
    }
    String shown = value;
    if (shown.indexOf('@') >= 0) {
      shown = URL_PASSWORD.matcher(shown).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + "@"));
      Matcher userInfo = LEADING_USER_INFO.matcher(shown);
      if (userInfo.find() && !userInfo.group().contains(MASK)) {
        shown = userInfo.group(1) + MASK + "@" + shown.substring(userInfo.end());
      }
    }
    if (shown.indexOf('=') >= 0) {
      shown = KEY_EQUALS_VALUE.matcher(shown).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
    }
    return shown;
  }

  /**
   * {@code text} with every C0 and C1 control character and the Unicode line and paragraph separators
   * escaped ({@code \n}, {@code \u001b}, …); the same instance when there is none.
   */
  public static String escapeControlCharacters(String text) {
    return escapeControlCharacters(text, false);
  }

  /**
   * Like {@link #escapeControlCharacters(String)}, but line feeds, carriage returns and tabs are kept
   * when {@code keepLineBreaks}. servo-telemetry escapes span and log text with this too.
   */
  public static String escapeControlCharacters(String text, boolean keepLineBreaks) {
    if (text == null) {
      return null;
    }
    int first = firstControlCharacter(text, keepLineBreaks);
    if (first < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    out.append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isControlCharacter(c, keepLineBreaks)) {
        out.append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  /** The index of the first character {@link #escapeControlCharacters(String, boolean)} escapes; -1 if none. */
  public static int firstControlCharacter(String text, boolean keepLineBreaks) {
    for (int i = 0; i < text.length(); i++) {
      if (isControlCharacter(text.charAt(i), keepLineBreaks)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether {@link #escapeControlCharacters(String, boolean)} escapes {@code c}. */
  public static boolean isControlCharacter(char c, boolean keepLineBreaks) {
    if (keepLineBreaks && (c == '\n' || c == '\r' || c == '\t')) {
      return false;
    }
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
