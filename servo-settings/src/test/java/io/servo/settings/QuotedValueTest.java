package io.servo.settings;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuotedValueTest {
  @Test
  void masksThePasswordOfAUrlWithOrWithoutItsScheme() {
    assertThat(QuotedValue.of("https://u:hunter2@worker.example/x", 300))
        .isEqualTo("https://u:[REDACTED]@worker.example/x");
    assertThat(QuotedValue.of("u:hunter2@localhost:8123", 300)).isEqualTo("u:[REDACTED]@localhost:8123");
    assertThat(QuotedValue.of("jdbc:postgresql://db/servo?user=s&password=hunter2", 300))
        .isEqualTo("jdbc:postgresql://db/servo?user=s&password=[REDACTED]");
    assertThat(QuotedValue.of("https://issuer.example/jwks?access_token=abc.def", 300))
        .doesNotContain("abc.def");
  }

  @Test
  void leavesOrdinaryValuesAsTheyAre() {
    String value = "https://worker.example/execute";
    assertThat(QuotedValue.of(value, 300)).isSameAs(value);
    assertThat(QuotedValue.of("tasks@p.iam.gserviceaccount.com", 300)).isEqualTo("tasks@p.iam.gserviceaccount.com");
    assertThat(QuotedValue.of(null, 10)).isNull();
  }

  @Test
  void cutsAfterMaskingAndEscapesControlCharacters() {
    assertThat(QuotedValue.of("abcdef", 3)).isEqualTo("abc…");
    assertThat(QuotedValue.of("bad/\n  - X\u001b[2J\u0085", 300)).isEqualTo("bad/\\n  - X\\u001b[2J\\u0085");
    assertThat(QuotedValue.of("https://u:" + "p".repeat(50) + "@h", 20)).doesNotContain("ppp");
  }
}
