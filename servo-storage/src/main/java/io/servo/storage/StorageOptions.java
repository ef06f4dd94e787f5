package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * How {@link Storage#open(String, StorageOptions)} builds the store.
 *
 * @param poolSize the most pooled connections (1–1000)
 * @param clock the one source of time: every timestamp written and every lease compared comes from
 *     it, so tests can move time forward
 * @param dataSourceWrapper applied once to the pooled data source (e.g. JDBC tracing); every store
 *     statement and {@link ServoStorage#dataSource()} go through the wrapped one, migrations do not
 * @param connectionTimeout how long a call waits for a pooled connection before it fails with a
 *     {@link StorageException} (HikariCP's {@code connectionTimeout}; at least 250 ms). Short, so
 *     that during an outage a request fails fast and the queue's backoff does the waiting
 * @param validationTimeout how long checking an idle connection may take (HikariCP's {@code
 *     validationTimeout}; at least 250 ms, less than {@code connectionTimeout})
 * @param connectTimeout PostgreSQL only: the driver's {@code connectTimeout} for opening the TCP
 *     connection (whole seconds; zero: none). Ignored when the URL sets {@code connectTimeout}
 * @param socketTimeout PostgreSQL only: the driver's {@code socketTimeout}, how long a read on the
 *     connection may wait, so a statement whose packets are silently dropped fails instead of
 *     hanging (whole seconds; zero: none). Longer than any statement of Servo's own. Ignored when the
 *     URL sets {@code socketTimeout}. Migrations run without it
 */
public record StorageOptions(
    int poolSize,
    Clock clock,
    UnaryOperator<DataSource> dataSourceWrapper,
    Duration connectionTimeout,
    Duration validationTimeout,
    Duration connectTimeout,
    Duration socketTimeout) {
  public static final int DEFAULT_POOL_SIZE = 10;
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_VALIDATION_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration HIKARI_FLOOR = Duration.ofMillis(250);

  public StorageOptions {
    if (poolSize < 1 || poolSize > 1000) {
      throw new IllegalArgumentException("poolSize must be between 1 and 1000, got " + poolSize);
    }
    requireNonNull(clock, "clock");
    requireNonNull(dataSourceWrapper, "dataSourceWrapper");
    atLeast("connectionTimeout", connectionTimeout, HIKARI_FLOOR);
    atLeast("validationTimeout", validationTimeout, HIKARI_FLOOR);
    if (validationTimeout.compareTo(connectionTimeout) >= 0) {
      throw new IllegalArgumentException("validationTimeout (" + validationTimeout
          + ") must be less than connectionTimeout (" + connectionTimeout + ")");
    }
    wholeSeconds("connectTimeout", connectTimeout);
    wholeSeconds("socketTimeout", socketTimeout);
  }

  /**
   * Pool of {@value #DEFAULT_POOL_SIZE}, the UTC system clock, no wrapper, connectionTimeout 5 s,
   * validationTimeout 2 s, and on PostgreSQL connectTimeout 5 s and socketTimeout 60 s.
   */
  public static StorageOptions defaults() {
    return new StorageOptions(DEFAULT_POOL_SIZE, Clock.systemUTC(), UnaryOperator.identity(),
        DEFAULT_CONNECTION_TIMEOUT, DEFAULT_VALIDATION_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_SOCKET_TIMEOUT);
  }

  public StorageOptions withPoolSize(int poolSize) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withClock(Clock clock) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withDataSourceWrapper(UnaryOperator<DataSource> dataSourceWrapper) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withConnectionTimeout(Duration connectionTimeout) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withValidationTimeout(Duration validationTimeout) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withConnectTimeout(Duration connectTimeout) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  public StorageOptions withSocketTimeout(Duration socketTimeout) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper, connectionTimeout, validationTimeout,
        connectTimeout, socketTimeout);
  }

  private static void atLeast(String name, Duration value, Duration floor) {
    requireNonNull(value, name);
    if (value.compareTo(floor) < 0) {
      throw new IllegalArgumentException(name + " must be at least " + floor.toMillis() + " ms, got " + value);
    }
  }

  /** The PostgreSQL driver takes these in whole seconds. */
  private static void wholeSeconds(String name, Duration value) {
    requireNonNull(value, name);
    if (value.isNegative() || value.getNano() != 0 || value.getSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " must be a whole number of seconds (zero: none), got " + value);
    }
  }
}
