package io.servo.core.queue;

/** Header names on the queue hop, as Cloud Tasks sends them (and the local queue imitates). */
public final class TaskHeaders {
  public static final String QUEUE_NAME = "X-CloudTasks-QueueName";
  public static final String TASK_NAME = "X-CloudTasks-TaskName";
  public static final String RETRY_COUNT = "X-CloudTasks-TaskRetryCount";
  public static final String EXECUTION_COUNT = "X-CloudTasks-TaskExecutionCount";
  public static final String ETA = "X-CloudTasks-TaskETA";
  public static final String PREVIOUS_RESPONSE = "X-CloudTasks-TaskPreviousResponse";
  public static final String RETRY_REASON = "X-CloudTasks-TaskRetryReason";
  public static final String USER_AGENT_VALUE = "Google-Cloud-Tasks";

  private TaskHeaders() {}
}
