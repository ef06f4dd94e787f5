package io.servo.queue.cloudtasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.servo.cloud.gcp.fake.http.RecordingHttpEndpoint;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production construction path, {@link CloudTasksQueue#create(CloudTasksConfig)}, with {@code
 * SERVO_CLOUD_TASKS_ENDPOINT} pointing at the fake's plaintext TCP port (no credentials).
 */
class CloudTasksQueueEmulatorEndpointTest {
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

  CloudTasksConfig config() {
    Map<String, String> env = CloudTasksQueueTest.env(worker);
    env.remove("SERVO_OIDC_AUDIENCE");
    env.put("SERVO_CLOUD_TASKS_ENDPOINT", fake.endpoint());
    return CloudTasksConfig.fromEnvironment(env);
  }

  @Test
  void enqueueOverTheEmulatorEndpointIsDelivered() throws Exception {
    queue = CloudTasksQueue.create(config());
    QueuedTask task = CloudTasksQueueTest.signedTask("exec-tcp-1");

    queue.enqueue(task);
    queue.enqueue(task);

    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
    RecordingHttpEndpoint.Request request = worker.requests().get(0);
    assertThat(request.body()).isEqualTo(task.body());
    assertThat(request.header("X-Servo-Signature")).isEqualTo(task.headers().get("X-Servo-Signature"));
    assertThat(request.header("X-CloudTasks-TaskName")).isEqualTo("exec-tcp-1");
    assertThat(request.header("Authorization")).startsWith("Bearer ");
    var claims = com.nimbusds.jwt.SignedJWT.parse(request.header("Authorization").substring(7)).getJWTClaimsSet();
    // No SERVO_OIDC_AUDIENCE: the audience is the worker URL.
    assertThat(claims.getAudience()).containsExactly(worker.url().toString());
    assertThat(fake.createdTaskCount()).isEqualTo(1);
  }

  @Test
  void transientFailuresAreRetriedOverTcpToo() throws Exception {
    queue = CloudTasksQueue.builder(config()).setRetrySettings(CloudTasksQueueTest.FAST).build();
    fake.failNextCreateTasks(1, Status.UNAVAILABLE);
    fake.failNextCreateTasks(1, Status.RESOURCE_EXHAUSTED);

    queue.enqueue(CloudTasksQueueTest.signedTask("exec-tcp-2"));

    assertThat(fake.createTaskCalls()).isEqualTo(3);
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.requests().size() == 1);
  }

  @Test
  void permissionDeniedOverTcpIsPermanent() {
    queue = CloudTasksQueue.builder(config()).setRetrySettings(CloudTasksQueueTest.FAST).build();
    fake.failNextCreateTasks(1, Status.PERMISSION_DENIED);

    QueueException e = catchThrowableOfType(QueueException.class,
        () -> queue.enqueue(CloudTasksQueueTest.signedTask("exec-tcp-3")));

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains(CloudTasksQueueTest.QUEUE_PATH, "roles/cloudtasks.enqueuer");
  }

  @Test
  void interceptorsAreInstalledOnTheChannelTheQueueBuilds() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ClientInterceptor recording = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        seen.add(method.getBareMethodName());
        return next.newCall(method, options);
      }
    };
    queue = CloudTasksQueue.builder(config()).addClientInterceptor(recording).build();

    queue.enqueue(CloudTasksQueueTest.signedTask("exec-tcp-4"));

    assertThat(seen).containsExactly("CreateTask");
  }
}
