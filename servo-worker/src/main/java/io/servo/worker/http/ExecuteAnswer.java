package io.servo.worker.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.servo.storage.AssetResult;
import io.servo.worker.execution.ExecutionOutcome;
import java.util.List;

/** The 200 answer to {@code POST /execute}: the execution's end state and each asset's result. */
record ExecuteAnswer(
    @JsonProperty("execution_id") String executionId,
    @JsonProperty("state") String state,
    @JsonProperty("assets") List<AssetView> assets) {

  record AssetView(
      @JsonProperty("name") String name,
      @JsonProperty("kind") String kind,
      @JsonProperty("status") String status,
      @JsonProperty("output") String output,
      @JsonProperty("error") String error) {
    static AssetView of(AssetResult result) {
      return new AssetView(result.assetName(), result.kind(), result.status().wireName(),
          result.output(), result.error());
    }
  }

  static ExecuteAnswer of(ExecutionOutcome.Ended ended) {
    return new ExecuteAnswer(ended.executionId(), ended.state().wireName(),
        ended.assets().stream().map(AssetView::of).toList());
  }
}
