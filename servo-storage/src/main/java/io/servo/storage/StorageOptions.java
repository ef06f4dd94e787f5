package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
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
 */
public record StorageOptions(int poolSize, Clock clock, UnaryOperator<DataSource> dataSourceWrapper) {
  public static final int DEFAULT_POOL_SIZE = 10;

  public StorageOptions {
    if (poolSize < 1 || poolSize > 1000) {
      throw new IllegalArgumentException("poolSize must be between 1 and 1000, got " + poolSize);
    }
    requireNonNull(clock, "clock");
    requireNonNull(dataSourceWrapper, "dataSourceWrapper");
  }

  /** Pool of {@value #DEFAULT_POOL_SIZE}, the UTC system clock, no wrapper. */
  public static StorageOptions defaults() {
    return new StorageOptions(DEFAULT_POOL_SIZE, Clock.systemUTC(), UnaryOperator.identity());
  }

  public StorageOptions withPoolSize(int poolSize) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper);
  }

  public StorageOptions withClock(Clock clock) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper);
  }

  public StorageOptions withDataSourceWrapper(UnaryOperator<DataSource> dataSourceWrapper) {
    return new StorageOptions(poolSize, clock, dataSourceWrapper);
  }
}
