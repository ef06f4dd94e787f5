package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import io.servo.core.http.JsonAnswer;
import io.servo.core.http.Request;
import io.servo.core.http.Route;
import io.servo.core.task.InvalidPayloadException;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.worker.auth.AuthDecision;
import io.servo.worker.auth.TaskAuthenticator;
import io.servo.worker.execution.Delivery;
import io.servo.worker.execution.ExecutionOutcome;
import io.servo.worker.execution.WorkflowExecutor;
import io.servo.worker.ratelimit.TenantRateLimiter;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /execute}: one delivery of a task from the queue. The status code is the queue's
 * retry signal, so it says exactly whether another delivery can help: 2xx for an ended execution
 * (even a failed one), 4xx for a request no retry can fix, 503 for "later".
 */
final class ExecuteHandler implements Route.Handler {
  private static final Logger log = LoggerFactory.getLogger(ExecuteHandler.class);
  /** When to retry after a transient failure of this worker (its database, a shutdown). */
  static final int RETRY_AFTER_SECONDS = 5;

  private final TaskAuthenticator authenticator;
  private final TenantRateLimiter rateLimiter;
  private final WorkflowExecutor executor;
  private final DeliveryObserver observer;
  private final Runnable beforeResponse;
  private final int maxBodyBytes;
  private final Duration lease;
  private final Clock clock;

  ExecuteHandler(TaskAuthenticator authenticator, TenantRateLimiter rateLimiter,
      WorkflowExecutor executor, DeliveryObserver observer, Runnable beforeResponse,
      int maxBodyBytes, Duration lease, Clock clock) {
    this.authenticator = authenticator;
    this.rateLimiter = rateLimiter;
    this.executor = executor;
    this.observer = observer;
    this.beforeResponse = beforeResponse;
    this.maxBodyBytes = maxBodyBytes;
    this.lease = lease;
    this.clock = clock;
  }

  @Override
  public JsonAnswer handle(Request request) throws IOException {
    HttpExchange exchange = request.exchange();
    byte[] body = request.body(maxBodyBytes, "the task body is larger than " + maxBodyBytes
        + " bytes (SERVO_MAX_BODY_BYTES); raise the limit if such workflows are intended");
    // Authenticate (ID token, then the signature of the exact bytes) before anything in the
    // request is parsed or used.
    AuthDecision decision = authenticator.authenticate(exchange.getRequestHeaders()::getFirst, body);
    if (decision instanceof AuthDecision.Rejected rejected) {
      log.warn("rejected a task from {}: {}", exchange.getRemoteAddress(), rejected.reason());
      return JsonAnswer.error(401, "task not authenticated: " + rejected.reason());
    }
    if (decision instanceof AuthDecision.Unavailable unavailable) {
      log.warn("cannot authenticate a task now: {}", unavailable.reason());
      return JsonAnswer.error(503, "cannot authenticate the task now: " + unavailable.reason(),
          Map.of("Retry-After", Long.toString(Math.max(1, unavailable.retryAfter().toSeconds()))));
    }
    TaskPayload payload;
    try {
      payload = TaskPayloadCodec.decode(body);
    } catch (InvalidPayloadException e) {
      log.warn("rejected an invalid task payload: {}", e.getMessage());
      return JsonAnswer.error(400, e.getMessage());
    }
    // Only now may the request's trace context be looked at: it is authentic and decoded.
    DeliveryObserver.Observation observation = observer.start(exchange, payload);
    JsonAnswer answer = null;
    try {
      answer = deliver(exchange, payload);
    } finally {
      // A runtime failure escapes to the HTTP server, which answers 500.
      observation.end(answer == null ? 500 : answer.status());
      runBeforeResponse();
    }
    return answer;
  }

  private JsonAnswer deliver(HttpExchange exchange, TaskPayload payload) {
    if (rateLimiter != null) {
      Optional<Duration> wait = rateLimiter.tryAcquire(payload.tenant());
      if (wait.isPresent()) {
        log.info("tenant {} is over SERVO_RATE_LIMIT_PER_TENANT; execution {} deferred",
            payload.tenant(), payload.executionId());
        return JsonAnswer.error(429, "tenant " + payload.tenant() + " started more than "
            + rateLimiter.perSecond() + " executions per second (SERVO_RATE_LIMIT_PER_TENANT); "
            + "the queue retries the task later",
            Map.of("Retry-After", Long.toString(wait.get().toSeconds())));
      }
    }
    Delivery delivery = Delivery.fromHeaders(exchange.getRequestHeaders()::getFirst);
    ExecutionOutcome outcome;
    try {
      outcome = executor.execute(payload, delivery);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = new ExecutionOutcome.Interrupted(payload.executionId(), "the worker is shutting down");
    }
    return answer(outcome);
  }

  /** Bounded by whoever supplied it (a flush of finished spans, say); never stops the answer. */
  private void runBeforeResponse() {
    try {
      beforeResponse.run();
    } catch (RuntimeException e) {
      log.warn("the before-response hook failed ({}); answering anyway", e.getClass().getSimpleName());
    }
  }

  private JsonAnswer answer(ExecutionOutcome outcome) {
    if (outcome instanceof ExecutionOutcome.Ended ended) {
      return JsonAnswer.of(200, ExecuteAnswer.of(ended));
    } else if (outcome instanceof ExecutionOutcome.NotFound notFound) {
      return JsonAnswer.error(404, "execution " + notFound.executionId()
          + " does not exist for the payload's tenant; the task will not be retried");
    } else if (outcome instanceof ExecutionOutcome.Busy busy) {
      return JsonAnswer.error(503,
          "execution " + busy.executionId() + " is running on another worker",
          Map.of("Retry-After", retryAfter(busy.leaseUntil())));
    }
    ExecutionOutcome.Interrupted interrupted = (ExecutionOutcome.Interrupted) outcome;
    return JsonAnswer.error(503, interrupted.reason(), Map.of("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
  }

  /** Seconds until the other worker's lease lapses: then a redelivery can take over if it died. */
  private String retryAfter(Instant leaseUntil) {
    long seconds = leaseUntil == null
        ? lease.toSeconds()
        : Duration.between(clock.instant(), leaseUntil).toSeconds() + 1;
    return Long.toString(Math.max(1, Math.min(seconds, 3600)));
  }
}
