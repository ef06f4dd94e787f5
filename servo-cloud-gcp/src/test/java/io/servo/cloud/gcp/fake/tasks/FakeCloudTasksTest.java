package io.servo.cloud.gcp.fake.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.tasks.v2.CloudTasksClient;
import com.google.cloud.tasks.v2.CreateTaskRequest;
import com.google.cloud.tasks.v2.HttpMethod;
import com.google.cloud.tasks.v2.HttpRequest;
import com.google.cloud.tasks.v2.OidcToken;
import com.google.cloud.tasks.v2.Task;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.servo.cloud.gcp.fake.http.RecordingHttpEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake's own behaviour, driven by the real CloudTasksClient. */
class FakeCloudTasksTest {
  static final String QUEUE = "projects/p/locations/europe-west1/queues/q";

  FakeCloudTasks fake;
  RecordingHttpEndpoint endpoint;
  CloudTasksClient client;

  @BeforeEach
  void start() throws Exception {
    fake = FakeCloudTasks.builder()
        .setRetryConfig(FakeQueueRetryConfig.of(Duration.ofMillis(10), Duration.ofMillis(50), 4))
        .start();
    endpoint = RecordingHttpEndpoint.start();
    client = CloudTasksClient.create(fake.inProcessSettings());
  }

  @AfterEach
  void stop() {
    client.close();
    fake.close();
    endpoint.close();
  }

  Task httpTask(String id) {
    Task.Builder task = Task.newBuilder().setHttpRequest(HttpRequest.newBuilder()
        .setHttpMethod(HttpMethod.POST)
        .setUrl(endpoint.url() + "/execute?x=1")
        .putHeaders("X-Servo-Signature", "v1=abc")
        .putHeaders("X-CloudTasks-TaskName", "forged")
        .putHeaders("User-Agent", "forged")
        .setBody(ByteString.copyFromUtf8("{\"a\":1}"))
        .setOidcToken(OidcToken.newBuilder().setServiceAccountEmail("sa@p.iam.gserviceaccount.com")));
    if (id != null) {
      task.setName(QUEUE + "/tasks/" + id);
    }
    return task.build();
  }

