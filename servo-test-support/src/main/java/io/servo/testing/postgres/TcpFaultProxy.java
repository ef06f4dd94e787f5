package io.servo.testing.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of one PostgreSQL server, for the faults a network has, with
 * plain sockets and two threads per connection. Point a client at {@link #proxied(String)} and
 * then:
 *
 * <ul>
 *   <li>{@link #stall()}: every connection stays open but every byte, either way, is silently
 *       dropped, as on a link whose packets vanish; new connections are accepted and stall too (so a
 *       driver's cancel request is lost as well). Nothing is closed, so a client notices only
 *       through its own timeouts.
 *   <li>{@link #cut()}: every open connection is closed and new ones are refused (nothing listens
 *       on the port), as when the database or the route to it goes away.
 *   <li>{@link #forward()}: back to normal, on the same port, so clients configured with it
 *       reconnect by themselves. A connection that stalled stays unusable (bytes were lost).
 * </ul>
 *
 * Usable from other modules' tests through servo-storage's test-jar, with {@link
 * PostgresTestDatabase}.
 */
public final class TcpFaultProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean stalled;
  private ServerSocket listener;

  private TcpFaultProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      this.port = probe.getLocalPort();
    }
    listen();
  }

  /**
   * A forwarding proxy in front of the server of {@code jdbcUrl}
   * ({@code jdbc:postgresql://HOST:PORT/…}), e.g. {@link PostgresTestDatabase#url()}.
   */
  public static TcpFaultProxy before(String jdbcUrl) throws IOException {
    URI server = URI.create(jdbcUrl.substring("jdbc:".length()));
    int serverPort = server.getPort() < 0 ? 5432 : server.getPort();
    return new TcpFaultProxy(new InetSocketAddress(server.getHost(), serverPort));
  }

  /**
   * {@code jdbcUrl} pointed at this proxy instead of its server; database and parameters kept. The
   * port stays the same across {@link #cut()} and {@link #forward()}.
   */
  public String proxied(String jdbcUrl) {
    return jdbcUrl.replaceFirst("//[^/]+/", "//127.0.0.1:" + port + "/");
  }

  /**
   * From now on every byte through the proxy, either way and on every connection (open or new), is
   * dropped; nothing is closed. Until {@link #forward()}.
   */
  public void stall() {
    stalled = true;
  }

  /** Closes every open connection and refuses new ones (nothing listens) until {@link #forward()}. */
  public synchronized void cut() throws IOException {
    if (listener != null) {
      listener.close();
      listener = null;
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  /** Forwards bytes again and accepts connections again (after {@link #stall()} or {@link #cut()}). */
  public synchronized void forward() throws IOException {
    stalled = false;
    listen();
  }

  private synchronized void listen() throws IOException {
    if (listener != null) {
      return;
    }
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    listener = server;
    Thread acceptor = new Thread(() -> acceptLoop(server), "tcp-fault-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed by cut() or close()
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (!stalled) {
            out.write(buffer, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // one side closed: close both below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "tcp-fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  /** Closes every connection and stops listening. */
  @Override
  public synchronized void close() throws IOException {
    cut();
  }
}
