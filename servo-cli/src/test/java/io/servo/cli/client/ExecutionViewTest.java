package io.servo.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ExecutionViewTest {
  private static String print(String json) throws Exception {
    JsonNode execution = Json.mapper().readTree(json);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ExecutionView.print(execution, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aPendingExecutionWaitingForADispatchSlotSaysWhy() throws Exception {
    String out = print("""
        {"execution_id": "e1", "state": "pending", "workflow": "daily_sales", "workflow_version": 1,
         "queue": {"status": "waiting_for_dispatch_slot", "since": "2024-05-01T10:00:05Z",
                   "in_flight": 8, "max_concurrent_dispatches": 8, "waiting": 2,
                   "message": "waiting for a dispatch slot: 8 deliveries in flight, concurrency 8, 2 waiting"},
         "assets": []}
        """);

    assertThat(out).contains("execution e1  PENDING  (workflow daily_sales v1)")
        .contains("  queued: waiting for a dispatch slot: 8 deliveries in flight, concurrency 8, 2 waiting"
            + " (due since 2024-05-01T10:00:05Z)");
  }

  @Test
  void anExecutionThatWaitsForNoSlotPrintsNoQueueLine() throws Exception {
    String out = print("""
        {"execution_id": "e2", "state": "pending", "workflow": "daily_sales", "workflow_version": 1, "assets": []}
        """);

    assertThat(out).doesNotContain("queued");
  }

  @Test
  void aLongDurationAndALongNameStayInTheirColumns() throws Exception {
    String out = print("""
        {"execution_id": "e3", "state": "succeeded", "workflow": "w", "workflow_version": 1, "assets": [
          {"name": "an_asset_with_a_long_name", "status": "succeeded", "started_at": "2024-05-01T10:00:00Z",
           "ended_at": "2024-05-01T10:00:12.027Z", "output": "done"}]}
        """);

    assertThat(out).contains("an_asset_with_a_long_name  succeeded    12.0 s  done");
  }

  @Test
  void anAssetThatRanPastItsTimeoutReadsTimedOut() throws Exception {
    String out = print("""
        {"execution_id": "e4", "state": "timeout", "workflow": "w", "workflow_version": 1, "assets": [
          {"name": "too_slow", "status": "failed", "started_at": "2024-05-01T10:00:00Z",
           "ended_at": "2024-05-01T10:00:06Z", "error": "timed out after 6s; the process and its child processes were killed"}]}
        """);

    assertThat(out).contains("✗ too_slow             timed out   6000 ms  timed out after 6s");
  }

  @Test
  void anHttpRequestPastItsTimeoutReadsTimedOutInTheFormThatNamesWhereItWent() throws Exception {
    String out = print("""
        {"execution_id": "e6", "state": "timeout", "workflow": "w", "workflow_version": 1, "assets": [
          {"name": "notify", "status": "failed", "started_at": "2024-05-01T10:00:00Z",
           "ended_at": "2024-05-01T10:00:05Z",
           "error": "POST https://hooks.example.com (from ${env:NOTIFY_URL}) timed out after 5s"}]}
        """);

    assertThat(out).contains("✗ notify               timed out");
  }

  @Test
  void aFailureWhoseOutputMentionsATimeoutIsStillAFailure() throws Exception {
    String out = print("""
        {"execution_id": "e5", "state": "failed", "workflow": "w", "workflow_version": 1, "assets": [
          {"name": "fetch", "status": "failed", "started_at": "2024-05-01T10:00:00Z",
           "ended_at": "2024-05-01T10:00:01Z", "error": "exit code 1: curl: connection timed out after 30s"}]}
        """);

    assertThat(out).contains("✗ fetch                failed");
  }
}
