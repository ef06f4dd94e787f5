package io.servo.orchestrator.tracing;

/**
 * One task handed to a queue, as the hand-over spans describe it.
 *
 * @param executionId null where only the queue's view is known (the backend's client span)
 * @param workflow null likewise
 * @param tenant null likewise
 */
record QueueHandOff(String queueName, String taskName, String executionId, String workflow,
    String tenant) {}
