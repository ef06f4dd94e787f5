package io.servo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DatabaseUrlTest {
  static final String SECRET = "hunter2-secret";

  static void neverMentionsTheSecret(Throwable thrown) {
    StringWriter trace = new StringWriter();
    thrown.printStackTrace(new PrintWriter(trace));
    assertThat(trace.toString()).doesNotContain(SECRET);
  }

  @Test
  void refusesOtherDatabasesNamingTheVariableAndTheAcceptedForms() {
    assertThatThrownBy(() -> Storage.open("jdbc:mysql://db/servo?user=u&password=" + SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SERVO_DATABASE_URL")
        .hasMessageContaining("jdbc:postgresql://")
        .hasMessageContaining("jdbc:sqlite:")
        .satisfies(DatabaseUrlTest::neverMentionsTheSecret);
    assertThatThrownBy(() -> Storage.open("postgres://u:" + SECRET + "@db/servo"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(DatabaseUrlTest::neverMentionsTheSecret);
    assertThatThrownBy(() -> Storage.open(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void redactsPasswordsInEveryForm() {
    DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://db:5432/servo?user=app&password=" + SECRET + "&ssl=true");
    assertThat(url.toString()).isEqualTo("jdbc:postgresql://db:5432/servo?user=app&password=***&ssl=true");
    assertThat(url.redact("login with " + SECRET + " failed")).isEqualTo("login with *** failed");
    assertThat(url.leaks("FATAL: " + SECRET)).isTrue();
    assertThat(url.leaks("FATAL: database does not exist")).isFalse();

    DatabaseUrl userInfo = DatabaseUrl.parse("jdbc:postgresql://app:" + SECRET + "@db/servo");
    assertThat(userInfo.toString()).isEqualTo("jdbc:postgresql://app:***@db/servo");
  }

  @Test
  void unreachableServerFailsWithARedactedMessage() {
    assertThatThrownBy(() -> Storage.open("jdbc:postgresql://127.0.0.1:1/servo?user=app&password=" + SECRET + "&connectTimeout=2"))
        .isInstanceOf(StorageException.class)
        .hasMessageStartingWith("cannot connect to the Servo database at jdbc:postgresql://127.0.0.1:1/servo?user=app&password=***")
        .hasMessageContaining("SERVO_DATABASE_URL")
        .satisfies(DatabaseUrlTest::neverMentionsTheSecret);
  }

  @Test
  void findsTheSqliteFile() {
    assertThat(DatabaseUrl.parse("jdbc:sqlite:/var/servo/servo.db?foo=bar").sqliteFile()).isEqualTo(Path.of("/var/servo/servo.db"));
    assertThat(DatabaseUrl.parse("jdbc:sqlite:file:/var/servo/servo.db").sqliteFile()).isEqualTo(Path.of("/var/servo/servo.db"));
    assertThat(DatabaseUrl.parse("jdbc:sqlite:.servo/servo.db").sqliteFile()).isEqualTo(Path.of(".servo/servo.db"));
    assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:sqlite:")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:sqlite:file:x?mode=memory")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void optionsAreCheckedOnce() {
    assertThatThrownBy(() -> StorageOptions.defaults().withPoolSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("poolSize must be between 1 and 1000, got 0");
  }
}
