package io.servo.bench.micro;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.servo.core.task.TaskPayload;
import io.servo.telemetry.TraceSampling;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every span one execution of the benchmark workflow (five {@code sql} assets, one {@code http}
 * asset) creates, in the shapes of DESIGN.md's trace tree: names, kinds, parents and the attributes
 * Servo and the JDBC/HTTP instrumentation put on them, over the two SDKs of the orchestrator and
 * the worker, with the context carried across the queue as {@link QueueHop} does.
 *
 * <p>It models the spans, not Servo's {@code Instrumenter} wiring; the end-to-end benchmark runs
 * the real code. Like the real code ({@link TraceSampling}), it starts no span beneath an unsampled
 * parent; the http asset's request still carries the trace headers.
 */
final class ExecutionTrace {
  /** Spans per execution: 7 on the orchestrator, 3 + 6 × 4 + 1 on the worker. */
  static final int SPANS = 35;

  private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
  private static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
  private static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
  private static final AttributeKey<String> PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
  private static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");
  private static final AttributeKey<String> DB_NAMESPACE = AttributeKey.stringKey("db.namespace");
  private static final AttributeKey<String> DB_QUERY_TEXT = AttributeKey.stringKey("db.query.text");
  private static final AttributeKey<String> DB_QUERY_SUMMARY = AttributeKey.stringKey("db.query.summary");
  private static final AttributeKey<String> DB_OPERATION_NAME = AttributeKey.stringKey("db.operation.name");
  private static final AttributeKey<String> DB_COLLECTION_NAME = AttributeKey.stringKey("db.collection.name");
  private static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey("servo.execution.id");
  private static final AttributeKey<String> WORKFLOW_ID = AttributeKey.stringKey("servo.workflow.id");
  private static final AttributeKey<String> TENANT_ID = AttributeKey.stringKey("servo.tenant.id");
  private static final AttributeKey<Long> ASSET_COUNT = AttributeKey.longKey("servo.asset_count");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("servo.execution.attempt");
  private static final AttributeKey<String> EXECUTION_STATE = AttributeKey.stringKey("servo.execution.state");
  private static final AttributeKey<Long> QUEUE_WAIT_MS = AttributeKey.longKey("servo.queue.wait_ms");
  private static final AttributeKey<String> ASSET_NAME = AttributeKey.stringKey("servo.asset.name");
  private static final AttributeKey<String> ASSET_KIND = AttributeKey.stringKey("servo.asset.kind");
  private static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
  private static final AttributeKey<String> MESSAGING_DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<String> MESSAGING_MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  private static final AttributeKey<String> MESSAGING_OPERATION = AttributeKey.stringKey("messaging.operation.type");
  private static final AttributeKey<Long> TASK_RETRY_COUNT = AttributeKey.longKey("messaging.gcp_cloud_tasks.task.retry_count");

  private static final List<String> SQL_ASSETS = List.of(
      "INSERT INTO bench_orders (customer, amount) SELECT ?, ? FROM generate_series(?, ?) g",
      "SELECT customer, sum(amount) FROM bench_orders WHERE created_at > now() - interval ? GROUP BY customer",
      "SELECT count(*) FROM bench_orders WHERE amount > ?",
      "UPDATE bench_orders SET amount = amount * ? WHERE id = ?",
      "DELETE FROM bench_orders WHERE created_at < now() - interval ?");

  private final Tracer orchestrator;
  private final Tracer worker;
  private final TaskPayload payload;
  // Written so the injection into the http asset's request is not optimised away.
  private Map<String, String> lastOutgoing = Map.of();

  ExecutionTrace(OpenTelemetry orchestrator, OpenTelemetry worker) {
    this.orchestrator = orchestrator.getTracer("io.servo.orchestrator");
    this.worker = worker.getTracer("io.servo.worker");
    this.payload = new TaskPayload(1, "0b9f6c1e-7d2a-4d8e-9d7e-3a1f2c4b5d6e", "default", "bench_etl", 1,
        JsonNodeFactory.instance.objectNode().put("workflow", "bench_etl"), Instant.EPOCH, null);
  }

  /** Creates and ends every span of one execution; returns the worker's parent, to be consumed. */
  Context run() {
    TaskPayload committed = launch();
    Map<String, String> headers = new HashMap<>(8);
    TaskPayload delivered = handOver(committed, headers);
    Map<String, List<String>> requestHeaders = new HashMap<>(8);
    headers.forEach((name, value) -> requestHeaders.put(name, List.of(value)));
    return deliver(delivered, requestHeaders);
  }

