package io.servo.queue.cloudtasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.auth.oauth2.TokenVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import com.google.api.gax.retrying.RetrySettings;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.servo.cloud.gcp.fake.http.RecordingHttpEndpoint;
import io.servo.cloud.gcp.fake.oidc.JwksServer;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.task.TaskSignature;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real CloudTasksClient against the fake over an in-process gRPC channel. */
class CloudTasksQueueTest {
  static final String EMAIL = "servo-invoker@acme-prod.iam.gserviceaccount.com";
  static final String QUEUE_PATH = "projects/acme-prod/locations/europe-west1/queues/servo-tasks";
  /** The default's shape with short delays: 4 attempts, 5 ms doubling to 20 ms, 10 s in all. */
  static final RetrySettings FAST = CloudTasksQueue.DEFAULT_RETRY_SETTINGS.toBuilder()
      .setMaxAttempts(4)
      .setInitialRetryDelayDuration(Duration.ofMillis(5))
      .setMaxRetryDelayDuration(Duration.ofMillis(20))
      .setTotalTimeoutDuration(Duration.ofSeconds(10))
      .setInitialRpcTimeoutDuration(Duration.ofSeconds(5))
      .setMaxRpcTimeoutDuration(Duration.ofSeconds(5))
      .build();

  FakeCloudTasks fake;
  RecordingHttpEndpoint worker;
  CloudTasksQueue queue;

  @BeforeEach
  void start() {
    fake = FakeCloudTasks.start();
    worker = RecordingHttpEndpoint.start();
  }

  @AfterEach
  void stop() {
    if (queue != null) {
      queue.close();
    }
    fake.close();
    worker.close();
  }

  static Map<String, String> env(RecordingHttpEndpoint worker) {
    Map<String, String> env = new HashMap<>();
    env.put("GCP_PROJECT_ID", "acme-prod");
    env.put("GCP_LOCATION", "europe-west1");
    env.put("GCP_QUEUE_NAME", "servo-tasks");
    env.put("GCP_WORKER_URL", worker.url().toString());
    env.put("GCP_SERVICE_ACCOUNT_EMAIL", EMAIL);
    env.put("SERVO_OIDC_AUDIENCE", "https://servo-worker.example");
    return env;
  }

  CloudTasksQueue inProcessQueue() {
    return inProcessQueue(FAST);
  }

  CloudTasksQueue inProcessQueue(RetrySettings retries, ClientInterceptor... interceptors) {
    CloudTasksQueue.Builder builder = CloudTasksQueue.builder(CloudTasksConfig.fromEnvironment(env(worker)))
        .setSettings(fake.inProcessSettings())
        .setRetrySettings(retries);
    for (ClientInterceptor interceptor : interceptors) {
      builder.addClientInterceptor(interceptor);
    }
    return builder.build();
  }

  static QueuedTask signedTask(String name) {
    // Not valid UTF-8 on purpose: the bytes must arrive exactly as given.
    byte[] body = new byte[] {'{', '"', 'x', '"', ':', '1', '}', (byte) 0xC3, (byte) 0x28, 0, '\n'};
    Map<String, String> headers = new HashMap<>(
        TaskSignature.create("0123456789abcdef0123456789abcdef-secret").sign(body));
    headers.put("Content-Type", "application/json");
    headers.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    return new QueuedTask(name, body, headers);
  }

