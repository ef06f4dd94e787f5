package io.servo.queue.cloudtasks;

import com.google.api.core.ApiFuture;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.api.gax.rpc.UnaryCallSettings;
import com.google.cloud.tasks.v2.CloudTasksClient;
import com.google.cloud.tasks.v2.CloudTasksSettings;
import com.google.cloud.tasks.v2.CreateTaskRequest;
import com.google.cloud.tasks.v2.HttpMethod;
import com.google.cloud.tasks.v2.HttpRequest;
import com.google.cloud.tasks.v2.OidcToken;
import com.google.cloud.tasks.v2.Task;
import com.google.protobuf.ByteString;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannelBuilder;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.settings.SettingsException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TaskQueue} on Google Cloud Tasks. Each task becomes an HTTP target task: a POST of the
 * exact body bytes and the task's headers to {@code GCP_WORKER_URL/execute}, with an OIDC token
 * Cloud Tasks mints for {@code GCP_SERVICE_ACCOUNT_EMAIL} and the configured audience.
 *
 * <p>The Cloud Tasks task id is the {@link QueuedTask#name()}, so Cloud Tasks itself deduplicates:
 * a second CreateTask with the same name (a retry after a lost response, or a second relay of the
 * same outbox row) gets {@code ALREADY_EXISTS}, which this queue treats as success.
 *
 * <p>Transient failures ({@link #RETRYABLE_CODES}) are retried by the client library (gax) with
 * the CreateTask {@link RetrySettings}: {@link #DEFAULT_RETRY_SETTINGS} unless the builder is given
 * others. A retry after a lost response finds the task created and gets {@code ALREADY_EXISTS},
 * which ends the call as a success like any duplicate.
 *
 * <p>Create one with {@link #create(CloudTasksConfig)} (Application Default Credentials, or no
 * credentials and plaintext when {@code SERVO_CLOUD_TASKS_ENDPOINT} is set), or with {@link
 * #builder(CloudTasksConfig)} to pass client settings, retry settings or gRPC client interceptors.
 */
public final class CloudTasksQueue implements TaskQueue {
  private static final Logger log = LoggerFactory.getLogger(CloudTasksQueue.class);
  /** Cloud Tasks' rule for task ids. */
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,500}");

  /** Codes worth retrying at once: the service or the network hiccupped, nothing is wrong with us. */
  public static final Set<StatusCode.Code> RETRYABLE_CODES = Set.of(
      StatusCode.Code.UNAVAILABLE,
      StatusCode.Code.DEADLINE_EXCEEDED,
      StatusCode.Code.RESOURCE_EXHAUSTED,
      StatusCode.Code.INTERNAL);

  /**
   * CreateTask's retries: at most 5 attempts, the delay between them from 250 ms doubling to at most
   * 4 s (gax jitters each delay, so many orchestrator instances do not retry in lockstep), 30 s in
   * all, each attempt bounded by 10 s.
   */
  public static final RetrySettings DEFAULT_RETRY_SETTINGS = RetrySettings.newBuilder()
      .setMaxAttempts(5)
      .setInitialRetryDelayDuration(Duration.ofMillis(250))
      .setRetryDelayMultiplier(2.0)
      .setMaxRetryDelayDuration(Duration.ofSeconds(4))
      .setTotalTimeoutDuration(Duration.ofSeconds(30))
      .setInitialRpcTimeoutDuration(Duration.ofSeconds(10))
      .setRpcTimeoutMultiplier(1.0)
      .setMaxRpcTimeoutDuration(Duration.ofSeconds(10))
      .build();

  /** A single attempt, bounded like each of {@link #DEFAULT_RETRY_SETTINGS}'s: no retries. */
  public static final RetrySettings NO_RETRIES = DEFAULT_RETRY_SETTINGS.toBuilder()
      .setMaxAttempts(1)
      .setTotalTimeoutDuration(DEFAULT_RETRY_SETTINGS.getMaxRpcTimeoutDuration())
      .build();

  private final CloudTasksConfig config;
  private final CloudTasksClient client;
  private final RetrySettings retrySettings;
  private final Set<StatusCode.Code> retryableCodes;
  private final CreateTaskFailures failures;
  private final String queuePath;

  private CloudTasksQueue(CloudTasksConfig config, CloudTasksClient client) {
    this.config = config;
    this.client = client;
    UnaryCallSettings<CreateTaskRequest, Task> createTask = client.getSettings().createTaskSettings();
    this.retrySettings = createTask.getRetrySettings();
    this.retryableCodes = createTask.getRetryableCodes();
    this.failures = new CreateTaskFailures(config);
    this.queuePath = config.queuePath();
  }

  /**
   * A queue with the default retry policy and a client built from {@code config}.
   *
   * @throws io.servo.settings.SettingsException when the client cannot be created (e.g. no credentials)
   */
  public static CloudTasksQueue create(CloudTasksConfig config) {
    return builder(config).build();
  }

  /** A queue whose client uses {@code settings} as given (apart from CreateTask's retries). */
  public static CloudTasksQueue create(CloudTasksConfig config, CloudTasksSettings settings) {
    return builder(config).setSettings(settings).build();
  }

  public static Builder builder(CloudTasksConfig config) {
    return new Builder(config);
  }

  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    Objects.requireNonNull(task, "task");
    String taskId = task.name();
    if (!TASK_ID.matcher(taskId).matches()) {
      throw new QueueException(
          "task name '" + taskId + "' cannot be a Cloud Tasks task id: use 1-500 letters, digits, "
              + "'-' or '_'",
          false,
          null);
    }
    CreateTaskRequest request =
        CreateTaskRequest.newBuilder().setParent(queuePath).setTask(toTask(taskId, task)).build();
    long start = System.nanoTime();
    // The call's future rather than the blocking createTask(request): gax waits for it
    // uninterruptibly, and an orchestrator shutting down should not sit out the retries.
    ApiFuture<Task> call = client.createTaskCallable().futureCall(request);
    try {
      call.get();
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw failures.interrupted(taskId);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof ApiException failure)) {
        throw new QueueException("Cloud Tasks CreateTask for task " + taskId + " on queue " + queuePath
            + " failed: " + e.getCause() + "; try again later", true, e.getCause());
      }
      StatusCode.Code code = failure.getStatusCode().getCode();
      if (code == StatusCode.Code.ALREADY_EXISTS) {
        log.debug("task {} already exists in {}: enqueued before", taskId, queuePath);
        return;
      }
      if (retryableCodes.contains(code)) {
        throw failures.exhausted(taskId, failure, retrySettings, Duration.ofNanos(System.nanoTime() - start));
      }
      throw failures.permanent(taskId, failure);
    }
  }

  /** {@code GCP_QUEUE_NAME}: what workers see in {@code X-CloudTasks-QueueName}. */
  @Override
  public String name() {
    return config.queueName();
  }

  /** {@code projects/P/locations/L/queues/Q}. */
  public String queuePath() {
    return queuePath;
  }

  @Override
  public void close() {
    client.close();
    try {
      client.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Task toTask(String taskId, QueuedTask task) {
    HttpRequest http = HttpRequest.newBuilder()
        .setHttpMethod(HttpMethod.POST)
        .setUrl(config.executeUrl())
        .putAllHeaders(task.headers())
        .setBody(ByteString.copyFrom(task.body()))
        .setOidcToken(OidcToken.newBuilder()
            .setServiceAccountEmail(config.serviceAccountEmail())
            .setAudience(config.oidcAudience()))
        .build();
    return Task.newBuilder().setName(queuePath + "/tasks/" + taskId).setHttpRequest(http).build();
  }

  /** Options beyond the {@link CloudTasksConfig}. */
  public static final class Builder {
    private final CloudTasksConfig config;
    private CloudTasksSettings settings;
    private RetrySettings retrySettings = DEFAULT_RETRY_SETTINGS;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();

    private Builder(CloudTasksConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Client settings to use instead of those derived from the config (endpoint, credentials,
     * transport). CreateTask's retry settings and retryable codes are still replaced, see {@link
     * #setRetrySettings(RetrySettings)}.
     */
    public Builder setSettings(CloudTasksSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * How gax retries CreateTask on {@link #RETRYABLE_CODES} (default {@link
     * #DEFAULT_RETRY_SETTINGS}; {@link #NO_RETRIES} for one attempt).
     */
    public Builder setRetrySettings(RetrySettings retrySettings) {
      this.retrySettings = Objects.requireNonNull(retrySettings, "retrySettings");
      return this;
    }

    /**
     * A gRPC client interceptor around every Cloud Tasks call (e.g. OpenTelemetry's gRPC client
     * instrumentation). As with {@link io.grpc.ClientInterceptors#intercept(io.grpc.Channel,
     * List)}, the interceptor added last runs first.
     */
    public Builder addClientInterceptor(ClientInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * @throws io.servo.settings.SettingsException when the client cannot be created (e.g. no credentials)
     */
    public CloudTasksQueue build() {
      CloudTasksSettings.Builder builder;
      if (settings != null) {
        builder = settings.toBuilder();
        if (!interceptors.isEmpty()) {
          builder.setTransportChannelProvider(
              new InterceptingChannelProvider(settings.getTransportChannelProvider(), interceptors));
        }
      } else {
        builder = settingsFromConfig();
      }
      builder.createTaskSettings().setRetryableCodes(RETRYABLE_CODES).setRetrySettings(retrySettings);
      try {
        return new CloudTasksQueue(config, CloudTasksClient.create(builder.build()));
      } catch (IOException e) {
        throw new SettingsException(CloudTasksConfig.SUBJECT, List.of(new SettingsException.Problem(
            "GOOGLE_APPLICATION_CREDENTIALS",
            "cannot create the Cloud Tasks client for queue " + config.queuePath() + ": " + e.getMessage()
                + ". On Cloud Run the service's identity is used; elsewhere run gcloud auth "
                + "application-default login or set GOOGLE_APPLICATION_CREDENTIALS; for an emulator set "
                + CloudTasksConfig.SERVO_CLOUD_TASKS_ENDPOINT + "=host:port")), e);
      }
    }

    private CloudTasksSettings.Builder settingsFromConfig() {
      CloudTasksSettings.Builder builder = CloudTasksSettings.newBuilder();
      InstantiatingGrpcChannelProvider.Builder channel = CloudTasksSettings.defaultGrpcTransportProviderBuilder();
      List<ClientInterceptor> chain = List.copyOf(interceptors);
      if (!chain.isEmpty()) {
        channel.setInterceptorProvider(() -> chain);
      }
      config.emulatorEndpoint().ifPresent(endpoint -> {
        builder.setEndpoint(endpoint);
        builder.setCredentialsProvider(NoCredentialsProvider.create());
        channel.setChannelConfigurator(ManagedChannelBuilder::usePlaintext);
      });
      // Otherwise the builder's default credentials provider: Application Default Credentials.
      return builder.setTransportChannelProvider(channel.build());
    }
  }
}
