package io.servo.cloud.gcp.fake.tasks;

import com.google.cloud.tasks.v2.CloudTasksGrpc;
import com.google.cloud.tasks.v2.CreateTaskRequest;
import com.google.cloud.tasks.v2.DeleteTaskRequest;
import com.google.cloud.tasks.v2.GetTaskRequest;
import com.google.cloud.tasks.v2.HttpMethod;
import com.google.cloud.tasks.v2.HttpRequest;
import com.google.cloud.tasks.v2.Task;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.servo.cloud.gcp.fake.oidc.FakeGoogleOidc;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/** CreateTask, GetTask and DeleteTask with Cloud Tasks' validation and error codes. */
final class FakeCloudTasksService extends CloudTasksGrpc.CloudTasksImplBase {
  private static final Pattern QUEUE_PATH =
      Pattern.compile("projects/[A-Za-z0-9:.-]+/locations/[A-Za-z0-9-]+/queues/[A-Za-z0-9-]{1,100}");
  private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,500}");
  private static final Set<HttpMethod> BODY_METHODS = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

  private final HttpTaskDispatcher dispatcher;
  /** Tasks waiting for (re)delivery, by full name. */
  private final Map<String, HeldTask> held = new ConcurrentHashMap<>();
  /** Every name ever created: Cloud Tasks refuses to reuse a name for a while after deletion. */
  private final Set<String> tombstones = ConcurrentHashMap.newKeySet();
  private final Queue<Status> injectedFailures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger created = new AtomicInteger();
  private final AtomicInteger createCalls = new AtomicInteger();

  FakeCloudTasksService(ScheduledExecutorService scheduler, FakeGoogleOidc oidc, FakeQueueRetryConfig retry) {
    this.dispatcher = new HttpTaskDispatcher(scheduler, oidc, retry, held::remove);
  }

  HttpTaskDispatcher dispatcher() {
    return dispatcher;
  }

  Map<String, HeldTask> held() {
    return held;
  }

  int created() {
    return created.get();
  }

  int createCalls() {
    return createCalls.get();
  }

  void failNext(int count, Status status) {
    for (int i = 0; i < count; i++) {
      injectedFailures.add(status);
    }
  }

  @Override
  public void createTask(CreateTaskRequest request, StreamObserver<Task> response) {
    createCalls.incrementAndGet();
    Status injected = injectedFailures.poll();
    if (injected != null) {
      response.onError(injected.asRuntimeException());
      return;
    }
    String parent = request.getParent();
    if (!QUEUE_PATH.matcher(parent).matches()) {
      fail(response, Status.INVALID_ARGUMENT, "Invalid resource field value in the request: parent '" + parent + "'");
      return;
    }
    Task task = request.getTask();
    String name = task.getName();
    if (name.isEmpty()) {
      name = parent + "/tasks/" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong());
    } else if (!name.startsWith(parent + "/tasks/") || !TASK_ID.matcher(name.substring(parent.length() + 7)).matches()) {
      fail(response, Status.INVALID_ARGUMENT, "Task name '" + name + "' is not a task of queue " + parent
          + " or its id is not 1-500 of [A-Za-z0-9_-]");
      return;
    }
    String invalid = validate(task);
    if (invalid != null) {
      fail(response, Status.INVALID_ARGUMENT, invalid);
      return;
    }
    if (!tombstones.add(name)) {
      fail(response, Status.ALREADY_EXISTS, "Requested entity already exists");
      return;
    }
    Instant now = Instant.now();
    Task.Builder stored = task.toBuilder().setName(name).setCreateTime(timestamp(now)).setDispatchCount(0)
        .setResponseCount(0).setView(Task.View.FULL);
    if (!task.hasScheduleTime()) {
      stored.setScheduleTime(timestamp(now));
    }
    HeldTask heldTask = new HeldTask(stored.build());
    held.put(name, heldTask);
    created.incrementAndGet();
    respond(response, heldTask.task(), request.getResponseView());
    Timestamp at = heldTask.task().getScheduleTime();
    dispatcher.schedule(heldTask, Duration.between(now, Instant.ofEpochSecond(at.getSeconds(), at.getNanos())));
  }

  @Override
  public void getTask(GetTaskRequest request, StreamObserver<Task> response) {
    HeldTask task = held.get(request.getName());
    if (task == null) {
      fail(response, Status.NOT_FOUND, notFound(request.getName()));
      return;
    }
    respond(response, task.task(), request.getResponseView());
  }

  @Override
  public void deleteTask(DeleteTaskRequest request, StreamObserver<Empty> response) {
    HeldTask task = held.remove(request.getName());
    if (task == null || !task.delete()) {
      fail(response, Status.NOT_FOUND, notFound(request.getName()));
      return;
    }
    response.onNext(Empty.getDefaultInstance());
    response.onCompleted();
  }

  private String notFound(String name) {
    return tombstones.contains(name)
        ? "The task no longer exists, though a task with this name existed recently: " + name
        : "Requested entity was not found: " + name;
  }

  private static String validate(Task task) {
    if (!task.hasHttpRequest()) {
      return "The fake Cloud Tasks supports HTTP target tasks only (http_request is not set)";
    }
    HttpRequest http = task.getHttpRequest();
    try {
      URI url = new URI(http.getUrl());
      if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
        return "HttpRequest.url must be an absolute http or https URL, was '" + http.getUrl() + "'";
      }
    } catch (Exception e) {
      return "HttpRequest.url is invalid: '" + http.getUrl() + "'";
    }
    if (!http.getBody().isEmpty() && !BODY_METHODS.contains(http.getHttpMethod())) {
      return "HTTP request body is allowed only for POST, PUT and PATCH, not " + http.getHttpMethod();
    }
    if (http.hasOidcToken() && http.getOidcToken().getServiceAccountEmail().isEmpty()) {
      return "OidcToken.service_account_email is required";
    }
    if (http.hasOidcToken() && http.hasOauthToken()) {
      return "Only one of oauth_token and oidc_token may be set";
    }
    return null;
  }

  private static void respond(StreamObserver<Task> response, Task task, Task.View view) {
    // BASIC, the default view, leaves out the body: it may be large or sensitive.
    Task shown = view == Task.View.FULL
        ? task
        : task.toBuilder().setView(Task.View.BASIC)
            .setHttpRequest(task.getHttpRequest().toBuilder().clearBody()).build();
    response.onNext(shown);
    response.onCompleted();
  }

  private static void fail(StreamObserver<?> response, Status status, String description) {
    response.onError(status.withDescription(description).asRuntimeException());
  }

  private static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }
}
