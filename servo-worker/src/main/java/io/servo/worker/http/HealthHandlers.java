package io.servo.worker.http;

import io.servo.core.http.JsonAnswer;
import io.servo.core.http.Route;
import io.servo.storage.ServoStorage;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /health} (the process answers) and {@code GET /ready} (and can reach its database). */
final class HealthHandlers {
  private static final Logger log = LoggerFactory.getLogger(HealthHandlers.class);
  private static final JsonAnswer OK = JsonAnswer.of(200, Map.of("status", "ok"));

  private HealthHandlers() {}

  static Route.Handler health() {
    return request -> OK;
  }

  static Route.Handler ready(ServoStorage storage) {
    return request -> isReady(storage) ? OK
        : new JsonAnswer(503, Map.of("status", "unavailable", "error", "Servo's database is not reachable"),
            Map.of("Retry-After", "5"));
  }

  private static boolean isReady(ServoStorage storage) {
    try {
      return storage.isReady();
    } catch (RuntimeException e) {
      log.warn("readiness check failed ({})", e.getClass().getSimpleName());
      return false;
    }
  }
}
