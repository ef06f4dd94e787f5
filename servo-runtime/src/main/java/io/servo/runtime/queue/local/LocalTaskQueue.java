package io.servo.runtime.queue.local;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskHeaders;
import io.servo.core.queue.TaskQueue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded queue backend: holds tasks in memory and POSTs each to the worker's {@code /execute}
 * exactly as Google Cloud Tasks pushes an HTTP task (same headers, body bytes unchanged), retrying
 * 5xx, 429, 408 and connection failures with exponential backoff and jitter.
 *
 * <p>Tasks are deduplicated by name: a name seen before (queued, in flight or delivered) is
 * accepted and dropped. Unlike Cloud Tasks the queue is not durable: tasks accepted but not yet
 * delivered are lost when the process stops.
 */
public final class LocalTaskQueue implements TaskQueue {
  private static final Logger log = LoggerFactory.getLogger(LocalTaskQueue.class);
  /** Headers {@link HttpClient} sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED_HEADERS =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "user-agent");
  private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

  private final URI target;
  private final String queueName;
  private final int maxAttempts;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final int maxPendingTasks;
  private final Duration requestTimeout;
  private final HttpClient httpClient;
  private final Clock clock;
  private final ScheduledThreadPoolExecutor dispatcher;
  private final Map<String, Boolean> seenNames;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile boolean closed;

  private LocalTaskQueue(Builder b) {
    String base = b.workerUrl.toString();
    this.target = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/execute");
    this.queueName = b.queueName;
    this.maxAttempts = b.maxAttempts;
    this.minBackoff = b.minBackoff;
    this.maxBackoff = b.maxBackoff;
    this.maxPendingTasks = b.maxPendingTasks;
    this.requestTimeout = b.requestTimeout;
    this.httpClient =
        b.httpClient != null
            ? b.httpClient
            : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    this.clock = b.clock;
    AtomicInteger threadNumber = new AtomicInteger();
    this.dispatcher =
        new ScheduledThreadPoolExecutor(
            b.dispatchers,
            r -> {
              Thread t = new Thread(r, "servo-local-queue-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.dispatcher.setRemoveOnCancelPolicy(true);
    int remembered = b.rememberedNames;
    this.seenNames =
        new LinkedHashMap<>(16, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > remembered;
          }
        };
  }

  /** A queue delivering to {@code <workerUrl>/execute} with the default settings. */
  public static LocalTaskQueue create(URI workerUrl) {
    return builder(workerUrl).build();
  }

  public static Builder builder(URI workerUrl) {
    return new Builder(workerUrl);
  }

  /** The URL tasks are POSTed to. */
  public URI target() {
    return target;
  }

  @Override
  public String name() {
    return queueName;
  }

