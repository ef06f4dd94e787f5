package io.servo.cloud.gcp.fake.tasks;

import com.google.cloud.tasks.v2.HttpRequest;
import com.google.cloud.tasks.v2.Task;
import com.google.protobuf.Timestamp;
import io.servo.cloud.gcp.fake.oidc.FakeGoogleOidc;
import io.servo.core.queue.TaskHeaders;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers held tasks over HTTP the way Cloud Tasks does, retrying with the queue's backoff. */
final class HttpTaskDispatcher {
  private static final Logger log = LoggerFactory.getLogger(HttpTaskDispatcher.class);
  /** Cloud Tasks' default dispatch deadline for HTTP targets. */
  static final Duration DEFAULT_DISPATCH_DEADLINE = Duration.ofMinutes(10);
  /** Headers Cloud Tasks ignores or replaces when a task sets them, lower case. */
  private static final Set<String> REPLACED = Set.of("host", "content-length", "user-agent", "connection",
      "expect", "upgrade", "transfer-encoding", "keep-alive", "te", "trailer");
  private static final List<String> RESERVED_PREFIXES = List.of("x-cloudtasks-", "x-google-", "x-appengine-");

  private final ScheduledExecutorService scheduler;
  private final HttpClient http;
  private final FakeGoogleOidc oidc;
  private final FakeQueueRetryConfig retry;
  private final List<DispatchAttempt> attempts = new CopyOnWriteArrayList<>();
  private final Consumer<String> onFinished;

  HttpTaskDispatcher(ScheduledExecutorService scheduler, FakeGoogleOidc oidc, FakeQueueRetryConfig retry,
      Consumer<String> onFinished) {
    this.scheduler = scheduler;
    this.oidc = oidc;
    this.retry = retry;
    this.onFinished = onFinished;
    // Cloud Tasks does not follow redirects: a 3xx is a failed attempt.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  List<DispatchAttempt> attempts() {
    return List.copyOf(attempts);
  }

  void schedule(HeldTask held, Duration delay) {
    if (held.deleted()) {
      return;
    }
    held.scheduled(scheduler.schedule(() -> attempt(held), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS));
  }

  private void attempt(HeldTask held) {
    if (held.deleted()) {
      return;
    }
    Task task = held.task();
    int attempt = task.getDispatchCount() + 1;
    held.update(task.toBuilder().setDispatchCount(attempt).build());
    Map<String, String> headers = headersFor(held, task);
    java.net.http.HttpRequest request = toHttp(task.getHttpRequest(), headers, deadline(task));
    Instant dispatchedAt = Instant.now();
    int status = 0;
    String error = null;
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      status = response.statusCode();
    } catch (IOException e) {
      error = e.getClass().getSimpleName() + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return; // the fake is closing
    } catch (RuntimeException e) {
      error = e.toString();
    }
    if (status > 0) {
      held.update(held.task().toBuilder().setResponseCount(held.task().getResponseCount() + 1).build());
    }
    DispatchAttempt.Outcome outcome;
    if (held.deleted()) {
      outcome = DispatchAttempt.Outcome.DELETED;
    } else if (status >= 200 && status < 300) {
      outcome = DispatchAttempt.Outcome.SUCCEEDED;
    } else if (retry.exhausted(attempt)) {
      outcome = DispatchAttempt.Outcome.GAVE_UP;
    } else {
      outcome = DispatchAttempt.Outcome.RETRY_SCHEDULED;
    }
    attempts.add(new DispatchAttempt(task.getName(), attempt, dispatchedAt, headers, status,
        Optional.ofNullable(error), outcome));
    log.debug("task {} attempt {}: {} -> {}", task.getName(), attempt, status > 0 ? status : error, outcome);
    switch (outcome) {
      case SUCCEEDED, GAVE_UP -> {
        held.delete();
        onFinished.accept(task.getName());
      }
      case RETRY_SCHEDULED -> {
        held.failed(status, status > 0 ? "HTTP_STATUS_" + status : "NO_RESPONSE: " + error);
        // 429 and 503 get the same per-task backoff as any failure; the fake does not honour
        // Retry-After and does not slow the whole queue down as Cloud Tasks may.
        schedule(held, retry.delayBeforeRetry(held.retryCount()));
      }
      case DELETED -> { }
    }
  }

  private Map<String, String> headersFor(HeldTask held, Task task) {
    HttpRequest source = task.getHttpRequest();
    Map<String, String> headers = new LinkedHashMap<>();
    source.getHeadersMap().forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      boolean reserved = REPLACED.contains(lower)
          || RESERVED_PREFIXES.stream().anyMatch(lower::startsWith)
          || (source.hasOidcToken() && lower.equals("authorization"));
      if (!reserved) {
        headers.put(name, value);
      }
    });
    if (!source.getBody().isEmpty() && headers.keySet().stream().noneMatch("content-type"::equalsIgnoreCase)) {
      headers.put("Content-Type", "application/octet-stream");
    }
    headers.put("User-Agent", TaskHeaders.USER_AGENT_VALUE);
    String[] path = task.getName().split("/");
    headers.put(TaskHeaders.QUEUE_NAME, path[5]);
    headers.put(TaskHeaders.TASK_NAME, path[7]);
    headers.put(TaskHeaders.RETRY_COUNT, Integer.toString(held.retryCount()));
    headers.put(TaskHeaders.EXECUTION_COUNT, Integer.toString(held.executionCount()));
    headers.put(TaskHeaders.ETA, eta(task.getScheduleTime()));
    if (held.retryCount() > 0) {
      if (held.previousResponse() > 0) {
        headers.put(TaskHeaders.PREVIOUS_RESPONSE, Integer.toString(held.previousResponse()));
      }
      headers.put(TaskHeaders.RETRY_REASON, held.retryReason());
    }
    if (source.hasOidcToken()) {
      String audience = source.getOidcToken().getAudience().isEmpty()
          ? withoutQuery(source.getUrl())
          : source.getOidcToken().getAudience();
      headers.put("Authorization",
          "Bearer " + oidc.mintIdToken(audience, source.getOidcToken().getServiceAccountEmail()));
    }
    return headers;
  }

  private static java.net.http.HttpRequest toHttp(HttpRequest source, Map<String, String> headers, Duration timeout) {
    java.net.http.HttpRequest.Builder builder = java.net.http.HttpRequest.newBuilder(URI.create(source.getUrl()))
        .timeout(timeout)
        .method(source.getHttpMethod().name(), source.getBody().isEmpty()
            ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofByteArray(source.getBody().toByteArray()));
    headers.forEach((name, value) -> {
      try {
        builder.header(name, value);
      } catch (IllegalArgumentException e) {
        log.debug("not sending header {}: the JDK HTTP client refuses it", name);
      }
    });
    return builder.build();
  }

  private static Duration deadline(Task task) {
    if (!task.hasDispatchDeadline()) {
      return DEFAULT_DISPATCH_DEADLINE;
    }
    return Duration.ofSeconds(task.getDispatchDeadline().getSeconds(), task.getDispatchDeadline().getNanos());
  }

  /** Seconds since the epoch with microseconds, e.g. {@code 1764067200.123456}. */
  static String eta(Timestamp time) {
    return time.getSeconds() + "." + String.format(Locale.ROOT, "%06d", time.getNanos() / 1000);
  }

  private static String withoutQuery(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }
}
