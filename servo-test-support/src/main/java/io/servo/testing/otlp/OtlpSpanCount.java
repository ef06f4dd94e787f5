package io.servo.testing.otlp;

/**
 * Counts the spans in an OTLP {@code ExportTraceServiceRequest} by walking the protobuf wire format:
 * {@code resource_spans = 1} → {@code scope_spans = 2} → {@code spans = 2}. Enough to compare how many
 * spans each configuration exports per execution, without the protobuf classes.
 */
final class OtlpSpanCount {
  private OtlpSpanCount() {}

  /** Spans in {@code request}, or -1 when it is not well-formed protobuf. */
  static int of(byte[] request) {
    try {
      return count(request, 0, request.length, 0);
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return -1;
    }
  }

  /** depth 0: the request; 1: a ResourceSpans; 2: a ScopeSpans, whose field 2 entries are spans. */
  private static int count(byte[] b, int from, int to, int depth) {
    int spans = 0;
    int[] pos = {from};
    while (pos[0] < to) {
      long key = varint(b, pos);
      int field = (int) (key >>> 3);
      int type = (int) (key & 7);
      switch (type) {
        case 0 -> varint(b, pos);
        case 1 -> pos[0] += 8;
        case 5 -> pos[0] += 4;
        case 2 -> {
          int length = (int) varint(b, pos);
          int start = pos[0];
          pos[0] += length;
          if (pos[0] > to) {
            throw new IllegalArgumentException("truncated");
          }
          if (depth == 0 && field == 1) {
            spans += count(b, start, start + length, 1);
          } else if (depth == 1 && field == 2) {
            spans += count(b, start, start + length, 2);
          } else if (depth == 2 && field == 2) {
            spans++;
          }
        }
        default -> throw new IllegalArgumentException("wire type " + type);
      }
    }
    return spans;
  }

  private static long varint(byte[] b, int[] pos) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte next = b[pos[0]++];
      value |= (long) (next & 0x7f) << shift;
      if (next >= 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("varint too long");
  }
}
