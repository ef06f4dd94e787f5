package io.servo.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private static final String SECRET = "s3cr3t-value-that-must-never-show";

  private enum Colour { RED, DARK_BLUE }

  private static Settings settings(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return Settings.of(env, "the test service");
  }

  /** The message of the one problem {@code settings} recorded. */
  private static String problem(Settings settings) {
    SettingsException e = catchThrowableOfType(SettingsException.class, settings::check);
    assertThat(e).as("a problem was recorded").isNotNull();
    assertThat(e.problems()).hasSize(1);
    return e.getMessage();
  }

  @Test
  void unsetAndBlankValuesGiveTheDefaultAndNoProblem() {
    Settings s = settings("BLANK", " \t\u0001", "PADDED", "  8080 ");
    assertThat(s.integer("UNSET", 7, 0, 10)).isEqualTo(7);
    assertThat(s.integer("BLANK", 7, 0, 10)).isEqualTo(7);
    assertThat(s.integer("PADDED", 7, 0, 65535)).isEqualTo(8080);
    assertThat(s.string("UNSET", "fallback")).isEqualTo("fallback");
    assertThat(s.raw("BLANK")).isEmpty();
    assertThat(s.hasProblems()).isFalse();
    s.check();
  }

  @Test
  void eachTypeSaysWhatItAccepts() {
    Settings s = settings("N", "ten");
    s.integer("N", 1, 1, 10);
    assertThat(problem(s)).isEqualTo("the test service cannot start: N has invalid value 'ten': expected a whole number from 1 to 10");

    s = settings("N", "11");
    s.longInteger("N", 1, 1, 10);
    assertThat(problem(s)).endsWith("N has invalid value '11': expected a whole number from 1 to 10");

    s = settings("D", "1e3");
    s.decimal("D", 0, 0, 5, "0.5");
    assertThat(problem(s)).endsWith("D has invalid value '1e3': expected a number from 0.0 to 5.0, e.g. 0.5");

    s = settings("T", "soon");
    s.duration("T", Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofHours(1));
    assertThat(problem(s)).endsWith("T has invalid value 'soon': expected a duration from 1s to 1h such as 30s, 2m or 1m30s");

    s = settings("MS", "-5");
    s.milliseconds("MS", Duration.ofSeconds(1));
    assertThat(problem(s)).endsWith("MS has invalid value '-5': expected a positive number of milliseconds, e.g. 10000");

    s = settings("B", "yes");
    s.bool("B", false);
    assertThat(problem(s)).endsWith("B has invalid value 'yes': expected true or false");

    s = settings("C", "green");
    s.choice("C", Colour.class, Colour.RED);
    assertThat(problem(s)).endsWith("C has invalid value 'green': expected one of red, dark_blue");

    s = settings("U", "localhost:4318");
    s.httpUrl("U", null, "http://localhost:4318");
    assertThat(problem(s)).endsWith("U has invalid value 'localhost:4318': expected an http:// or https:// URL"
        + " with a host, without query, e.g. http://localhost:4318");

    s = settings("L", "a, ,b!");
    assertThat(s.list("L", v -> v.matches("[a-z]+") ? v : null, "lower-case words")).containsExactly("a");
    assertThat(problem(s)).endsWith("L has invalid entry 'b!': expected lower-case words");

    s = settings();
    assertThat(s.requiredString("R", "what R is for")).isNull();
    assertThat(problem(s)).endsWith("R is not set: what R is for");
  }

  @Test
  void goodValuesAreParsed() {
    Settings s = settings("N", "42", "D", "0.25", "T", "1m30s", "MS", "1500", "B", "TRUE", "C", "Dark_Blue",
        "U", "https://collector:4318/v1/traces", "L", "a,,b ", "S", SECRET);
    assertThat(s.integer("N", 0, 0, 100)).isEqualTo(42);
    assertThat(s.decimal("D", 0, 0, 1, null)).isEqualTo(0.25);
    assertThat(s.duration("T", Duration.ZERO, Duration.ofSeconds(1), Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.milliseconds("MS", Duration.ZERO)).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.bool("B", false)).isTrue();
    assertThat(s.choice("C", Colour.class, Colour.RED)).isEqualTo(Colour.DARK_BLUE);
    assertThat(s.httpUrl("U", null, null)).isEqualTo(URI.create("https://collector:4318/v1/traces"));
    assertThat(s.list("L", v -> v, "words")).containsExactly("a", "b");
    assertThat(s.secret("S", 16, "make a longer one")).isEqualTo(SECRET);
    s.check();
  }

  @Test
  void everyProblemIsReportedAtOnceOnePerLineInTheOrderRead() {
    Settings s = settings("PORT", "http", "SERVO_ENVIRONMENT", "prod", "FLAG", "maybe");
    s.integer("PORT", 8080, 0, 65535);
    DeploymentEnvironment.from(s);
    s.bool("FLAG", false);
    s.requiredString("NEEDED", "the thing it needs");

    assertThatThrownBy(s::check)
        .isInstanceOf(SettingsException.class)
        .hasMessage("the test service cannot start (4 problems):"
            + "\n  - PORT has invalid value 'http': expected a whole number from 0 to 65535"
            + "\n  - SERVO_ENVIRONMENT has invalid value 'prod': expected one of production, staging, development"
            + "\n  - FLAG has invalid value 'maybe': expected true or false"
            + "\n  - NEEDED is not set: the thing it needs")
        .satisfies(e -> assertThat(((SettingsException) e).variables())
            .containsExactly("PORT", "SERVO_ENVIRONMENT", "FLAG", "NEEDED"));
  }

  @Test
  void aSecretIsNeverShown() {
    Settings s = settings("KEY", SECRET);
    s.secret("KEY", 64, "generate one with: openssl rand -base64 48");
    s.invalidSecret("KEY", "something else");
    assertThatThrownBy(s::check)
        .hasMessageContaining("KEY has an invalid value (not shown: it is a secret): expected at least 64 bytes"
            + " (it has " + SECRET.length() + "); generate one with: openssl rand -base64 48")
        .hasMessageNotContaining(SECRET)
        .hasMessageNotContaining("s3cr3t");
    assertThatThrownBy(() -> Settings.checkSecretLength("the test service", "KEY", 8, 32, "make a longer one"))
        .isInstanceOf(SettingsException.class)
        .hasMessage("the test service cannot start: KEY has an invalid value (not shown: it is a secret):"
            + " expected at least 32 bytes (it has 8); make a longer one");
  }

  @Test
  void aQuotedValueLosesItsPasswordAndCannotAddALine() {
    Settings s = settings("URL", "https://user:hunter2@host/x?y=1\n  - FORGED problem\u001b[2J");
    s.httpUrl("URL", null, null);
    String message = problem(s);
    assertThat(message).doesNotContain("hunter2").doesNotContain("\n").doesNotContain("\u001b")
        .contains("'https://user:[REDACTED]@host/x?y=1\\n  - FORGED problem\\u001b[2J'");
  }

  @Test
  void aLongValueIsCut() {
    Settings s = settings("N", "9".repeat(100_000));
    s.integer("N", 0, 0, 10);
    assertThat(problem(s).length()).isLessThan(300);
  }

  @Test
  void aParserThatThrowsIllegalArgumentExceptionMeansInvalid() {
    Settings s = settings("U", "not a uri at all");
    assertThat(s.value("U", URI.create("http://fallback"), URI::create, "a URI")).isEqualTo(URI.create("http://fallback"));
    assertThat(problem(s)).endsWith("U has invalid value 'not a uri at all': expected a URI");
  }

  @Test
  void theDeploymentEnvironmentDefaultsToDevelopment() {
    assertThat(DeploymentEnvironment.from(settings())).isEqualTo(DeploymentEnvironment.DEVELOPMENT);
    assertThat(DeploymentEnvironment.from(settings("SERVO_ENVIRONMENT", "Production")))
        .isEqualTo(DeploymentEnvironment.PRODUCTION);
    assertThat(DeploymentEnvironment.STAGING.id()).isEqualTo("staging");
    assertThat(DeploymentEnvironment.DEVELOPMENT.isDevelopment()).isTrue();
  }

  @Test
  void durationsReadAndPrintServosForm() {
    assertThat(DurationText.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(DurationText.parse("500ms")).contains(Duration.ofMillis(500));
    assertThat(DurationText.parse("0s")).isEmpty();
    assertThat(DurationText.parse("PT5M")).isEmpty();
    assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(List.of(DurationText.format(Duration.ofHours(2)), DurationText.format(Duration.ofMillis(1500))))
        .containsExactly("2h", "1500ms");
  }
}
