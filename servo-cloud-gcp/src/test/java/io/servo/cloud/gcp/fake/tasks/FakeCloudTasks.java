package io.servo.cloud.gcp.fake.tasks;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.tasks.v2.CloudTasksSettings;
import com.google.cloud.tasks.v2.Task;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.servo.cloud.gcp.fake.oidc.FakeGoogleOidc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory Cloud Tasks (v2) for tests: a gRPC server implementing CreateTask, GetTask and
 * DeleteTask, reachable in-process ({@link #inProcessSettings}) and on a plaintext TCP port on
 * 127.0.0.1 ({@link #endpoint()}, for {@code SERVO_CLOUD_TASKS_ENDPOINT}), which delivers each
 * task over real HTTP like Cloud Tasks does: the task's method, URL, headers and body, {@code
 * User-Agent: Google-Cloud-Tasks}, the {@code X-CloudTasks-*} headers and an {@code Authorization:
 * Bearer} OIDC ID token from {@link #oidc()}; retried with the queue's backoff until a 2xx.
 *
 * <pre>{@code
 * try (FakeCloudTasks fake = FakeCloudTasks.start()) {
 *   CloudTasksQueue queue = CloudTasksQueue.create(config, fake.inProcessSettings());
 *   // or SERVO_CLOUD_TASKS_ENDPOINT=fake.endpoint()
 * }
 * }</pre>
 */
public final class FakeCloudTasks implements AutoCloseable {
  private final FakeCloudTasksService service;
  private final FakeGoogleOidc oidc;
  private final Server inProcessServer;
  private final Server tcpServer;
  private final String inProcessName;
  private final ScheduledExecutorService scheduler;
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  private FakeCloudTasks(FakeCloudTasksService service, FakeGoogleOidc oidc, Server inProcessServer,
      Server tcpServer, String inProcessName, ScheduledExecutorService scheduler) {
    this.service = service;
    this.oidc = oidc;
    this.inProcessServer = inProcessServer;
    this.tcpServer = tcpServer;
    this.inProcessName = inProcessName;
    this.scheduler = scheduler;
  }

  /** A fake with a fresh OIDC key and {@link FakeQueueRetryConfig#DEFAULT}, started. */
  public static FakeCloudTasks start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code 127.0.0.1:PORT} of the plaintext gRPC port: the value for {@code SERVO_CLOUD_TASKS_ENDPOINT}. */
  public String endpoint() {
    return "127.0.0.1:" + tcpServer.getPort();
  }

  /**
   * Client settings for an in-process channel to this fake, without credentials. The channel is
   * closed with the fake. {@code interceptors} are added to the channel (the last runs first).
   */
  public CloudTasksSettings inProcessSettings(ClientInterceptor... interceptors) {
    ManagedChannel channel = InProcessChannelBuilder.forName(inProcessName).intercept(interceptors).build();
    channels.add(channel);
    try {
      return CloudTasksSettings.newBuilder()
          .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
          .setCredentialsProvider(NoCredentialsProvider.create())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The token issuer whose ID tokens the fake attaches; its JWKS verifies them. */
  public FakeGoogleOidc oidc() {
    return oidc;
  }

  /** The next {@code count} CreateTask calls fail with {@code status}, before any validation. */
  public void failNextCreateTasks(int count, Status status) {
    Objects.requireNonNull(status, "status");
    if (count < 1 || status.isOk()) {
      throw new IllegalArgumentException("need count >= 1 and a non-OK status");
    }
    service.failNext(count, status);
  }

  /** CreateTask calls received, including failed and duplicate ones. */
  public int createTaskCalls() {
    return service.createCalls();
  }

  /** Tasks created (duplicates and failures excluded). */
  public int createdTaskCount() {
    return service.created();
  }

  /** Tasks still held: scheduled, in flight or waiting to be retried. */
  public List<Task> heldTasks() {
    return service.held().values().stream().map(HeldTask::task)
        .sorted(Comparator.comparing(Task::getName)).toList();
  }

  /** Every HTTP delivery so far, in the order they finished. */
  public List<DispatchAttempt> attempts() {
    return service.dispatcher().attempts();
  }

  /** The deliveries of one task, by short id or full name. */
  public List<DispatchAttempt> attemptsFor(String task) {
    return attempts().stream()
        .filter(a -> a.taskName().equals(task) || a.taskId().equals(task))
        .toList();
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    inProcessServer.shutdownNow();
    tcpServer.shutdownNow();
    scheduler.shutdownNow();
    try {
      inProcessServer.awaitTermination(5, TimeUnit.SECONDS);
      tcpServer.awaitTermination(5, TimeUnit.SECONDS);
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static final class Builder {
    private FakeGoogleOidc oidc;
    private FakeQueueRetryConfig retry = FakeQueueRetryConfig.DEFAULT;
    private int port;

    private Builder() {}

    /** The issuer of the OIDC tokens; a fresh {@link FakeGoogleOidc#create()} by default. */
    public Builder setOidc(FakeGoogleOidc oidc) {
      this.oidc = Objects.requireNonNull(oidc, "oidc");
      return this;
    }

    public Builder setRetryConfig(FakeQueueRetryConfig retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** The TCP port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder setPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535, was " + port);
      }
      this.port = port;
      return this;
    }

    public FakeCloudTasks start() {
      FakeGoogleOidc issuer = Optional.ofNullable(oidc).orElseGet(FakeGoogleOidc::create);
      AtomicInteger threads = new AtomicInteger();
      ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, runnable -> {
        Thread t = new Thread(runnable, "fake-cloud-tasks-dispatch-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      FakeCloudTasksService service = new FakeCloudTasksService(scheduler, issuer, retry);
      String name = "fake-cloud-tasks-" + UUID.randomUUID();
      Server inProcess = InProcessServerBuilder.forName(name).addService(service).build();
      Server tcp = NettyServerBuilder
          .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), InsecureServerCredentials.create())
          .addService(service)
          .build();
      try {
        inProcess.start();
        tcp.start();
      } catch (IOException e) {
        inProcess.shutdownNow();
        tcp.shutdownNow();
        scheduler.shutdownNow();
        throw new UncheckedIOException("cannot start the fake Cloud Tasks on port " + port, e);
      }
      return new FakeCloudTasks(service, issuer, inProcess, tcp, name, scheduler);
    }
  }
}