  /**
   * @throws QueueException (retryable) when the queue is closed or holds {@code maxPendingTasks}
   *     undelivered tasks
   */
  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    Objects.requireNonNull(task, "task");
    if (closed) {
      throw new QueueException("the local task queue is closed; the task stays in the outbox", true, null);
    }
    synchronized (seenNames) {
      if (seenNames.containsKey(task.name())) {
        log.debug("task {} was enqueued before; dropping the duplicate", task.name());
        return;
      }
      if (pending.get() >= maxPendingTasks) {
        throw new QueueException(
            "the local task queue holds " + maxPendingTasks
                + " undelivered tasks; is the worker at " + target + " running?", true, null);
      }
      seenNames.put(task.name(), Boolean.TRUE);
      pending.incrementAndGet();
    }
    schedule(new Delivery(task, 0, 0, null), Duration.ZERO);
  }

  /** Stops the dispatcher; tasks not yet delivered are dropped (they were logged as accepted). */
  @Override
  public void close() {
    closed = true;
    dispatcher.shutdownNow();
    try {
      dispatcher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void schedule(Delivery delivery, Duration delay) {
    Instant eta = clock.instant().plus(delay);
    try {
      dispatcher.schedule(
          () -> deliver(delivery, eta), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet();
      log.warn("local task queue closed before task {} was delivered", delivery.task.name());
    }
  }

  private void deliver(Delivery d, Instant eta) {
    if (closed) {
      return;
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target)
            .timeout(requestTimeout)
            .POST(HttpRequest.BodyPublishers.ofByteArray(d.task.body()));
    d.task.headers().forEach((name, value) -> {
      if (!RESTRICTED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        request.header(name, value);
      }
    });
    request
        .header("User-Agent", TaskHeaders.USER_AGENT_VALUE)
        .header(TaskHeaders.QUEUE_NAME, queueName)
        .header(TaskHeaders.TASK_NAME, d.task.name())
        .header(TaskHeaders.RETRY_COUNT, Integer.toString(d.retries))
        .header(TaskHeaders.EXECUTION_COUNT, Integer.toString(d.responses))
        .header(TaskHeaders.ETA, eta(eta));
    if (d.previousResponse != null) {
      request.header(TaskHeaders.PREVIOUS_RESPONSE, Integer.toString(d.previousResponse));
    }
    int status;
    Optional<Duration> retryAfter = Optional.empty();
    String failure;
    try {
      HttpResponse<Void> response = httpClient.send(request.build(), HttpResponse.BodyHandlers.discarding());
      status = response.statusCode();
      if (status >= 200 && status < 300) {
        pending.decrementAndGet();
        log.debug("task {} delivered (HTTP {}, attempt {})", d.task.name(), status, d.retries + 1);
        return;
      }
      failure = "HTTP " + status;
      if (status == 429 || status == 503) {
        retryAfter = response.headers().firstValue("Retry-After").flatMap(this::parseRetryAfter);
      }
    } catch (IOException e) {
      status = -1;
      failure = "connection failed: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    boolean retryable = status < 0 || status >= 500 || status == 429 || status == 408;
    int attempts = d.retries + 1;
    if (!retryable) {
      pending.decrementAndGet();
      log.warn("task {} refused by the worker with {}; not retrying (a 4xx other than 408/429 is final)",
          d.task.name(), failure);
      return;
    }
    if (attempts >= maxAttempts) {
      pending.decrementAndGet();
      log.warn("task {} failed {} times, last with {}; giving up (SERVO_LOCAL_QUEUE_MAX_ATTEMPTS={})",
          d.task.name(), attempts, failure, maxAttempts);
      return;
    }
    Duration delay = backoff(d.retries);
    if (retryAfter.isPresent() && retryAfter.get().compareTo(delay) > 0) {
      delay = retryAfter.get();
    }
    log.info("task {} attempt {} failed with {}; retrying in {} ms", d.task.name(), attempts, failure,
        delay.toMillis());
    Delivery next = new Delivery(d.task, d.retries + 1, d.responses + (status < 0 ? 0 : 1),
        status < 0 ? d.previousResponse : Integer.valueOf(status));
    schedule(next, delay);
  }

  /** min · 2^retries capped at max, then "equal jitter": between half and all of it. */
  private Duration backoff(int retries) {
    long min = minBackoff.toNanos();
    long max = maxBackoff.toNanos();
    long capped = max;
    if (retries < 62) {
      long exp = min << retries;
      if ((exp >> retries) == min && exp < max) { // no overflow and below the cap
        capped = exp;
      }
    }
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    return Duration.ofNanos(Math.max(min, jittered));
  }

  private Optional<Duration> parseRetryAfter(String value) {
    Duration d;
    try {
      d = Duration.ofSeconds(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        d = Duration.between(clock.instant(), at);
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
    if (d.isNegative()) {
      return Optional.of(Duration.ZERO);
    }
    return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
  }

  /** Seconds since the epoch with a fraction, as Cloud Tasks writes {@code X-CloudTasks-TaskETA}. */
  static String eta(Instant eta) {
    return String.format(Locale.ROOT, "%d.%06d", eta.getEpochSecond(), eta.getNano() / 1000);
  }

  /** One pending delivery: the retries so far and the responses received so far. */
  private record Delivery(QueuedTask task, int retries, int responses, Integer previousResponse) {}

  /** Settings of a {@link LocalTaskQueue}; the defaults suit local development. */
  public static final class Builder {
    private final URI workerUrl;
    private String queueName = "servo-local";
    private int maxAttempts = 10;
    private Duration minBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private int dispatchers = 4;
    private int rememberedNames = 100_000;
    private int maxPendingTasks = 10_000;
    private Duration requestTimeout = Duration.ofMinutes(10);
    private HttpClient httpClient;
    private Clock clock = Clock.systemUTC();

    private Builder(URI workerUrl) {
      this.workerUrl = Objects.requireNonNull(workerUrl, "workerUrl");
      if (!"http".equals(workerUrl.getScheme()) && !"https".equals(workerUrl.getScheme())) {
        throw new IllegalArgumentException("workerUrl must be an http:// or https:// URL, was " + workerUrl);
      }
    }

    /** {@code X-CloudTasks-QueueName}; default {@code servo-local}. */
    public Builder queueName(String value) {
      this.queueName = Objects.requireNonNull(value, "queueName");
      return this;
    }

    /** Deliveries tried per task before giving up, at least 1; default 10. */
    public Builder maxAttempts(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, was " + value);
      }
      this.maxAttempts = value;
      return this;
    }

    /** Backoff before the first retry (and the least ever waited); default 100 ms. */
    public Builder minBackoff(Duration value) {
      Objects.requireNonNull(value, "minBackoff");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("minBackoff must be positive, was " + value);
      }
      this.minBackoff = value;
      return this;
    }

    /** Upper bound of the exponential backoff (a Retry-After may ask for longer); default 60 s. */
    public Builder maxBackoff(Duration value) {
      Objects.requireNonNull(value, "maxBackoff");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("maxBackoff must be positive, was " + value);
      }
      this.maxBackoff = value;
      return this;
    }

    /** Concurrent deliveries; default 4. */
    public Builder dispatchers(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("dispatchers must be at least 1, was " + value);
      }
      this.dispatchers = value;
      return this;
    }

    /** How many task names are remembered for deduplication; default 100,000. */
    public Builder rememberedNames(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("rememberedNames must be at least 1, was " + value);
      }
      this.rememberedNames = value;
      return this;
    }

    /** Undelivered tasks held before enqueue refuses (retryably); default 10,000. */
    public Builder maxPendingTasks(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxPendingTasks must be at least 1, was " + value);
      }
      this.maxPendingTasks = value;
      return this;
    }

    /** How long one delivery may take (Cloud Tasks' dispatch deadline); default 10 min. */
    public Builder requestTimeout(Duration value) {
      this.requestTimeout = Objects.requireNonNull(value, "requestTimeout");
      return this;
    }

    /** The HTTP client to deliver with (one shared client per process); default a new HTTP/1.1 client. */
    public Builder httpClient(HttpClient value) {
      this.httpClient = Objects.requireNonNull(value, "httpClient");
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public LocalTaskQueue build() {
      if (minBackoff.compareTo(maxBackoff) > 0) {
        throw new IllegalArgumentException(
            "minBackoff (" + minBackoff + ") must not exceed maxBackoff (" + maxBackoff + ")");
      }
      return new LocalTaskQueue(this);
    }
  }
}