  private TaskPayload launch() {
    Span server = orchestrator.spanBuilder("POST /v1/workflows/{name}/executions")
        .setSpanKind(SpanKind.SERVER).setParent(Context.root())
        .setAttribute(HTTP_METHOD, "POST").setAttribute(HTTP_ROUTE, "/v1/workflows/{name}/executions")
        .setAttribute(URL_PATH, "/v1/workflows/bench_etl/executions").setAttribute(URL_SCHEME, "http")
        .setAttribute(SERVER_ADDRESS, "localhost").setAttribute(SERVER_PORT, 8080L)
        .setAttribute(CLIENT_ADDRESS, "127.0.0.1").setAttribute(USER_AGENT, "Java-http-client/17.0.15")
        .setAttribute(PROTOCOL_VERSION, "1.1").startSpan();
    Context serverContext = Context.root().with(server);
    if (TraceSampling.isUnsampledTrace(serverContext)) {
      TaskPayload committed = QueueHop.launch(serverContext, payload);
      server.end();
      return committed;
    }
    Span enqueue = orchestrator.spanBuilder("orchestrator.enqueue_execution").setParent(serverContext)
        .setAttribute(EXECUTION_ID, payload.executionId()).setAttribute(WORKFLOW_ID, payload.workflow())
        .setAttribute(TENANT_ID, payload.tenant()).startSpan();
    Context enqueueContext = serverContext.with(enqueue);
    statement(orchestrator, enqueueContext, "SELECT", "servo.workflows",
        "SELECT definition, version FROM servo.workflows WHERE tenant = ? AND name = ? ORDER BY version DESC LIMIT ?");
    statement(orchestrator, enqueueContext, "INSERT", "servo.executions",
        "INSERT INTO servo.executions (id, tenant, workflow, workflow_version, state, trace_id) VALUES (?, ?, ?, ?, ?, ?)");
    TaskPayload committed = QueueHop.launch(enqueueContext, payload);
    statement(orchestrator, enqueueContext, "INSERT", "servo.task_outbox",
        "INSERT INTO servo.task_outbox (task_name, tenant, execution_id, body, due_at) VALUES (?, ?, ?, ?, ?)");
    enqueue.end();
    server.setAttribute(HTTP_STATUS, 201L);
    server.end();
    return committed;
  }

  private TaskPayload handOver(TaskPayload committed, Map<String, String> headers) {
    Context parent = QueueHop.producerParent(committed);
    if (TraceSampling.isUnsampledTrace(parent)) {
      // The relay passes the payload on as committed; the headers carry the same context.
      return QueueHop.handOver(parent, committed, headers);
    }
    String taskName = "exec-" + committed.executionId() + "-1";
    Span producer = orchestrator.spanBuilder("cloud_tasks.enqueue").setSpanKind(SpanKind.PRODUCER)
        .setParent(parent).setAttribute(MESSAGING_SYSTEM, "gcp_cloud_tasks")
        .setAttribute(MESSAGING_DESTINATION, "servo-local").setAttribute(MESSAGING_MESSAGE_ID, taskName)
        .setAttribute(MESSAGING_OPERATION, "send").setAttribute(EXECUTION_ID, committed.executionId())
        .setAttribute(WORKFLOW_ID, committed.workflow()).setAttribute(TENANT_ID, committed.tenant())
        .startSpan();
    Context producerContext = parent.with(producer);
    TaskPayload delivered = QueueHop.handOver(producerContext, committed, headers);
    orchestrator.spanBuilder("local_queue.enqueue").setSpanKind(SpanKind.CLIENT).setParent(producerContext)
        .setAttribute(MESSAGING_SYSTEM, "gcp_cloud_tasks").setAttribute(MESSAGING_DESTINATION, "servo-local")
        .setAttribute(MESSAGING_MESSAGE_ID, taskName).startSpan().end();
    producer.end();
    return delivered;
  }

