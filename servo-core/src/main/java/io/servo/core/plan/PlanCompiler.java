package io.servo.core.plan;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowValidationException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/** Compiles a workflow into a deterministic topological {@link ExecutionPlan}. */
public final class PlanCompiler {
  private PlanCompiler() {}

  /**
   * Kahn's algorithm; among assets that are ready at the same time the one declared first runs
   * first, so the same file always yields the same plan.
   *
   * @throws WorkflowValidationException when the dependencies form a cycle, naming its assets
   */
  public static ExecutionPlan compile(Workflow workflow) {
    List<Asset> assets = workflow.assets();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < assets.size(); i++) {
      position.put(assets.get(i).name(), i);
    }
    int[] pending = new int[assets.size()];
    Map<String, List<Integer>> dependents = new HashMap<>();
    for (int i = 0; i < assets.size(); i++) {
      for (String dep : assets.get(i).dependsOn()) {
        pending[i]++;
        dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(i);
      }
    }
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < pending.length; i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<Asset> order = new ArrayList<>(assets.size());
    while (!ready.isEmpty()) {
      Asset next = assets.get(ready.poll());
      order.add(next);
      for (int dependent : dependents.getOrDefault(next.name(), List.of())) {
        if (--pending[dependent] == 0) {
          ready.add(dependent);
        }
      }
    }
    if (order.size() != assets.size()) {
      throw new WorkflowValidationException(List.of(describeCycle(assets, position, pending)));
    }
    return new ExecutionPlan(workflow.name(), order);
  }

  /** Walks dependencies from an unfinished asset until one repeats: that stretch is a cycle. */
  private static String describeCycle(List<Asset> assets, Map<String, Integer> position, int[] pending) {
    int start = 0;
    while (pending[start] == 0) {
      start++;
    }
    Map<Integer, Integer> seenAt = new LinkedHashMap<>();
    Deque<Integer> path = new ArrayDeque<>();
    int current = start;
    while (!seenAt.containsKey(current)) {
      seenAt.put(current, path.size());
      path.addLast(current);
      Asset asset = assets.get(current);
      int next = -1;
      for (String dep : asset.dependsOn()) {
        int d = position.get(dep);
        if (pending[d] > 0) {
          next = d;
          break;
        }
      }
      current = next;
    }
    List<Integer> cycle = new ArrayList<>(path).subList(seenAt.get(current), path.size());
    StringBuilder names = new StringBuilder();
    for (int index : cycle) {
      names.append(assets.get(index).name()).append(" -> ");
    }
    names.append(assets.get(cycle.get(0)).name());
    return "dependency cycle: " + names
        + " (each depends on the next; remove one of these depends_on entries)";
  }
}