  @Test
  void enqueueDeliversTheExactRequestWithAVerifiableIdToken() throws Exception {
    queue = inProcessQueue();
    QueuedTask task = signedTask("exec-0001");

    queue.enqueue(task);

    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
    RecordingHttpEndpoint.Request request = worker.requests().get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.pathAndQuery()).isEqualTo("/execute");
    assertThat(request.body()).isEqualTo(task.body());
    task.headers().forEach((name, value) -> assertThat(request.header(name)).as(name).isEqualTo(value));
    assertThat(request.header("User-Agent")).isEqualTo("Google-Cloud-Tasks");
    assertThat(request.header("X-CloudTasks-QueueName")).isEqualTo("servo-tasks");
    assertThat(request.header("X-CloudTasks-TaskName")).isEqualTo("exec-0001");
    assertThat(request.header("X-CloudTasks-TaskRetryCount")).isEqualTo("0");
    assertThat(request.header("X-CloudTasks-TaskExecutionCount")).isEqualTo("0");
    double eta = Double.parseDouble(request.header("X-CloudTasks-TaskETA"));
    assertThat(eta).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(30.0));
    assertThat(request.header("X-CloudTasks-TaskPreviousResponse")).isNull();

    String authorization = request.header("Authorization");
    assertThat(authorization).startsWith("Bearer ");
    String token = authorization.substring("Bearer ".length());
    try (JwksServer jwks = fake.oidc().startJwksServer()) {
      // The signature, checked with the JWKS fetched over HTTP as a worker would.
      SignedJWT jwt = SignedJWT.parse(token);
      JWKSet keys = JWKSet.load(new URL(jwks.certsUrl().toString()));
      RSAKey key = keys.getKeyByKeyId(jwt.getHeader().getKeyID()).toRSAKey();
      assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("RS256");
      assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
      assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("https://accounts.google.com");
      assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("https://servo-worker.example");
      assertThat(jwt.getJWTClaimsSet().getStringClaim("email")).isEqualTo(EMAIL);
      assertThat(jwt.getJWTClaimsSet().getBooleanClaim("email_verified")).isTrue();
      assertThat(jwt.getJWTClaimsSet().getExpirationTime()).isAfter(jwt.getJWTClaimsSet().getIssueTime());

      // And with Google's own verifier pointed at the fake certificate endpoint.
      TokenVerifier verifier = TokenVerifier.newBuilder()
          .setAudience("https://servo-worker.example")
          .setIssuer("https://accounts.google.com")
          .setCertificatesLocation(jwks.certsUrl().toString())
          .build();
      assertThat(verifier.verify(token).getPayload().get("email")).isEqualTo(EMAIL);
    }
    await().until(() -> fake.heldTasks().isEmpty());
  }

  @Test
  void aDuplicateEnqueueCreatesOneTaskAndOneDelivery() throws Exception {
    queue = inProcessQueue();
    QueuedTask task = signedTask("exec-dup");

    queue.enqueue(task);
    queue.enqueue(task); // ALREADY_EXISTS is success
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
    queue.enqueue(task); // still a duplicate after delivery

    assertThat(fake.createTaskCalls()).isEqualTo(3);
    assertThat(fake.createdTaskCount()).isEqualTo(1);
    // No second delivery: a task enqueued afterwards arrives, and still only one of exec-dup came.
    queue.enqueue(signedTask("exec-after"));
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() >= 2);
    assertThat(worker.requests()).extracting(r -> r.header("X-CloudTasks-TaskName"))
        .containsExactlyInAnyOrder("exec-dup", "exec-after");
  }

  @Test
  void aTransientUnavailableIsRetried() throws Exception {
    queue = inProcessQueue();
    fake.failNextCreateTasks(2, Status.UNAVAILABLE.withDescription("try again"));

    queue.enqueue(signedTask("exec-retry"));

    assertThat(fake.createTaskCalls()).isEqualTo(3);
    assertThat(fake.createdTaskCount()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
  }

  @Test
  void persistentTransientFailuresEndInARetryableException() {
    queue = inProcessQueue();
    fake.failNextCreateTasks(10, Status.DEADLINE_EXCEEDED);

    QueueException e = catchThrowableOfType(QueueException.class, () -> queue.enqueue(signedTask("exec-x")));

    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains(QUEUE_PATH, "DEADLINE_EXCEEDED", "at most 4 attempts", "try again later");
    assertThat(fake.createTaskCalls()).isEqualTo(4);
  }

  @Test
  void aRetryAfterALostResponseFindsTheTaskCreatedAndSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ClientInterceptor losesTheFirstResponse = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        boolean lose = calls.incrementAndGet() == 1;
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            super.start(!lose ? listener : new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onMessage(R message) {}

              @Override
              public void onClose(Status status, Metadata trailers) {
                super.onClose(Status.UNAVAILABLE.withDescription("connection reset"), trailers);
              }
            }, headers);
          }
        };
      }
    };
    queue = inProcessQueue(FAST, losesTheFirstResponse);

    queue.enqueue(signedTask("exec-lost"));

    assertThat(fake.createTaskCalls()).isEqualTo(2);
    assertThat(fake.createdTaskCount()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
  }

  @Test
  void noRetriesMeansOneCall() {
    queue = inProcessQueue(CloudTasksQueue.NO_RETRIES);
    fake.failNextCreateTasks(3, Status.UNAVAILABLE);

    QueueException e = catchThrowableOfType(QueueException.class, () -> queue.enqueue(signedTask("exec-once")));

    assertThat(e.retryable()).isTrue();
    assertThat(fake.createTaskCalls()).isEqualTo(1);
  }

  @Test
  void permissionDeniedIsPermanentAndNamesTheFix() {
    queue = inProcessQueue();
    fake.failNextCreateTasks(1, Status.PERMISSION_DENIED.withDescription("The principal lacks cloudtasks.tasks.create"));

    QueueException e = catchThrowableOfType(QueueException.class, () -> queue.enqueue(signedTask("exec-p")));

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains(
        QUEUE_PATH,
        "cloudtasks.tasks.create",
        "gcloud tasks queues add-iam-policy-binding servo-tasks --location=europe-west1",
        "--role=roles/cloudtasks.enqueuer",
        "gcloud iam service-accounts add-iam-policy-binding " + EMAIL,
        "--role=roles/iam.serviceAccountUser");
    assertThat(fake.createTaskCalls()).isEqualTo(1);
  }

  @Test
  void notFoundIsPermanentAndSaysHowToCreateTheQueue() {
    queue = inProcessQueue();
    fake.failNextCreateTasks(1, Status.NOT_FOUND.withDescription("Queue does not exist."));

    QueueException e = catchThrowableOfType(QueueException.class, () -> queue.enqueue(signedTask("exec-n")));

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains(QUEUE_PATH, "gcloud tasks queues create servo-tasks --location=europe-west1");
    assertThat(fake.createTaskCalls()).isEqualTo(1);
  }

  @Test
  void aNameCloudTasksWouldRejectFailsBeforeAnyCall() {
    queue = inProcessQueue();

    QueueException e = catchThrowableOfType(QueueException.class,
        () -> queue.enqueue(new QueuedTask("exec:1/2", new byte[0], Map.of())));

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("exec:1/2", "letters, digits, '-' or '_'");
    assertThat(fake.createTaskCalls()).isZero();
  }

  @Test
  void clientInterceptorsSeeEveryCall() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ClientInterceptor recording = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        seen.add(method.getFullMethodName());
        return next.newCall(method, options);
      }
    };
    queue = inProcessQueue(FAST, recording);

    queue.enqueue(signedTask("exec-traced"));

    assertThat(seen).containsExactly("google.cloud.tasks.v2.CloudTasks/CreateTask");
  }

  @Test
  void nameIsTheShortQueueName() {
    queue = inProcessQueue();
    assertThat(queue.name()).isEqualTo("servo-tasks");
    assertThat(queue.queuePath()).isEqualTo(QUEUE_PATH);
    assertThat(new String(signedTask("a").body(), StandardCharsets.ISO_8859_1)).startsWith("{");
  }
}
