package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cli.security.RawHttp.Header;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Workflow files built to exhaust the orchestrator, sent to the real API (SQLite, the largest body
 * SERVO_MAX_BODY_BYTES allows, 64 MiB): each is refused with 400 (or 413), with a bounded answer,
 * nothing stored, and the orchestrator still serving afterwards. The time each took is printed, not
 * asserted (no test asserts a timing): the loader's own tests pin the limits that keep it short.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkflowBombTest {
  private SecurityStack stack;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = SecurityStack.sqlite(dir).env("SERVO_MAX_BODY_BYTES", Integer.toString(64 * 1024 * 1024)).start();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static List<Arguments> bombs() {
    return List.of(
        Arguments.of("billion laughs", (Supplier<String>) WorkflowBombTest::billionLaughs),
        Arguments.of("aliases used as asset names", (Supplier<String>) () -> "base: &b x\nworkflow: bomb\nassets: ["
            + String.join(",\n", Collections.nCopies(50_000, "{name: *b, kind: sql, sql: *b}")) + "]"),
        Arguments.of("every asset depends on an unknown one", (Supplier<String>) () -> {
          StringBuilder file = new StringBuilder("workflow: bomb\nassets:\n");
          for (int i = 0; i < 20_000; i++) {
            file.append("- {name: a").append(i).append(", kind: sql, sql: s, depends_on: [missing]}\n");
          }
          return file.toString();
        }),
        Arguments.of("100k unknown fields", (Supplier<String>) () -> {
          StringBuilder file = new StringBuilder("workflow: bomb\nassets: [{name: a, kind: sql, sql: s}]\n");
          for (int i = 0; i < 100_000; i++) {
            file.append("k").append(i).append(": v\n");
          }
          return file.toString();
        }),
        Arguments.of("deep flow nesting", (Supplier<String>) () -> "workflow: bomb\nassets: " + ("[".repeat(1000) + "\n").repeat(1000)),
        Arguments.of("deep JSON nesting", (Supplier<String>) () -> "{\"workflow\": " + "{\"a\": ".repeat(1_000_000)),
        Arguments.of("deep block nesting", (Supplier<String>) () -> {
          StringBuilder file = new StringBuilder("workflow: bomb\nx:\n");
          for (int i = 1; i < 2000; i++) {
            file.append(" ".repeat(i)).append("a:\n");
          }
          return file.toString();
        }),
        Arguments.of("a 25 MB string", (Supplier<String>) () ->
            "workflow: bomb\nassets: [{name: a, kind: sql, sql: \"" + "x".repeat(25_000_000) + "\"}]"),
        Arguments.of("a 3 MB string just under the limit", (Supplier<String>) () ->
            "workflow: bomb\nassets: [{name: a, kind: sqlx, sql: \"" + "x".repeat(3 * 1024 * 1024 - 100) + "\"}]"),
        Arguments.of("3 MB of strings, each on a line just under the limit", (Supplier<String>) () ->
            "workflow: bomb\nassets:\n" + ("- {name: a, kind: sqlx, sql: \"" + "x".repeat(64 * 1024 - 40) + "\"}\n").repeat(47)),
        Arguments.of("a huge invalid name", (Supplier<String>) () ->
            "workflow: \"" + "\u001b[2J\n".repeat(500_000) + "\"\nassets: [{name: a, kind: sql, sql: s}]"),
        Arguments.of("many duplicate keys", (Supplier<String>) () ->
            "workflow: bomb\nassets: [{name: a, kind: sql, sql: s}]\n" + "k: v\n".repeat(200_000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bombs")
  void aBombIsRefusedWithABoundedAnswerAndChangesNothing(String name, Supplier<String> bomb) {
    byte[] file = bomb.get().getBytes(StandardCharsets.UTF_8);
    String before = stack.dump();

    long start = System.nanoTime();
    RawHttp.Response response = RawHttp.send(stack.apiPort(), "PUT", "/v1/workflows/bomb",
        List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN), new Header("Content-Type", "application/yaml")),
        file);
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("  %s: %d bytes refused with %d in %d ms, answer %d bytes%n", name, file.length, response.status(),
        millis, response.body().length);

    assertThat(response.status()).as(name + ": " + Hostile.show(response.text())).isEqualTo(400);
    assertThat(response.body().length).as(name + ": answer size").isLessThan(64 * 1024);
    assertThat(stack.dump()).isEqualTo(before);
    assertThat(RawHttp.send(stack.apiPort(), "GET", "/health", List.of(), null).status()).isEqualTo(200);
  }

  private static String billionLaughs() {
    StringBuilder bomb = new StringBuilder("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 10; i++) {
      bomb.append("l").append(i).append(": &l").append(i).append(" [")
          .append(String.join(", ", Collections.nCopies(9, "*l" + (i - 1)))).append("]\n");
    }
    return bomb.append("workflow: bomb\nassets: *l9\n").toString();
  }
}
