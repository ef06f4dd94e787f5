package io.servo.worker.support;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/** Wraps Servo's real data source so a test can make the next connections fail, as an outage would. */
public final class FlakyDatabase {
  private final AtomicInteger failures = new AtomicInteger();

  public void failNextConnections(int count) {
    failures.set(count);
  }

  public UnaryOperator<DataSource> wrapper() {
    return real -> (DataSource) Proxy.newProxyInstance(
        DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getConnection")
              && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new SQLTransientConnectionException("simulated outage of Servo's database");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

}
