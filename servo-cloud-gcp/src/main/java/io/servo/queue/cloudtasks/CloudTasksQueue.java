package io.servo.queue.cloudtasks;

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
import java.util.concurrent.ThreadLocalRandom;
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
 * <p>Transient failures are retried per {@link EnqueueRetryPolicy}; the client library's own
 * CreateTask retries are switched off so there is one policy, not two multiplied together.
 *
 * <p>Create one with {@link #create(CloudTasksConfig)} (Application Default Credentials, or no
 * credentials and plaintext when {@code SERVO_CLOUD_TASKS_ENDPOINT} is set), or with {@link
 * #builder(CloudTasksConfig)} to pass client settings, a retry policy or gRPC client interceptors.
 */
public final class CloudTasksQueue implements TaskQueue {
  private static final Logger log = LoggerFactory.getLogger(CloudTasksQueue.class);
  /** Cloud Tasks' rule for task ids. */
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,500}");

  private final CloudTasksConfig config;
  private final CloudTasksClient client;
  private final EnqueueRetryPolicy retryPolicy;
  private final CreateTaskFailures failures;
  private final String queuePath;

  private CloudTasksQueue(CloudTasksConfig config, CloudTasksClient client, EnqueueRetryPolicy retryPolicy) {
    this.config = config;
    this.client = client;
    this.retryPolicy = retryPolicy;
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
    long deadline = start + retryPolicy.totalTimeout().toNanos();
    for (int attempt = 1; ; attempt++) {
      ApiException failure;
      try {
        client.createTask(request);
        return;
      } catch (ApiException e) {
        failure = e;
      }
      StatusCode.Code code = failure.getStatusCode().getCode();
      if (code == StatusCode.Code.ALREADY_EXISTS) {
        log.debug("task {} already exists in {}: enqueued before", taskId, queuePath);
        return;
      }
      if (!CreateTaskFailures.TRANSIENT.contains(code)) {
        throw failures.permanent(taskId, failure);
      }
      long delayNanos = jittered(retryPolicy.backoffAfter(attempt));
      if (attempt >= retryPolicy.maxAttempts() || System.nanoTime() + delayNanos >= deadline) {
        throw failures.exhausted(taskId, failure, attempt, Duration.ofNanos(System.nanoTime() - start));
      }
      log.warn("CreateTask {} on {} failed with {} (attempt {}/{}), retrying in {} ms",
          taskId, queuePath, code, attempt, retryPolicy.maxAttempts(), TimeUnit.NANOSECONDS.toMillis(delayNanos));
      try {
        TimeUnit.NANOSECONDS.sleep(delayNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failures.interrupted(taskId, failure);
      }
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

  /** Between half and all of {@code backoff}: spreads retries of many clients apart. */
  private static long jittered(Duration backoff) {
    long nanos = backoff.toNanos();
    return nanos <= 1 ? nanos : nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1);
  }

  /** Options beyond the {@link CloudTasksConfig}. */
  public static final class Builder {
    private final CloudTasksConfig config;
    private CloudTasksSettings settings;
    private EnqueueRetryPolicy retryPolicy = EnqueueRetryPolicy.DEFAULT;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();

    private Builder(CloudTasksConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Client settings to use instead of those derived from the config (endpoint, credentials,
     * transport). CreateTask's retry settings are still replaced, see {@link EnqueueRetryPolicy}.
     */
    public Builder setSettings(CloudTasksSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    public Builder setRetryPolicy(EnqueueRetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
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
      disableLibraryRetries(builder.createTaskSettings(), retryPolicy.attemptTimeout());
      try {
        return new CloudTasksQueue(config, CloudTasksClient.create(builder.build()), retryPolicy);
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

    private static void disableLibraryRetries(
        UnaryCallSettings.Builder<CreateTaskRequest, Task> createTask, Duration attemptTimeout) {
      RetrySettings current = createTask.getRetrySettings();
      createTask
          .setRetryableCodes(Set.of())
          .setRetrySettings(current.toBuilder()
              .setMaxAttempts(1)
              .setInitialRpcTimeoutDuration(attemptTimeout)
              .setMaxRpcTimeoutDuration(attemptTimeout)
              .setRpcTimeoutMultiplier(1.0)
              .setTotalTimeoutDuration(attemptTimeout)
              .build());
    }
  }
}
