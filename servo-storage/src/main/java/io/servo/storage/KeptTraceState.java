package io.servo.storage;

import io.servo.core.execution.ExecutionState;
import java.time.Instant;

/**
 * What the orchestrator needs to know about an ended execution whose unsampled trace it holds part
 * of: whether the worker kept the trace, and the worker's part once written.
 *
 * @param traceKept why the worker kept the trace ({@code error}, {@code slow}), or null: not kept
 * @param keptSpans the worker's spans of the kept trace, or null while not yet written
 */
public record KeptTraceState(String executionId, String tenant, ExecutionState state, Instant endedAt,
    String traceKept, String keptSpans) {}
