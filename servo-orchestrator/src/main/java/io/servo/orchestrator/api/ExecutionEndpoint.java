package io.servo.orchestrator.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.servo.core.execution.ExecutionState;
import io.servo.core.http.HttpError;
import io.servo.core.http.JsonAnswer;
import io.servo.core.json.Json;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.execution.LaunchedExecution;
import io.servo.orchestrator.outbox.HandOverOutcome;
import io.servo.orchestrator.outbox.OutboxRelay;
import io.servo.queue.local.DispatchWait;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.storage.ServoStorage;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/** {@code POST /v1/workflows/{name}/executions} and {@code GET /v1/executions/{id}}. */
final class ExecutionEndpoint {
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  private final ServoStorage storage;
  private final ExecutionLauncher launcher;
  private final OutboxRelay relay;
  private final Duration handOverTimeout;
  private final TraceViews traceViews;
  private final Function<String, Optional<DispatchWait>> dispatchWaits;

  ExecutionEndpoint(ServoStorage storage, ExecutionLauncher launcher, OutboxRelay relay,
      Duration handOverTimeout, TraceViews traceViews, Function<String, Optional<DispatchWait>> dispatchWaits) {
    this.storage = storage;
    this.launcher = launcher;
    this.relay = relay;
    this.handOverTimeout = handOverTimeout;
    this.traceViews = traceViews;
    this.dispatchWaits = dispatchWaits;
  }

  JsonAnswer start(ApiRequest request) {
    String key = request.header(IDEMPOTENCY_KEY);
    if (key != null && !validIdempotencyKey(key)) {
      throw new HttpError(400, IDEMPOTENCY_KEY + " must be 1-" + MAX_IDEMPOTENCY_KEY_LENGTH
          + " printable ASCII characters: use for example a UUID");
    }
    String workflow = request.pathVariable("name");
    Optional<LaunchedExecution> launched =
        WorkflowLoader.NAME.matcher(workflow).matches()
            ? launcher.launch(request.tenant(), workflow, key)
            : Optional.empty();
    if (launched.isEmpty()) {
      throw new HttpError(404, "workflow '" + workflow + "' is not deployed for tenant '"
          + request.tenant() + "': deploy it first with PUT /v1/workflows/" + workflow);
    }
    Execution execution = launched.get().execution();
    ObjectNode out = Json.mapper().createObjectNode();
    out.put("execution_id", execution.id());
    out.put("trace_id", execution.traceId());
    out.put("state", execution.state().wireName());
    out.put("workflow", execution.workflow());
    out.put("workflow_version", execution.workflowVersion());
    if (!launched.get().created()) {
      return JsonAnswer.of(200, out);
    }
    HandOverOutcome handOver = relay.handOverNow(
        execution.tenant(), execution.id(), launched.get().taskName(), handOverTimeout);
    if (handOver.status() == HandOverOutcome.Status.REFUSED) {
      out.put("enqueue_error", handOver.error());
    }
    return JsonAnswer.of(201, out);
  }

  JsonAnswer get(ApiRequest request) {
    String id = request.pathVariable("id");
    Optional<Execution> found = isUuid(id) ? storage.executions().find(request.tenant(), id) : Optional.empty();
    if (found.isEmpty()) {
      // Same answer for another tenant's execution as for none, so existence does not leak.
      throw new HttpError(404, "execution '" + id + "' not found for tenant '" + request.tenant()
          + "': check the id returned by POST /v1/workflows/{name}/executions");
    }
    Execution e = found.get();
    ObjectNode out = Json.mapper().createObjectNode();
    out.put("execution_id", e.id());
    out.put("tenant", e.tenant());
    out.put("workflow", e.workflow());
    out.put("workflow_version", e.workflowVersion());
    out.put("state", e.state().wireName());
    out.put("error", e.error());
    out.put("attempt", e.attempt());
    out.put("created_at", instant(e.createdAt()));
    out.put("started_at", instant(e.startedAt()));
    out.put("ended_at", instant(e.endedAt()));
    out.put("trace_id", e.traceId());
    if (e.traceKept() != null) {
      // Not sampled at the start, exported whole when it ended: the link below leads to a trace.
      out.put("trace_kept", e.traceKept());
    }
    if (e.state() == ExecutionState.PENDING) {
      dispatchWaits.apply(e.id()).ifPresent(wait -> {
        ObjectNode queue = out.putObject("queue");
        queue.put("status", "waiting_for_dispatch_slot");
        queue.put("since", instant(wait.since()));
        queue.put("in_flight", wait.inFlight());
        queue.put("max_concurrent_dispatches", wait.maxConcurrentDispatches());
        queue.put("waiting", wait.waiting());
        queue.put("message", wait.describe());
      });
    }
    if (e.traceId() != null) {
      traceViews.link().apply(e.traceId()).ifPresent(url -> out.put("trace_url", url));
      String query = request.http().query();
      if (query != null && java.util.Arrays.asList(query.split("&")).contains("include=trace")) {
        traceViews.waterfall().apply(e.traceId(), request.tenant())
            .ifPresent(text -> out.put("trace_waterfall", text));
      }
    }
    ArrayNode assets = out.putArray("assets");
    for (AssetResult r : storage.executions().assetResults(request.tenant(), e.id())) {
      ObjectNode a = assets.addObject();
      a.put("name", r.assetName());
      a.put("kind", r.kind());
      a.put("status", r.status() == null ? null : r.status().wireName());
      a.put("attempt", r.attempt());
      a.put("started_at", instant(r.startedAt()));
      a.put("ended_at", instant(r.endedAt()));
      a.put("output", r.output());
      a.put("error", r.error());
    }
    return JsonAnswer.of(200, out);
  }

  static boolean validIdempotencyKey(String key) {
    return !key.isEmpty() && key.length() <= MAX_IDEMPOTENCY_KEY_LENGTH
        && key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
  }

  private static boolean isUuid(String id) {
    try {
      return UUID.fromString(id).toString().equals(id.toLowerCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String instant(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
