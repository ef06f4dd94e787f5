package io.servo.cli.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Seeded generators of hostile input. Every fuzz test prints its seed (fixed per test unless
 * {@code -Dservo.fuzz.seed=random}); {@code -Dservo.fuzz.seed=N} replays it. {@code -Dservo.fuzz.factor=F} scales the iterations, and
 * {@code -Dservo.heavy=true} runs five times as many.
 */
final class Hostile {
  /** Marks text a test planted, so a leak of it is easy to find. */
  static final String FORGED = "FORGED-2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged - forged";

  /** Fragments that have broken parsers before. */
  static final List<String> NASTY = List.of(
      "\n", "\r\n", "\r", "\u0000", "\u0007", "\u001b[2J", "\u007f", "\u0085", "\u009b", "\u2028", "\u2029",
      "\t", " ", "\uFEFF", "\u202E", "\uD83D\uDE00", "\uD800", "\uDC00", "é", "ｆｕｌｌ", "\\", "\"", "'", "`",
      "${env:SERVO_HMAC_SECRET}", "${env:SERVO_DATABASE_URL}", "${", "}", "{", "[", "]", ":", "- ", "? ", "*a",
      "&a ", "!!binary ", "!!python/object:os.system ", "<<: ", "---\n", "...\n", "%YAML 1.1\n", "#", "|", ">",
      "../", "..", "%2e%2e", "%2F", "%00", "%0a", "%0d%0a", "%", "%%", "%ff", "?", "&", "=", ";", ",", "@",
      "null", "true", "~", "NaN", "-1", "0", "1e999", "99999999999999999999", "0x10", "1_000", ".inf",
      "00-", "-00", "ff-", "=", "key=value", "a@b", "SELECT 1; DROP TABLE servo.executions; --",
      "' OR '1'='1", "<script>", "\u0001\u0002\u0003");

  private final Random random;

  Hostile(long seed) {
    this.random = new Random(seed);
  }

  /**
   * The seed of this run, printed so a failure can be replayed: {@code -Dservo.fuzz.seed=N}, or
   * {@code -Dservo.fuzz.seed=random} for a fresh one (to hunt for new defects), or else a fixed
   * seed per test, so that {@code mvn verify} is the same run every time and cannot fail by chance.
   */
  static long seed(String test) {
    String configured = System.getProperty("servo.fuzz.seed", "").trim();
    long seed = configured.isEmpty() ? fixedSeed(test)
        : configured.equals("random") ? new java.security.SecureRandom().nextLong()
        : Long.parseLong(configured);
    System.out.println(test + ": fuzz seed " + seed + " (replay with -Dservo.fuzz.seed=" + seed + ")");
    return seed;
  }

  /** A seed of the test's own, the same on every machine and JDK. */
  private static long fixedSeed(String test) {
    long h = 1125899906842597L;
    for (int i = 0; i < test.length(); i++) {
      h = 31 * h + test.charAt(i);
    }
    return h;
  }

  /** {@code normal} scaled by {@code -Dservo.fuzz.factor} (default 1) and by {@code -Dservo.heavy} (×5). */
  static int iterations(int normal) {
    double factor = Double.parseDouble(System.getProperty("servo.fuzz.factor", "1"));
    if (Boolean.getBoolean("servo.heavy")) {
      factor *= 5;
    }
    return Math.max(1, (int) (normal * factor));
  }

  Random random() {
    return random;
  }

  int nextInt(int bound) {
    return random.nextInt(bound);
  }

  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  String nasty() {
    return pick(NASTY);
  }