  @Test
  void retriesA500AndA429ThenSucceedsWithGrowingCounts() {
    endpoint.respondWith(500, 429);

    client.createTask(QUEUE, httpTask("t1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 3);
    List<RecordingHttpEndpoint.Request> requests = endpoint.requests();
    assertThat(requests).extracting(r -> r.header("X-CloudTasks-TaskRetryCount")).containsExactly("0", "1", "2");
    // Cloud Tasks counts handler responses except 5xx ones: the 500 does not count, the 429 does.
    assertThat(requests).extracting(r -> r.header("X-CloudTasks-TaskExecutionCount")).containsExactly("0", "0", "1");
    assertThat(requests).extracting(r -> r.header("X-CloudTasks-TaskPreviousResponse")).containsExactly(null, "500", "429");
    assertThat(requests.get(1).header("X-CloudTasks-TaskRetryReason")).isNotBlank();
    assertThat(requests).extracting(r -> r.header("X-CloudTasks-TaskETA")).containsOnly(requests.get(0).header("X-CloudTasks-TaskETA"));
    assertThat(requests).allSatisfy(r -> {
      assertThat(r.pathAndQuery()).isEqualTo("/execute?x=1");
      assertThat(r.header("X-CloudTasks-TaskName")).isEqualTo("t1");
      assertThat(r.header("X-CloudTasks-QueueName")).isEqualTo("q");
      assertThat(r.header("User-Agent")).isEqualTo("Google-Cloud-Tasks");
      assertThat(r.header("X-Servo-Signature")).isEqualTo("v1=abc");
      assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
      assertThat(new String(r.body())).isEqualTo("{\"a\":1}");
    });
    await().until(() -> fake.attemptsFor("t1").size() == 3);
    assertThat(fake.attemptsFor("t1")).extracting(DispatchAttempt::outcome).containsExactly(
        DispatchAttempt.Outcome.RETRY_SCHEDULED, DispatchAttempt.Outcome.RETRY_SCHEDULED, DispatchAttempt.Outcome.SUCCEEDED);
    assertThat(fake.heldTasks()).isEmpty();
  }

  @Test
  void givesUpAfterMaxAttempts() {
    endpoint.respondWith(503, 503, 503, 503, 503);

    client.createTask(QUEUE, httpTask("t-fail"));

    await().atMost(Duration.ofSeconds(10)).until(() -> fake.attemptsFor("t-fail").size() == 4);
    assertThat(fake.attemptsFor("t-fail").get(3).outcome()).isEqualTo(DispatchAttempt.Outcome.GAVE_UP);
    assertThat(fake.heldTasks()).isEmpty();
  }

  @Test
  void audienceDefaultsToTheUrlWithoutQuery() throws Exception {
    client.createTask(QUEUE, httpTask("t-aud"));

    await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 1);
    String token = endpoint.requests().get(0).header("Authorization").substring("Bearer ".length());
    assertThat(com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet().getAudience())
        .containsExactly(endpoint.url() + "/execute");
  }

  @Test
  void assignsANameGetsAndDeletesAScheduledTask() {
    Instant later = Instant.now().plusSeconds(3600);
    Task created = client.createTask(CreateTaskRequest.newBuilder().setParent(QUEUE)
        .setTask(httpTask(null).toBuilder()
            .setScheduleTime(Timestamp.newBuilder().setSeconds(later.getEpochSecond())))
        .build());

    assertThat(created.getName()).matches(QUEUE + "/tasks/[0-9]+");
    assertThat(created.getHttpRequest().getBody().isEmpty()).as("BASIC view omits the body").isTrue();
    assertThat(created.getScheduleTime().getSeconds()).isEqualTo(later.getEpochSecond());
    Task got = client.getTask(com.google.cloud.tasks.v2.GetTaskRequest.newBuilder()
        .setName(created.getName()).setResponseView(Task.View.FULL).build());
    assertThat(got.getHttpRequest().getBody().toStringUtf8()).isEqualTo("{\"a\":1}");
    assertThat(fake.heldTasks()).hasSize(1);

    client.deleteTask(created.getName());

    assertThat(fake.heldTasks()).isEmpty();
    assertThat(catchThrowableOfType(NotFoundException.class, () -> client.getTask(created.getName())))
        .hasMessageContaining("existed recently");
    assertThat(catchThrowableOfType(NotFoundException.class, () -> client.deleteTask(created.getName()))).isNotNull();
    // A deleted name stays taken, as in Cloud Tasks.
    Task again = httpTask(null).toBuilder().setName(created.getName()).build();
    assertThat(catchThrowableOfType(AlreadyExistsException.class, () -> client.createTask(QUEUE, again))).isNotNull();
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void rejectsInvalidTasksLikeCloudTasks() {
    assertThat(catchThrowableOfType(InvalidArgumentException.class,
        () -> client.createTask(QUEUE, httpTask("bad.id")))).isNotNull();
    assertThat(catchThrowableOfType(InvalidArgumentException.class,
        () -> client.createTask(QUEUE, httpTask(null).toBuilder().setName("projects/p/locations/l/queues/other/tasks/x").build())))
        .isNotNull();
    assertThat(catchThrowableOfType(InvalidArgumentException.class,
        () -> client.createTask(QUEUE, httpTask(null).toBuilder()
            .setHttpRequest(httpTask(null).getHttpRequest().toBuilder().setHttpMethod(HttpMethod.GET)).build())))
        .isNotNull();
    assertThat(fake.createdTaskCount()).isZero();
  }

  @Test
  void retryDelaysFollowCloudTasksDoublingThenLinearGrowth() {
    FakeQueueRetryConfig config = new FakeQueueRetryConfig(Duration.ofSeconds(10), Duration.ofSeconds(300), 3, 100);

    assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 8)).map(config::delayBeforeRetry).map(Duration::toSeconds)
        .containsExactly(10L, 20L, 40L, 80L, 160L, 240L, 300L, 300L);
  }
}
