package io.servo.orchestrator;

import io.opentelemetry.api.OpenTelemetry;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskSignature;
import io.servo.core.tenant.WorkerRoute;
import io.servo.core.workflow.Workflow;
import io.servo.core.http.JsonHttpServer;
import io.servo.orchestrator.api.ApiRoutes;
import io.servo.orchestrator.api.TraceViews;
import io.servo.orchestrator.api.TenantAuthenticator;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.execution.StoreExecutionLauncher;
import io.servo.orchestrator.execution.TraceContextSource;
import io.servo.orchestrator.outbox.OutboxRelay;
import io.servo.queue.local.DispatchWait;
import io.servo.queue.local.LocalTaskQueue;
import io.servo.orchestrator.sweeper.ExecutionSweeper;
import io.servo.orchestrator.tracing.OrchestratorTracing;
import io.servo.settings.SettingsException;
import io.servo.storage.ServoStorage;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator service: the HTTP API, the outbox relay and (for {@code SERVO_QUEUE=local}) the
 * embedded task queue, wired from an {@link OrchestratorConfig}.
 *
 * <pre>{@code
 * OrchestratorConfig config = OrchestratorConfig.fromEnvironment();
 * try (ServoStorage storage = Storage.open(config.databaseUrl());
 *     OrchestratorServer server = OrchestratorServer.builder(config, storage).build()) {
 *   server.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>The caller owns the storage and any queue it passes in; the server owns (and closes) the HTTP
 * server, the relay and a local queue it created itself.
 */
public final class OrchestratorServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrchestratorServer.class);

  private final OrchestratorConfig config;
  private final TaskQueue queue;
  private final boolean ownsQueue;
  /** The queues to tenants' own workers, which this server created and closes. */
  private final List<TaskQueue> routeQueues = new ArrayList<>();
  /** The local queues this server created (shared and tenants' own), unwrapped. */
  private final List<LocalTaskQueue> localQueues = new ArrayList<>();
  private final OutboxRelay relay;
  private final ExecutionSweeper sweeper;
  private final io.servo.orchestrator.tracing.KeptTraces keptTraces;
  private final JsonHttpServer httpServer;
  private final Duration shutdownGrace;
  private boolean started;
  private boolean closed;

  private OrchestratorServer(Builder b) {
    this.config = b.config;
    byte[] secret = b.hmacSecret != null ? b.hmacSecret : b.config.hmacSecret().orElse(null);
    if (secret == null) {
      // Only reachable in development (the config requires a secret elsewhere).
      secret = new byte[48];
      new SecureRandom().nextBytes(secret);
      log.warn("SERVO_HMAC_SECRET is not set: signing tasks with a random key of this process;"
          + " a worker in another process will reject them. Set SERVO_HMAC_SECRET to the worker's key.");
    }
    TaskSignature signature = TaskSignature.create(secret, b.clock, TaskSignature.DEFAULT_WINDOW);

    OrchestratorTracing tracing = OrchestratorTracing.create(b.openTelemetry, config.traceInbound(),
        b.storage.executions(), b.clock);
    this.keptTraces = tracing.keptTraces();
    TaskQueue baseQueue = b.taskQueue;
    this.ownsQueue = baseQueue == null;
    if (baseQueue == null) {
      if (config.queue() != OrchestratorConfig.QueueBackend.LOCAL) {
        throw SettingsException.of(OrchestratorConfig.SUBJECT, OrchestratorConfig.SERVO_QUEUE,
            "SERVO_QUEUE is cloudtasks but no Cloud Tasks queue was passed to the orchestrator:"
                + " start it with the servo command (./servo orchestrator), which builds that queue");
      }
      baseQueue = localQueue(b, tracing, config.workerUrl());
    }
    this.queue = baseQueue;
    OutboxRelay.Builder relayBuilder = OutboxRelay.builder(b.storage.outbox(), b.queueDecorator.apply(queue), signature)
        .clock(b.clock)
        .trace(tracing.handOverTrace());
    Set<String> tenants = config.apiTokens().isEmpty() ? Set.of(Workflow.DEFAULT_TENANT) : config.apiTokens().keySet();
    for (String tenant : tenants) {
      Optional<WorkerRoute> route = config.tenants().route(tenant);
      if (route.isPresent()) {
        TaskQueue routeQueue = b.routeQueues != null ? b.routeQueues.apply(route.get())
            : localQueue(b, tracing, route.get().url());
        routeQueues.add(routeQueue);
        relayBuilder.route(tenant, b.queueDecorator.apply(routeQueue), TaskSignature.create(
            route.get().hmacSecret().getBytes(StandardCharsets.UTF_8), b.clock, TaskSignature.DEFAULT_WINDOW));
        log.info("tenant {} has its own worker: its tasks go to {}", tenant, route.get().url());
      }
    }
    this.relay = b.relay.apply(relayBuilder).build();
    this.sweeper = b.sweeper.apply(ExecutionSweeper.builder(b.storage)
            .clock(b.clock)
            .redeliveryTrace(tracing.redeliveryTrace())
            .lostAttemptSpans(tracing.lostAttemptSpans())
            .pendingWithoutTask(b.storage.executions()::pendingWithoutTask)
            .afterEnqueue(relay::kick))
        .build();
    TraceContextSource traceContext =
        b.traceContext == TraceContextSource.NONE ? tracing.traceContext() : b.traceContext;
    ExecutionLauncher launcher = tracing.wrapLauncher(
        b.launcherDecorator.apply(StoreExecutionLauncher.create(b.storage, traceContext, b.clock)));
    ApiRoutes api = ApiRoutes.create(TenantAuthenticator.create(config.apiTokens()), config.tenants(), b.storage,
        launcher, relay, config.maxBodyBytes(), b.handOverTimeout, new TraceViews(b.traceLinks, b.traceWaterfall),
        tracing.requestObserver(), this::dispatchWait);
    this.httpServer = JsonHttpServer.builder("orchestrator", api.routes())
        .observer(api.observer())
        .port(config.port())
        .requestLimits(b.workerThreads, b.maxQueuedRequests)
        .build();
    this.shutdownGrace = b.shutdownGrace;
  }

  /**
   * A local queue delivering to {@code workerUrl} (the shared worker's or a tenant's own), traced;
   * remembered so the API can say when a task waits in it.
   */
  private TaskQueue localQueue(Builder b, OrchestratorTracing tracing, URI workerUrl) {
    LocalTaskQueue localQueue = b.localQueue.apply(LocalTaskQueue.builder(workerUrl)
            .maxAttempts(config.localQueueMaxAttempts())
            .maxConcurrentDispatches(config.localQueueMaxConcurrentDispatches())
            .clock(b.clock))
        .build();
    localQueues.add(localQueue);
    return tracing.wrapLocalQueue(localQueue);
  }

  /** Whether the execution's task waits for a dispatch slot in one of this server's local queues. */
  private Optional<DispatchWait> dispatchWait(String executionId) {
    for (LocalTaskQueue localQueue : localQueues) {
      Optional<DispatchWait> wait = localQueue.dispatchWait(executionId);
      if (wait.isPresent()) {
        return wait;
      }
    }
    return Optional.empty();
  }

  /**
   * @param config the settings; its HMAC secret may be replaced with {@link Builder#hmacSecret}
   * @param storage the opened Servo database (the caller closes it after the server)
   */
  public static Builder builder(OrchestratorConfig config, ServoStorage storage) {
    return new Builder(config, storage);
  }

  /**
   * Binds the HTTP port and starts the relay, which at once hands over tasks left in the outbox
   * by an earlier run, and the sweeper, which re-enqueues executions left stuck.
   *
   * @throws UncheckedIOException when the port cannot be bound
   */
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("start() may be called once, before close()");
    }
    httpServer.start();
    started = true;
    relay.start();
    sweeper.start();
    keptTraces.start();
    log.info("orchestrator listening on port {} ({}, queue {} '{}')", port(), config.environment().id(),
        config.queue().id(), queue.name());
  }

  /** The port the API listens on (the bound one when {@code PORT} was 0). */
  public synchronized int port() {
    return httpServer.port();
  }

  /** The queue backend tasks end up in (the one passed in, or the local queue created). */
  public TaskQueue queue() {
    return queue;
  }

  /**
   * Stops taking requests (new ones get 503), waits for those in flight (at most the {@linkplain
   * Builder#shutdownGrace grace}), stops the sweeper and the relay, and closes the local queue if the
   * server created it.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    httpServer.close(shutdownGrace);
    sweeper.close();
    keptTraces.close();
    relay.close();
    if (ownsQueue) {
      queue.close();
    }
    routeQueues.forEach(TaskQueue::close);
  }

  /** Assembles an {@link OrchestratorServer}; everything but the config and storage is optional. */
  public static final class Builder {
    private final OrchestratorConfig config;
    private final ServoStorage storage;
    private TaskQueue taskQueue;
    private Function<WorkerRoute, TaskQueue> routeQueues;
    private byte[] hmacSecret;
    private Clock clock = Clock.systemUTC();
    private TraceContextSource traceContext = TraceContextSource.NONE;
    private UnaryOperator<TaskQueue> queueDecorator = UnaryOperator.identity();
    private UnaryOperator<ExecutionLauncher> launcherDecorator = UnaryOperator.identity();
    private UnaryOperator<OutboxRelay.Builder> relay = UnaryOperator.identity();
    private UnaryOperator<LocalTaskQueue.Builder> localQueue = UnaryOperator.identity();
    private UnaryOperator<ExecutionSweeper.Builder> sweeper = UnaryOperator.identity();
    private Duration handOverTimeout = Duration.ofSeconds(5);
    private int workerThreads = 32;
    private int maxQueuedRequests = 256;
    private OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private Function<String, Optional<String>> traceLinks = traceId -> Optional.empty();
    private BiFunction<String, String, Optional<String>> traceWaterfall = (traceId, tenant) -> Optional.empty();
    private Duration shutdownGrace = Duration.ofSeconds(5);

    private Builder(OrchestratorConfig config, ServoStorage storage) {
      this.config = Objects.requireNonNull(config, "config");
      this.storage = Objects.requireNonNull(storage, "storage");
    }

    /**
     * The queue to hand tasks to (for {@code SERVO_QUEUE=cloudtasks}, the Cloud Tasks queue). The
     * caller keeps ownership. Without one, a {@link LocalTaskQueue} to {@code SERVO_WORKER_URL} is
     * created (only allowed for {@code SERVO_QUEUE=local}).
     */
    public Builder taskQueue(TaskQueue value) {
      this.taskQueue = Objects.requireNonNull(value, "taskQueue");
      return this;
    }

    /**
     * The task-signing key, overriding {@code SERVO_HMAC_SECRET} (the demo and dev commands share a
     * generated key with their in-process worker).
     *
     * @throws IllegalArgumentException when shorter than {@value TaskSignature#MIN_SECRET_BYTES} bytes
     */
    public Builder hmacSecret(byte[] value) {
      Objects.requireNonNull(value, "hmacSecret");
      if (value.length < TaskSignature.MIN_SECRET_BYTES) {
        throw new IllegalArgumentException("hmacSecret must be at least "
            + TaskSignature.MIN_SECRET_BYTES + " bytes, was " + value.length);
      }
      this.hmacSecret = value.clone();
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Traces the orchestrator with this instance (see {@link OrchestratorTracing}): SERVER spans of
     * the API, {@code orchestrator.enqueue_execution}, the payload's trace context and the queue
     * hop. Default {@code OpenTelemetry.noop()}: nothing is traced or injected.
     */
    public Builder openTelemetry(OpenTelemetry value) {
      this.openTelemetry = Objects.requireNonNull(value, "openTelemetry");
      return this;
    }

    /**
     * The link to a trace in a trace UI, by trace id ({@code telemetry.traceLinks()::url}); {@code
     * GET /v1/executions/{id}} shows it as {@code trace_url}. Default: no link.
     */
    public Builder traceLinks(Function<String, Optional<String>> value) {
      this.traceLinks = Objects.requireNonNull(value, "traceLinks");
      return this;
    }

    /**
     * The trace as a terminal waterfall, by trace id, where this process keeps recent traces in
     * memory ({@code servo dev}); {@code GET /v1/executions/{id}?include=trace} shows it as {@code
     * trace_waterfall}. Default: none.
     */
    public Builder traceWaterfall(Function<String, Optional<String>> value) {
      Objects.requireNonNull(value, "traceWaterfall");
      this.traceWaterfall = (traceId, tenant) -> value.apply(traceId);
      return this;
    }

    /**
     * The part of a trace that belongs to a tenant as a terminal waterfall, by trace id and tenant
     * (see {@link io.servo.orchestrator.api.TraceViews}); use this one when several tenants share the
     * process: a caller's {@code traceparent} may name another tenant's trace.
     */
    public Builder traceWaterfall(BiFunction<String, String, Optional<String>> value) {
      this.traceWaterfall = Objects.requireNonNull(value, "traceWaterfall");
      return this;
    }

    /**
     * Builds the queue to a tenant's own worker ({@code SERVO_TENANT_<TENANT>_WORKER_URL}); the
     * server closes it. Default: a local queue delivering to that URL. {@code ./servo orchestrator}
     * passes a Cloud Tasks queue targeting that worker when {@code SERVO_QUEUE=cloudtasks}.
     */
    public Builder routeQueues(Function<WorkerRoute, TaskQueue> value) {
      this.routeQueues = Objects.requireNonNull(value, "routeQueues");
      return this;
    }

    /** How long {@link #close()} waits for requests in flight; default 5 s. */
    public Builder shutdownGrace(Duration value) {
      Objects.requireNonNull(value, "shutdownGrace");
      if (value.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative, was " + value);
      }
      this.shutdownGrace = value;
      return this;
    }

    /**
     * Where new task payloads get their trace context; default none, or the current span's when
     * {@link #openTelemetry} is set.
     */
    public Builder traceContext(TraceContextSource value) {
      this.traceContext = Objects.requireNonNull(value, "traceContext");
      return this;
    }

    /**
     * Wraps the queues the relay hands tasks to (the shared one and tenants' own): the decorator
     * sees each task as the queue gets it, signed and with its trace headers, inside the hand-over's
     * producer span. Tests use it to refuse or capture tasks.
     */
    public Builder queueDecorator(UnaryOperator<TaskQueue> value) {
      this.queueDecorator = Objects.requireNonNull(value, "queueDecorator");
      return this;
    }

    /** Wraps the launcher the API starts executions with; tracing wraps the result. */
    public Builder launcherDecorator(UnaryOperator<ExecutionLauncher> value) {
      this.launcherDecorator = Objects.requireNonNull(value, "launcherDecorator");
      return this;
    }

    /** Adjusts the relay's timing (tests use short delays). */
    public Builder relay(UnaryOperator<OutboxRelay.Builder> value) {
      this.relay = Objects.requireNonNull(value, "relay");
      return this;
    }

    /**
     * Adjusts the stuck-execution sweeper (its interval and thresholds; the query that finds pending
     * executions whose task a queue lost, see {@link io.servo.orchestrator.sweeper.PendingWithoutTask}).
     */
    public Builder sweeper(UnaryOperator<ExecutionSweeper.Builder> value) {
      this.sweeper = Objects.requireNonNull(value, "sweeper");
      return this;
    }

    /** Adjusts the local queue the server creates when no queue is passed in. */
    public Builder localQueue(UnaryOperator<LocalTaskQueue.Builder> value) {
      this.localQueue = Objects.requireNonNull(value, "localQueue");
      return this;
    }

    /** How long {@code POST …/executions} waits for the task to reach the queue; default 5 s. */
    public Builder handOverTimeout(Duration value) {
      Objects.requireNonNull(value, "handOverTimeout");
      if (value.isNegative()) {
        throw new IllegalArgumentException("handOverTimeout must not be negative, was " + value);
      }
      this.handOverTimeout = value;
      return this;
    }

    /** Requests handled at once (default 32) and waiting beyond those (default 256) before 503. */
    public Builder requestLimits(int threads, int queued) {
      if (threads < 1 || queued < 1) {
        throw new IllegalArgumentException("threads and queued must be at least 1");
      }
      this.workerThreads = threads;
      this.maxQueuedRequests = queued;
      return this;
    }

    /**
     * @throws SettingsException when {@code SERVO_QUEUE=cloudtasks} and no queue was given
     */
    public OrchestratorServer build() {
      return new OrchestratorServer(this);
    }
  }
}