  /** A string of random code points of every kind: ASCII, controls, surrogates, astral. */
  String garbage(int maxLength) {
    int n = random.nextInt(maxLength + 1);
    StringBuilder out = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(6)) {
        case 0 -> out.append((char) random.nextInt(0x20));
        case 1 -> out.append((char) (0x20 + random.nextInt(0x5f)));
        case 2 -> out.append((char) (0x7f + random.nextInt(0x21)));
        case 3 -> out.append((char) random.nextInt(0x10000));
        case 4 -> out.appendCodePoint(0x10000 + random.nextInt(0x100000));
        default -> out.append(nasty());
      }
    }
    return out.toString();
  }

  /** {@code text} with one to a few random edits: bytes flipped, fragments inserted, ranges cut or repeated. */
  String mutate(String text) {
    String s = text;
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = s.isEmpty() ? 0 : random.nextInt(s.length() + 1);
      switch (random.nextInt(9)) {
        case 0 -> s = s.substring(0, at) + nasty() + s.substring(at);
        case 1 -> s = s.substring(0, at) + garbage(8) + s.substring(at);
        case 2 -> {
          int end = Math.min(s.length(), at + random.nextInt(40));
          s = s.substring(0, at) + s.substring(end);
        }
        case 3 -> {
          int end = Math.min(s.length(), at + random.nextInt(40));
          s = s.substring(0, end) + s.substring(at, end).repeat(1 + random.nextInt(3)) + s.substring(end);
        }
        case 4 -> {
          if (at < s.length()) {
            char c = (char) (s.charAt(at) ^ (1 << random.nextInt(8)));
            s = s.substring(0, at) + c + s.substring(at + 1);
          }
        }
        case 5 -> s = s.substring(0, at) + "\n" + FORGED + "\n" + s.substring(at);
        case 6 -> s = s.substring(0, at) + "x".repeat(random.nextInt(5000)) + s.substring(at);
        case 7 -> {
          // swap two lines: structure survives, meaning changes
          String[] lines = s.split("\n", -1);
          if (lines.length > 2) {
            int a = random.nextInt(lines.length);
            int b = random.nextInt(lines.length);
            String t = lines[a];
            lines[a] = lines[b];
            lines[b] = t;
            s = String.join("\n", lines);
          }
        }
        default -> s = s.substring(0, at);
      }
    }
    return s;
  }

  /** Byte-level mutations (invalid UTF-8 included) of {@code bytes}. */
  byte[] mutateBytes(byte[] bytes) {
    if (chance(0.5)) {
      return mutate(new String(bytes, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }
    byte[] out = bytes.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits && out.length > 0; e++) {
      int at = random.nextInt(out.length);
      switch (random.nextInt(3)) {
        case 0 -> out[at] = (byte) random.nextInt(256);
        case 1 -> out[at] = (byte) (out[at] ^ (1 << random.nextInt(8)));
        default -> {
          byte[] bad = pick(List.of(new byte[] {(byte) 0xc0, (byte) 0xaf}, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
              new byte[] {(byte) 0xff}, new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {0}));
          byte[] grown = new byte[out.length + bad.length];
          System.arraycopy(out, 0, grown, 0, at);
          System.arraycopy(bad, 0, grown, at, bad.length);
          System.arraycopy(out, at, grown, at + bad.length, out.length - at);
          out = grown;
        }
      }
    }
    return out;
  }

  /** A traceparent header value: valid, nearly valid, or junk. */
  String traceparent() {
    String version = pick(List.of("00", "00", "00", "01", "ff", "cc", "0", "000", "FF", "zz"));
    String traceId = pick(List.of(hex(32), hex(32), "0".repeat(32), hex(32).toUpperCase(Locale.ROOT), hex(31), hex(33), garbage(32)));
    String spanId = pick(List.of(hex(16), hex(16), "0".repeat(16), hex(15), hex(17), garbage(16)));
    String flags = pick(List.of("01", "00", "03", "ff", "1", "001", "0g", garbage(2)));
    String value = version + "-" + traceId + "-" + spanId + "-" + flags;
    return switch (random.nextInt(8)) {
      case 0 -> mutate(value);
      case 1 -> value + "-" + garbage(20);
      case 2 -> pick(List.of(" ", "\t", "")) + value + pick(List.of(" ", "\t", "", "\u0000", "\r"));
      case 3 -> garbage(60);
      case 4 -> value.repeat(1 + random.nextInt(200));
      default -> value;
    };
  }

  /** A tracestate header value: members valid and not, too many, duplicated, long, with controls. */
  String tracestate() {
    int members = random.nextInt(40);
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      String key = pick(List.of("servo", "rojo", "congo@vendor", "a@b@c", "1x", "k" + i, "KEY", "k\u0000",
          "x".repeat(1 + random.nextInt(300)), garbage(6)));
      String value = pick(List.of("00f067aa0ba902b7", "t61rcWkgMzE", "v=1", "a,b", " trailing ", garbage(10),
          "y".repeat(1 + random.nextInt(300)), FORGED, "\n" + FORGED));
      parts.add(key + "=" + value);
    }
    String joined = String.join(pick(List.of(",", ", ", ",,", " , ", "\t,")), parts);
    return chance(0.2) ? mutate(joined) : joined;
  }

  /**
   * {@code value} as a header value that keeps the request well framed: a raw CR or LF would end the
   * header line (the client would only be writing other headers, which it can anyway), so they
   * become other control characters that do reach the server.
   */
  static String inHeader(String value) {
    return value.replace('\r', '\u000b').replace('\n', '\u000c');
  }

  String hex(int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(Character.forDigit(random.nextInt(16), 16));
    }
    return out.toString();
  }

  /**
   * Whether {@code text} holds a character a line-oriented reader or a terminal would act on: a C0
   * control other than tab, DEL, a C1 control, or a Unicode line or paragraph separator. Line feeds
   * count too: callers strip the ones they allow first.
   */
  static boolean hasRawControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
        return true;
      }
    }
    return false;
  }

  /** {@code text} with control characters made visible, shortened, for failure messages. */
  static String show(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 600; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("<%02x>", (int) c));
      } else {
        out.append(c);
      }
    }
    return text.length() > 600 ? out + "…(" + text.length() + " chars)" : out.toString();
  }
}
