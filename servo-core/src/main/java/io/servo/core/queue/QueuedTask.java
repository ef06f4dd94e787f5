package io.servo.core.queue;

import java.util.Map;
import java.util.Objects;

/**
 * One task as handed to a queue backend: a unique name (a second enqueue of the same name is a
 * duplicate and changes nothing), the exact body bytes the worker will receive and verify, and the
 * headers to send with them.
 */
public record QueuedTask(String name, byte[] body, Map<String, String> headers) {
  public QueuedTask {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(body, "body");
    headers = Map.copyOf(headers);
  }
}