  private Context deliver(TaskPayload delivered, Map<String, List<String>> requestHeaders) {
    QueueHop.Delivered hop = QueueHop.deliver(delivered, requestHeaders);
    if (TraceSampling.isUnsampledTrace(hop.parent())) {
      // No span at all: the http asset's request only carries the trace (SampledOnlyHttpClient).
      lastOutgoing = QueueHop.outgoing(hop.parent());
      return hop.parent();
    }
    var serverBuilder = worker.spanBuilder("POST /execute").setSpanKind(SpanKind.SERVER)
        .setParent(hop.parent()).setAttribute(HTTP_METHOD, "POST").setAttribute(HTTP_ROUTE, "/execute")
        .setAttribute(URL_PATH, "/execute").setAttribute(URL_SCHEME, "http")
        .setAttribute(SERVER_ADDRESS, "localhost").setAttribute(SERVER_PORT, 8081L)
        .setAttribute(CLIENT_ADDRESS, "127.0.0.1").setAttribute(USER_AGENT, "Google-Cloud-Tasks")
        .setAttribute(PROTOCOL_VERSION, "1.1");
    if (hop.frontEnd().isValid()) {
      serverBuilder.addLink(hop.frontEnd());
    }
    Span server = serverBuilder.startSpan();
    Context serverContext = hop.parent().with(server);
    Span consumer = worker.spanBuilder("worker.execute_workflow").setSpanKind(SpanKind.CONSUMER)
        .setParent(serverContext).setAttribute(EXECUTION_ID, delivered.executionId())
        .setAttribute(WORKFLOW_ID, delivered.workflow()).setAttribute(TENANT_ID, delivered.tenant())
        .setAttribute(ASSET_COUNT, 6L).setAttribute(ATTEMPT, 1L).setAttribute(TASK_RETRY_COUNT, 0L)
        .setAttribute(QUEUE_WAIT_MS, 3L).setAttribute(MESSAGING_SYSTEM, "gcp_cloud_tasks")
        .setAttribute(MESSAGING_OPERATION, "process").startSpan();
    Context execution = serverContext.with(consumer);
    statement(worker, execution, "UPDATE", "servo.executions",
        "UPDATE servo.executions SET state = ?, attempt = attempt + ?, lease_until = ? WHERE tenant = ? AND id = ? RETURNING attempt");
    for (int i = 0; i < SQL_ASSETS.size(); i++) {
      asset(execution, "sql_" + i, "sql", SQL_ASSETS.get(i));
    }
    asset(execution, "notify", "http", null);
    statement(worker, execution, "UPDATE", "servo.executions",
        "UPDATE servo.executions SET state = ?, ended_at = ?, error = ? WHERE tenant = ? AND id = ? AND attempt = ?");
    consumer.setAttribute(EXECUTION_STATE, "succeeded");
    consumer.end();
    server.setAttribute(HTTP_STATUS, 200L);
    server.end();
    return hop.parent();
  }

  private void asset(Context execution, String name, String kind, String sql) {
    Span asset = worker.spanBuilder("worker.execute_asset").setParent(execution)
        .setAttribute(ASSET_NAME, name).setAttribute(ASSET_KIND, kind).startSpan();
    Context context = execution.with(asset);
    statement(worker, context, "INSERT", "servo.asset_results",
        "INSERT INTO servo.asset_results (tenant, execution_id, asset, attempt, status, started_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (sql != null) {
      statement(worker, context, sql.substring(0, sql.indexOf(' ')), "bench_orders", sql);
    } else {
      httpCall(context);
    }
    statement(worker, context, "UPDATE", "servo.asset_results",
        "UPDATE servo.asset_results SET status = ?, ended_at = ?, output = ? WHERE tenant = ? AND execution_id = ? AND asset = ?");
    asset.end();
  }

  /** The http asset's request: its CLIENT span and the trace context injected into its headers. */
  private void httpCall(Context parent) {
    Map<String, String> outgoing = QueueHop.outgoing(parent);
    worker.spanBuilder("POST").setSpanKind(SpanKind.CLIENT).setParent(parent)
        .setAttribute(HTTP_METHOD, "POST").setAttribute(URL_FULL, "http://127.0.0.1:9000/hook")
        .setAttribute(SERVER_ADDRESS, "127.0.0.1").setAttribute(SERVER_PORT, 9000L)
        .setAttribute(HTTP_STATUS, 200L).startSpan().end();
    lastOutgoing = outgoing;
  }

  private static void statement(Tracer tracer, Context parent, String operation, String table, String sql) {
    String summary = operation + " " + table;
    tracer.spanBuilder(summary).setSpanKind(SpanKind.CLIENT).setParent(parent)
        .setAttribute(DB_SYSTEM_NAME, "postgresql").setAttribute(DB_NAMESPACE, "servo")
        .setAttribute(DB_QUERY_TEXT, sql).setAttribute(DB_QUERY_SUMMARY, summary)
        .setAttribute(DB_OPERATION_NAME, operation).setAttribute(DB_COLLECTION_NAME, table)
        .setAttribute(SERVER_ADDRESS, "127.0.0.1").setAttribute(SERVER_PORT, 5432L).startSpan().end();
  }
}
