package io.servo.cli.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client that sends exactly what it is given: any method, an unnormalised request
 * target, header values with control characters, repeated headers. {@code java.net.http} refuses
 * all of these, and a hostile client does not use it.
 */
final class RawHttp {
  private static final int TIMEOUT_MILLIS = 30_000;

  private RawHttp() {}

  /** One header line as sent; the value may hold any character but CR and LF (see {@link Hostile#inHeader}). */
  record Header(String name, String value) {
    Header {
      value = Hostile.inHeader(value);
    }
  }

  /** An answer, or {@code status == -1} when the connection ended without one. */
  record Response(int status, Map<String, List<String>> headers, byte[] body, String failure) {
    String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    boolean answered() {
      return status > 0;
    }
  }

  /** A request with a correct {@code Content-Length} and {@code Connection: close}. */
  static Response send(int port, String method, String target, List<Header> headers, byte[] body) {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(port).append("\r\n");
    for (Header h : headers) {
      head.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    byte[] headBytes = latin1(head) ? head.toString().getBytes(StandardCharsets.ISO_8859_1)
        : head.toString().getBytes(StandardCharsets.UTF_8);
    request.writeBytes(headBytes);
    if (body != null) {
      request.writeBytes(body);
    }
    return exchange(port, request.toByteArray());
  }

  /**
   * Whether the JDK's HTTP server drops this request without an answer before any handler runs, so
   * Servo never sees it: a method or request-target that is not printable ASCII, a header value with
   * a control character other than tab, or an opaque request-target.
   */
  static boolean droppedBeforeAnyHandler(String method, String target, List<Header> headers) {
    return !method.chars().allMatch(RawHttp::printable) || !target.chars().allMatch(RawHttp::printable)
        || headers.stream().anyMatch(h -> h.value().chars().anyMatch(c -> c < 0x20 && c != '\t'))
        || opaqueTarget(target);
  }

  private static boolean printable(int c) {
    return c > 0x20 && c < 0x7f;
  }

  /**
   * Whether the JDK's HTTP server reads {@code target} as an opaque URI ({@code a:b}, {@code
   * mailto:x}): it has no path, and the server throws on it and drops the connection without an
   * answer (JDK 17 and 25).
   */
  static boolean opaqueTarget(String target) {
    try {
      return new java.net.URI(target).isOpaque();
    } catch (java.net.URISyntaxException e) {
      return false; // the server answers 400 itself
    }
  }

  private static boolean latin1(CharSequence s) {
    return s.chars().allMatch(c -> c <= 0xff);
  }

  private static Response exchange(int port, byte[] request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may answer (413, 400) and close before reading everything: read what it said.
      }
      byte[] raw = readAll(socket.getInputStream());
      return parse(raw);
    } catch (IOException e) {
      return new Response(-1, Map.of(), new byte[0], e.toString());
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[16 * 1024];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (java.net.SocketException e) {
      // a reset after the answer was read still leaves the answer
      if (out.size() == 0) {
        throw e;
      }
    }
    return out.toByteArray();
  }

  private static Response parse(byte[] raw) {
    // Interim answers (100 Continue to an Expect header) come before the real one.
    while (raw.length > 12 && new String(raw, 0, 12, StandardCharsets.ISO_8859_1).matches("HTTP/1\\.1 1\\d\\d")) {
      int interimEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      if (interimEnd < 0) {
        break;
      }
      raw = java.util.Arrays.copyOfRange(raw, interimEnd + 4, raw.length);
    }
    int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    if (end < 0) {
      return new Response(-1, Map.of(), raw, "no complete response head (" + raw.length + " bytes)");
    }
    String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status;
    try {
      status = Integer.parseInt(statusLine[1]);
    } catch (RuntimeException e) {
      return new Response(-1, Map.of(), raw, "bad status line " + lines[0]);
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
    List<String> encoding = headers.get("transfer-encoding");
    if (encoding != null && encoding.contains("chunked")) {
      body = dechunk(body);
    }
    return new Response(status, headers, body, null);
  }

  private static byte[] dechunk(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int lineEnd = indexOf(body, "\r\n".getBytes(StandardCharsets.US_ASCII), at);
      if (lineEnd < 0) {
        break;
      }
      String sizeText = new String(body, at, lineEnd - at, StandardCharsets.US_ASCII).split(";")[0].trim();
      int size = Integer.parseInt(sizeText, 16);
      if (size == 0) {
        break;
      }
      out.write(body, lineEnd + 2, Math.min(size, body.length - lineEnd - 2));
      at = lineEnd + 2 + size + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    return indexOf(haystack, needle, 0);
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
