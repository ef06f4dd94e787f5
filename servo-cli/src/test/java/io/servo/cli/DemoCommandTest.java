package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DemoCommandTest {
  @Test
  void theDemoRunsTheExampleAndExitsZero() throws Exception {
    ConsoleCapture result = ConsoleCapture.servo("demo");

    assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
    assertThat(result.out())
        .contains("deployed daily_sales version 1")
        .contains("SUCCEEDED")
        .containsPattern("✓ raw_orders +succeeded")
        .containsPattern("✓ notify +succeeded .*HTTP 204")
        .contains("webhook received 1 authenticated call(s)");
  }
}
