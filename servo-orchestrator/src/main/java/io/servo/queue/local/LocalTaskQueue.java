package io.servo.queue.local;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskHeaders;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskPayloadCodec;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
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
 *
 * <p><b>Concurrency.</b> Up to {@linkplain Builder#maxConcurrentDispatches the concurrency} deliveries
 * are in flight at once, like Cloud Tasks' {@code max_concurrent_dispatches}. A delivery in flight
 * holds no thread (the request is sent asynchronously; a worker answers {@code /execute} only when
 * the execution ends, which may take hours), so deliveries never wait on each other below that
 * limit. A task that is due while the limit is reached waits for a <em>dispatch slot</em>: {@link
 * #dispatchWait} says so for its execution, and the queue logs at INFO when deliveries start and
 * stop waiting. The task's {@code X-CloudTasks-TaskETA} stays the time it became due, so the
 * worker's queue wait includes the time spent waiting for a slot.
 *
 * <p><b>Fairness between tenants</b> (the tenant is read from the task's payload). When a slot is
 * free, it goes to the waiting tenant with the fewest deliveries in flight; between tenants with
 * as many, to the one served longest ago; within a tenant, tasks go in the order they became due.
 * So a tenant's task never waits behind another tenant's backlog: a tenant with nothing in flight
 * gets the next slot that frees, and tenants flooding the queue together share the slots evenly.
 * The queue does not preempt: when one tenant's executions hold every slot, another tenant's task
 * waits until the first of them ends. A tenant that must never wait on others gets its own worker
 * (and with it its own queue), see {@code SERVO_TENANT_<TENANT>_WORKER_URL}.
 */
public final class LocalTaskQueue implements TaskQueue {
  private static final Logger log = LoggerFactory.getLogger(LocalTaskQueue.class);
  /** Headers {@link HttpClient} sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED_HEADERS =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "user-agent");
  private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
  /** The default of {@link Builder#maxConcurrentDispatches}: what a worker with default settings runs at once. */
  public static final int DEFAULT_MAX_CONCURRENT_DISPATCHES = 8;
  /** The largest {@link Builder#maxConcurrentDispatches}: Cloud Tasks' default. */
  public static final int MAX_CONCURRENT_DISPATCHES = 1000;
  /** The tenant of a task whose body is not a Servo payload (it still gets delivered). */
  private static final String UNKNOWN_TENANT = "";

  private final URI target;
  private final String queueName;
  private final int maxAttempts;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final int maxPendingTasks;
  private final int maxConcurrentDispatches;
  private final Duration requestTimeout;
  private final HttpClient httpClient;
  private final Clock clock;
  /** Backoff timers and the handling of answers; never blocks on a delivery. */
  private final ScheduledThreadPoolExecutor executor;
  private final Map<String, Boolean> seenNames;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile boolean closed;

  private final Object lock = new Object();
  /** Due deliveries waiting for a slot, by tenant, in the order the tenants started waiting. */
  private final Map<String, ArrayDeque<Delivery>> waitingByTenant = new LinkedHashMap<>();
  private final Map<String, Delivery> waitingByExecution = new HashMap<>();
  private final Map<String, Integer> inFlightByTenant = new HashMap<>();
  /** When each tenant was last given a slot, as a value of {@link #served}. */
  private final Map<String, Long> lastServed = new HashMap<>();
  private long served;
  private int inFlight;
  private int waiting;
  /** Since when deliveries wait for a slot; null while none does. */
  private Instant waitingSince;

  private LocalTaskQueue(Builder b) {
    String base = b.workerUrl.toString();
    this.target = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/execute");
    this.queueName = b.queueName;
    this.maxAttempts = b.maxAttempts;
    this.minBackoff = b.minBackoff;
    this.maxBackoff = b.maxBackoff;
    this.maxPendingTasks = b.maxPendingTasks;
    this.maxConcurrentDispatches = b.maxConcurrentDispatches;
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
    this.executor =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "servo-local-queue-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.executor.setRemoveOnCancelPolicy(true);
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
    String tenant = UNKNOWN_TENANT;
    String executionId = null;
    try {
      TaskPayloadCodec.Header header = TaskPayloadCodec.readHeader(task.body());
      tenant = header.tenant();
      executionId = header.executionId();
    } catch (RuntimeException e) {
      log.debug("task {} carries no Servo payload header ({}); it shares the unknown tenant's turn",
          task.name(), e.getMessage());
    }
    schedule(new Delivery(task, tenant, executionId, 0, 0, null, null), Duration.ZERO);
  }

  /**
   * Whether the task of this execution is due but waits for a dispatch slot, and how busy the queue
   * is; empty when it is not in this queue, is in flight, or waits for a retry's backoff.
   */
  public Optional<DispatchWait> dispatchWait(String executionId) {
    Objects.requireNonNull(executionId, "executionId");
    synchronized (lock) {
      Delivery d = waitingByExecution.get(executionId);
      return d == null ? Optional.empty()
          : Optional.of(new DispatchWait(d.eta, inFlight, maxConcurrentDispatches, waiting));
    }
  }

  /** Stops delivering; tasks not yet delivered are dropped (they were logged as accepted). */
  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
    synchronized (lock) {
      waitingByTenant.clear();
      waitingByExecution.clear();
      waiting = 0;
    }
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Makes the delivery due after {@code delay}; its ETA is that moment, whenever it gets a slot. */
  private void schedule(Delivery delivery, Duration delay) {
    Delivery due = delivery.withEta(clock.instant().plus(delay));
    if (delay.isZero() || delay.isNegative()) {
      ready(due);
      return;
    }
    try {
      executor.schedule(() -> ready(due), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet();
      log.warn("local task queue closed before task {} was delivered", delivery.task.name());
    }
  }

  private void ready(Delivery d) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      waitingByTenant.computeIfAbsent(d.tenant, t -> new ArrayDeque<>()).add(d);
      if (d.executionId != null) {
        waitingByExecution.put(d.executionId, d);
      }
      waiting++;
      if (inFlight >= maxConcurrentDispatches && log.isDebugEnabled()) {
        log.debug("task {} of tenant '{}' waits for a dispatch slot: {} deliveries in flight, concurrency {}",
            d.task.name(), d.tenant, inFlight, maxConcurrentDispatches);
      }
    }
    dispatch();
  }

  /** Starts as many waiting deliveries as there are free slots. */
  private void dispatch() {
    List<Delivery> starting = new ArrayList<>();
    String transition = null;
    synchronized (lock) {
      while (!closed && inFlight < maxConcurrentDispatches && !waitingByTenant.isEmpty()) {
        String tenant = nextTenant();
        ArrayDeque<Delivery> tenantQueue = waitingByTenant.get(tenant);
        Delivery d = tenantQueue.poll();
        if (tenantQueue.isEmpty()) {
          waitingByTenant.remove(tenant);
        }
        if (d.executionId != null) {
          waitingByExecution.remove(d.executionId, d);
        }
        waiting--;
        inFlight++;
        inFlightByTenant.merge(tenant, 1, Integer::sum);
        lastServed.put(tenant, ++served);
        starting.add(d);
      }
      Instant now = clock.instant();
      if (waiting > 0 && waitingSince == null) {
        waitingSince = now;
        transition = "deliveries wait for a dispatch slot: " + inFlight + " in flight, concurrency "
            + maxConcurrentDispatches + ", " + waiting + " waiting (SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES)";
      } else if (waiting == 0 && waitingSince != null) {
        transition = "no delivery waits for a dispatch slot any more (some waited during the last "
            + Duration.between(waitingSince, now).toMillis() + " ms)";
        waitingSince = null;
      }
    }
    if (transition != null) {
      log.info("queue {}: {}", queueName, transition);
    }
    for (Delivery d : starting) {
      send(d);
    }
  }

  /** The waiting tenant with the fewest deliveries in flight; on a tie, the one served longest ago. */
  private String nextTenant() {
    String best = null;
    int bestInFlight = Integer.MAX_VALUE;
    long bestServed = Long.MAX_VALUE;
    for (String tenant : waitingByTenant.keySet()) {
      int n = inFlightByTenant.getOrDefault(tenant, 0);
      long s = lastServed.getOrDefault(tenant, -1L);
      if (n < bestInFlight || (n == bestInFlight && s < bestServed)) {
        best = tenant;
        bestInFlight = n;
        bestServed = s;
      }
    }
    return best;
  }

  private void send(Delivery d) {
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
        .header(TaskHeaders.ETA, eta(d.eta));
    if (d.previousResponse != null) {
      request.header(TaskHeaders.PREVIOUS_RESPONSE, Integer.toString(d.previousResponse));
    }
    try {
      httpClient.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
          .handleAsync((response, error) -> {
            answered(d, response, error);
            return null;
          }, executor);
    } catch (RejectedExecutionException e) {
      // closed while sending: the task is dropped like every other undelivered one
    } catch (RuntimeException e) {
      // A header value the HTTP client refuses: sending again cannot help.
      released(d);
      pending.decrementAndGet();
      log.warn("task {} cannot be sent ({}); dropping it", d.task.name(), e.toString());
      dispatch();
    }
  }

  /** Frees the delivery's slot. */
  private void released(Delivery d) {
    synchronized (lock) {
      inFlight--;
      int left = inFlightByTenant.merge(d.tenant, -1, Integer::sum);
      if (left <= 0) {
        inFlightByTenant.remove(d.tenant);
        if (!waitingByTenant.containsKey(d.tenant)) {
          lastServed.remove(d.tenant);
        }
      }
    }
  }

  private void answered(Delivery d, HttpResponse<Void> response, Throwable error) {
    released(d);
    try {
      outcome(d, response, error);
    } finally {
      dispatch();
    }
  }

  private void outcome(Delivery d, HttpResponse<Void> response, Throwable error) {
    int status;
    Optional<Duration> retryAfter = Optional.empty();
    String failure;
    if (response != null) {
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
    } else {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      status = -1;
      failure = (cause instanceof IOException ? "connection failed: " : "delivery failed: ")
          + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
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
    if (closed) {
      return;
    }
    Duration delay = backoff(d.retries);
    if (retryAfter.isPresent() && retryAfter.get().compareTo(delay) > 0) {
      delay = retryAfter.get();
    }
    log.info("task {} attempt {} failed with {}; retrying in {} ms", d.task.name(), attempts, failure,
        delay.toMillis());
    schedule(d.retry(status < 0 ? null : status), delay);
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

  /**
   * One pending delivery: whose it is, the retries and responses so far, and when it became (or
   * becomes) due.
   */
  private record Delivery(QueuedTask task, String tenant, String executionId, int retries,
      int responses, Integer previousResponse, Instant eta) {
    Delivery withEta(Instant value) {
      return new Delivery(task, tenant, executionId, retries, responses, previousResponse, value);
    }

    /** The next attempt after an answer with {@code status} (null: no answer, a connection failure). */
    Delivery retry(Integer status) {
      return new Delivery(task, tenant, executionId, retries + 1, responses + (status == null ? 0 : 1),
          status == null ? previousResponse : status, null);
    }
  }

  /** Settings of a {@link LocalTaskQueue}; the defaults suit local development. */
  public static final class Builder {
    private final URI workerUrl;
    private String queueName = "servo-local";
    private int maxAttempts = 10;
    private Duration minBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private int maxConcurrentDispatches = DEFAULT_MAX_CONCURRENT_DISPATCHES;
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

    /**
     * Deliveries in flight at once, like Cloud Tasks' {@code max_concurrent_dispatches}, 1 to
     * {@value #MAX_CONCURRENT_DISPATCHES}; default {@value #DEFAULT_MAX_CONCURRENT_DISPATCHES}, the
     * worker's default {@code SERVO_WORKER_THREADS}.
     */
    public Builder maxConcurrentDispatches(int value) {
      if (value < 1 || value > MAX_CONCURRENT_DISPATCHES) {
        throw new IllegalArgumentException("maxConcurrentDispatches must be from 1 to "
            + MAX_CONCURRENT_DISPATCHES + ", was " + value);
      }
      this.maxConcurrentDispatches = value;
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
