package io.servo.storage;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done on a connection inside one tenant-scoped transaction. */
@FunctionalInterface
public interface TenantWork<T> {
  T run(Connection connection) throws SQLException;
}
