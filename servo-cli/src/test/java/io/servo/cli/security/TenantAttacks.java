package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.client.ApiClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the hostile-tenant tests share: the attacker runs a workflow through the API as a tenant
 * would, and everything that tenant can read afterwards (the API's view of its execution and every
 * span of its trace) is searched for the worker's secrets, in plain text, base64 and hex.
 */
final class TenantAttacks {
  /** A benign workflow that both tenants run with the same table names, each in its own place. */
  static final String OWN_TABLES = """
      workflow: orders
      assets:
        - name: load
          kind: sql
          sql: |
            DROP TABLE IF EXISTS orders;
            CREATE TABLE orders (id INT, amount INT);
            INSERT INTO orders VALUES (1, 10), (2, 20);
        - name: total
          kind: sql
          sql: CREATE TABLE IF NOT EXISTS totals AS SELECT sum(amount) AS total FROM orders
          depends_on: [load]
      """;

  private TenantAttacks() {}

  /**
   * The victim: globex creates {@code customers (id, secret)} and runs {@code statements} (which
   * fill it with a row worth stealing), then everything settles.
   */
  static void globexStoresASecret(SecurityStack stack, String statements) {
    Outcome victim = attack(stack, SecurityStack.GLOBEX_TOKEN, "customers", """
        workflow: customers
        assets:
          - name: load
            kind: sql
            sql: |
              CREATE TABLE customers (id INT, secret TEXT);
        %s""".formatted(statements.indent(6)));
    assertThat(victim.state()).as(victim.assets()).isEqualTo("succeeded");
    stack.awaitQuiet();
  }

  /** Both tenants run {@link #OWN_TABLES}; each must succeed. */
  static void bothTenantsUseTheirOwnTables(SecurityStack stack) {
    for (String token : new String[] {SecurityStack.ACME_TOKEN, SecurityStack.GLOBEX_TOKEN}) {
      Outcome own = attack(stack, token, "orders", OWN_TABLES);
      assertThat(own.state()).as(own.assets()).isEqualTo("succeeded");
    }
  }

  /** The outcome of one attack: what the API answered, and the text of everything the attacker can read. */
  record Outcome(int deployStatus, String deployError, JsonNode execution, String visible) {
    String state() {
      return execution == null ? "refused at deploy" : execution.path("state").asText();
    }

    /** The assets' errors and outputs, for assertion messages. */
    String assets() {
      return execution == null ? deployError : execution.path("assets").toString();
    }
  }

  /**
   * Deploys {@code yaml} as {@code token}'s tenant and, when accepted, runs it to its end. Returns
   * the API's answers and everything the attacker can read.
   */
  static Outcome attack(SecurityStack stack, String token, String name, String yaml) {
    ApiClient api = stack.api(token);
    ApiClient.Answer deployed = api.put("v1/workflows/" + name, yaml.getBytes(StandardCharsets.UTF_8),
        "application/yaml");
    if (!deployed.ok()) {
      return new Outcome(deployed.status(), deployed.errorText(), null, deployed.body().toString());
    }
    JsonNode execution = stack.runToEnd(token, name, yaml);
    String traceId = execution.path("trace_id").asText();
    StringBuilder visible = new StringBuilder(execution.toString()).append('\n');
    visible.append(api.get("v1/executions/" + execution.path("execution_id").asText() + "?include=trace").body());
    for (SpanData span : stack.spans()) {
      if (span.getTraceId().equals(traceId)) {
        visible.append('\n').append(span.getName()).append(' ').append(span.getAttributes())
            .append(' ').append(span.getStatus()).append(' ').append(span.getEvents())
            .append(' ').append(span.getLinks()).append(' ').append(span.getResource().getAttributes());
      }
    }
    return new Outcome(deployed.status(), null, execution, visible.toString());
  }

  /** Asserts that none of {@code secrets} appears in {@code visible}, in plain text, base64 or hex. */
  static void assertNoSecret(String visible, Set<String> secrets) {
    for (String secret : secrets) {
      for (String form : forms(secret)) {
        assertThat(visible).as("a worker secret (or its encoding %s) in what the attacker can read", form)
            .doesNotContain(form);
      }
    }
  }

  /**
   * The secret and its encodings. Base64 of a secret inside a larger text depends on the secret's
   * offset modulo 3, so the three alignments are searched, each without its first and last group.
   */
  static List<String> forms(String secret) {
    List<String> forms = new ArrayList<>();
    forms.add(secret);
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    forms.add(HexFormat.of().formatHex(bytes));
    forms.add(HexFormat.of().formatHex(bytes).toUpperCase(Locale.ROOT));
    for (int pad = 0; pad < 3; pad++) {
      byte[] shifted = new byte[pad + bytes.length];
      System.arraycopy(bytes, 0, shifted, pad, bytes.length);
      String encoded = Base64.getEncoder().withoutPadding().encodeToString(shifted);
      // Drop the groups that mix in the unknown neighbours: 4 characters on each side.
      if (encoded.length() > 12) {
        forms.add(encoded.substring(4, encoded.length() - 4));
      }
    }
    return forms.stream().distinct().collect(Collectors.toList());
  }
}
