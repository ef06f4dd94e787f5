package io.servo.worker.assets;

import java.nio.ByteBuffer;

/** Keeps the last {@code capacity} bytes written to it; safe to fill from one thread and read from another. */
final class TailBuffer {
  private final byte[] ring;
  private long written;

  TailBuffer(int capacity) {
    this.ring = new byte[Math.max(1, capacity)];
  }

  synchronized void write(byte[] bytes, int offset, int length) {
    for (int i = 0; i < length; i++) {
      ring[(int) ((written + i) % ring.length)] = bytes[offset + i];
    }
    written += length;
  }

  void write(byte[] bytes) {
    write(bytes, 0, bytes.length);
  }

  /** Writes the buffer's remaining bytes, consuming them. */
  synchronized void write(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      ring[(int) (written++ % ring.length)] = bytes.get();
    }
  }

  /** The bytes kept, oldest first. */
  synchronized byte[] bytes() {
    int size = (int) Math.min(written, ring.length);
    byte[] out = new byte[size];
    int start = (int) ((written - size) % ring.length);
    for (int i = 0; i < size; i++) {
      out[i] = ring[(start + i) % ring.length];
    }
    return out;
  }

  /** The last {@code limit} bytes as redacted text (the buffer must hold {@code limit + mask.maxValueBytes()}). */
  String tail(ResolvedValueMask mask, int limit) {
    return mask.tail(bytes(), limit);
  }
}
