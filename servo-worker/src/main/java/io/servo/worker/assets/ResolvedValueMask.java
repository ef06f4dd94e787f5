package io.servo.worker.assets;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Replaces every occurrence of the values an asset resolved from {@code ${env:…}} references with
 * {@value #MARK} before text leaves the runner: a child may print its environment, a server may
 * echo a header, an exception may quote a URL.
 */
final class ResolvedValueMask {
  static final String MARK = "[REDACTED]";
  static final ResolvedValueMask NONE = new ResolvedValueMask(List.of());

  private final List<String> values;
  private final List<byte[]> utf8Values;
  private final int maxValueBytes;

  private ResolvedValueMask(List<String> values) {
    this.values = values;
    this.utf8Values = values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
    this.maxValueBytes = utf8Values.stream().mapToInt(b -> b.length).max().orElse(0);
  }

  static ResolvedValueMask of(Collection<String> values) {
    List<String> nonEmpty = new ArrayList<>();
    for (String v : values) {
      if (v != null && !v.isEmpty() && !nonEmpty.contains(v)) {
        nonEmpty.add(v);
      }
    }
    return nonEmpty.isEmpty() ? NONE : new ResolvedValueMask(List.copyOf(nonEmpty));
  }

  /** The longest value in bytes: a tail buffer keeps this much more so a value cut at its start is dropped. */
  int maxValueBytes() {
    return maxValueBytes;
  }

  String redact(String text) {
    if (text == null || values.isEmpty()) {
      return text;
    }
    boolean[] mask = new boolean[text.length()];
    boolean any = false;
    for (String value : values) {
      for (int i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + 1)) {
        for (int j = i; j < i + value.length(); j++) {
          mask[j] = true;
        }
        any = true;
      }
    }
    if (!any) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      if (!mask[i]) {
        out.append(text.charAt(i));
      } else if (i == 0 || !mask[i - 1]) {
        out.append(MARK);
      }
    }
    return out.toString();
  }

  /**
   * The last {@code limit} bytes of {@code raw} as text, redacted. {@code raw} holds {@link
   * #maxValueBytes()} more bytes than {@code limit} when the stream was longer, so the fragment of a
   * value cut off at the buffer's start lies before the part returned; a whole value straddling the
   * boundary is matched in full and the tail starts at it.
   */
  String tail(byte[] raw, int limit) {
    boolean[] mask = new boolean[raw.length];
    for (byte[] value : utf8Values) {
      for (int i = 0; i + value.length <= raw.length; i++) {
        if (matchesAt(raw, value, i)) {
          for (int j = i; j < i + value.length; j++) {
            mask[j] = true;
          }
        }
      }
    }
    int start = Math.max(0, raw.length - limit);
    while (start > 0 && mask[start] && mask[start - 1]) {
      start--;
    }
    var out = new java.io.ByteArrayOutputStream(raw.length - start + 16);
    byte[] mark = MARK.getBytes(StandardCharsets.US_ASCII);
    for (int i = start; i < raw.length; i++) {
      if (!mask[i]) {
        out.write(raw[i]);
      } else if (i == start || !mask[i - 1]) {
        out.write(mark, 0, mark.length);
      }
    }
    String text = out.toString(StandardCharsets.UTF_8);
    return start > 0 ? "…" + text : text;
  }

  private static boolean matchesAt(byte[] raw, byte[] value, int at) {
    for (int k = 0; k < value.length; k++) {
      if (raw[at + k] != value[k]) {
        return false;
      }
    }
    return true;
  }
}
