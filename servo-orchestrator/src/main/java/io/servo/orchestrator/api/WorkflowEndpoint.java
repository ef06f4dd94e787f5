package io.servo.orchestrator.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.servo.core.http.HttpError;
import io.servo.core.http.JsonAnswer;
import io.servo.core.json.Json;
import io.servo.core.plan.PlanCompiler;
import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.core.workflow.WorkflowValidationException;
import io.servo.storage.ServoStorage;
import io.servo.storage.StoredWorkflow;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code PUT /v1/workflows/{name}}: validates a workflow file and stores it as the tenant's next version. */
final class WorkflowEndpoint {
  private static final YAMLMapper YAML = new YAMLMapper();

  private final ServoStorage storage;
  private final TenantPolicy tenants;

  WorkflowEndpoint(ServoStorage storage, TenantPolicy tenants) {
    this.storage = storage;
    this.tenants = tenants;
  }

  JsonAnswer deploy(ApiRequest request, byte[] body) {
    String name = request.pathVariable("name");
    if (!WorkflowLoader.NAME.matcher(name).matches()) {
      throw new HttpError(400, "invalid workflow name '" + name + "' in the path: use 1-63"
          + " letters, digits, '_' or '-', starting with a letter or digit");
    }
    String text = new String(body, StandardCharsets.UTF_8);
    Workflow parsed;
    try {
      parsed = WorkflowLoader.parse(text);
    } catch (WorkflowValidationException e) {
      throw new HttpError(400,
          "the workflow file is not valid (" + e.problems().size() + " problem"
              + (e.problems().size() == 1 ? "" : "s") + "): fix each problem listed and deploy again",
          e.problems(), Map.of(), null);
    }
    if (!parsed.name().equals(name)) {
      throw new HttpError(400, "the file defines workflow '" + parsed.name()
          + "' but was sent to /v1/workflows/" + name + ": PUT it to /v1/workflows/" + parsed.name()
          + " or change its 'workflow:' field");
    }
    if (declaresTenant(text) && !parsed.tenant().equals(request.tenant())) {
      throw new HttpError(400, "the file is for tenant '" + parsed.tenant()
          + "' but your token belongs to tenant '" + request.tenant()
          + "': remove the 'tenant:' field or deploy with that tenant's token");
    }
    Workflow workflow = new Workflow(parsed.name(), request.tenant(), parsed.assets());
    List<String> notGranted = tenants.problems(workflow);
    if (!notGranted.isEmpty()) {
      // Refused before anything is stored: the worker would refuse the same at run time.
      throw new HttpError(403,
          "the workflow needs what tenant '" + request.tenant() + "' was not granted ("
              + notGranted.size() + " problem" + (notGranted.size() == 1 ? "" : "s")
              + "): change the workflow, or ask the operator for each grant named; nothing was deployed",
          notGranted, Map.of(), null);
    }
    String definition = canonicalJson(workflow);
    Optional<StoredWorkflow> before = storage.workflows().latest(request.tenant(), name);
    StoredWorkflow stored = storage.workflows().deploy(request.tenant(), name, definition);
    boolean unchanged = before.isPresent() && before.get().version() == stored.version();

    ObjectNode out = Json.mapper().createObjectNode();
    out.put("workflow", stored.name());
    out.put("tenant", stored.tenant());
    out.put("version", stored.version());
    PlanCompiler.compile(workflow).assetNames().forEach(out.putArray("assets")::add);
    return JsonAnswer.of(unchanged ? 200 : 201, out);
  }

  /**
   * Whether the file names a tenant itself: a file without {@code tenant:} is deployed for the
   * caller's tenant, one with it must name the caller's tenant. Only called on text the loader
   * already parsed, with the loader's rule for telling JSON from YAML.
   */
  private static boolean declaresTenant(String text) {
    try {
      JsonNode root = text.stripLeading().startsWith("{") ? Json.mapper().readTree(text) : YAML.readTree(text);
      return root != null && root.has("tenant");
    } catch (JacksonException e) {
      throw new IllegalStateException("workflow text parsed once but not twice", e);
    }
  }

  private static String canonicalJson(Workflow workflow) {
    try {
      return Json.mapper().writeValueAsString(WorkflowLoader.toTree(workflow));
    } catch (JacksonException e) {
      throw new UncheckedIOException(e);
    }
  }
}
