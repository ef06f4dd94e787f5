package io.servo.testing.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh database on the test server ({@code SERVO_TEST_POSTGRES_URL}), dropped on close. When
 * the server is unreachable the test is skipped, or fails when {@code CI=true}.
 */
public final class PostgresTestDatabase implements AutoCloseable {
  private static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(.*)$");

  private final String name;
  private final String url;

  private PostgresTestDatabase(String name, String url) {
    this.name = name;
    this.url = url;
  }

  public static PostgresTestDatabase create() {
    String name = "servo_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    try (Connection admin = admin(); Statement s = admin.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database", e);
    }
    return new PostgresTestDatabase(name, withDatabase(name));
  }

  public String url() {
    return url;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url);
  }

  @Override
  public void close() {
    try (Connection admin = admin(); Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      // The worker's tenant roles of this database (servo_t_<database>_<tenant>…) are cluster-wide;
      // they owned only objects of the dropped database, so they can go now.
      java.util.List<String> roles = new java.util.ArrayList<>();
      try (java.sql.ResultSet rs = s.executeQuery("SELECT rolname FROM pg_roles WHERE rolname LIKE 'servo\\_t\\_"
          + name.replace("_", "\\_") + "%'")) {
        while (rs.next()) {
          roles.add(rs.getString(1));
        }
      }
      for (String role : roles) {
        s.execute("DROP ROLE IF EXISTS \"" + role.replace("\"", "\"\"") + "\"");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test database " + name, e);
    }
  }

  /** {@code SERVO_TEST_POSTGRES_URL}, or the local server's {@code test} database. */
  public static String baseUrl() {
    String fromEnv = System.getenv("SERVO_TEST_POSTGRES_URL");
    return fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
  }

  /**
   * {@link #baseUrl()} once a connection to it succeeded, for a test that uses the server's existing
   * database; otherwise the test is skipped, or fails when {@code CI=true}.
   */
  public static String reachableBaseUrl() {
    String url = baseUrl();
    try (Connection ignored = connectOrAbort(url)) {
      return url;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot close a test connection to " + url, e);
    }
  }

  /** {@link #baseUrl()} with another database name. */
  public static String withDatabase(String database) {
    Matcher m = URL.matcher(baseUrl());
    if (!m.matches()) {
      throw new IllegalStateException("SERVO_TEST_POSTGRES_URL must look like jdbc:postgresql://HOST:PORT/DB?user=…");
    }
    return m.group(1) + database + m.group(3);
  }

  /** A connection to the server's {@code postgres} database, or a skipped (CI: failed) test. */
  private static Connection admin() {
    return connectOrAbort(withDatabase("postgres"));
  }

  private static Connection connectOrAbort(String url) {
    try {
      return DriverManager.getConnection(url);
    } catch (SQLException e) {
      String why = "PostgreSQL is not reachable (" + e.getMessage() + "); start it or set SERVO_TEST_POSTGRES_URL";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        Assertions.fail(why, e);
      }
      Assumptions.abort(why);
      throw new AssertionError(why);
    }
  }
}
