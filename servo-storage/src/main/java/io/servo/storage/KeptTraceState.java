package io.servo.storage;

import java.time.Instant;

/**
 * What the orchestrator needs to know about an ended execution whose unsampled trace it holds part
 * of: whether the worker kept the trace, and the worker's part once written.
 *
 * @param endedAt when a kept execution ended; null when not kept
 * @param traceKept why the worker kept the trace ({@code error}, {@code slow}), or null: not kept
 * @param keptSpans the worker's spans of the kept trace, or null while not yet written
 */
public record KeptTraceState(String executionId, Instant endedAt, String traceKept, String keptSpans) {}
