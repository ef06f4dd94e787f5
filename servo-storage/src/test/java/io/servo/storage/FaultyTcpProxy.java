package io.servo.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of one target (the test PostgreSQL server), for the faults a
 * network has: {@link #stall()} keeps every connection open but drops every byte in both
 * directions, as a link whose packets vanish does (new connections are accepted and stall too);
 * {@link #refuse()} closes every connection and refuses new ones; {@link #forward()} goes back to
 * normal on the same port.
 */
final class FaultyTcpProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean stalled;
  private ServerSocket listener;

  private FaultyTcpProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      this.port = probe.getLocalPort();
    }
    listen();
  }

  /** A proxy in front of the server of {@code jdbcUrl} ({@code jdbc:postgresql://HOST:PORT/…}). */
  static FaultyTcpProxy before(String jdbcUrl) throws IOException {
    java.net.URI server = java.net.URI.create(jdbcUrl.substring("jdbc:".length()));
    return new FaultyTcpProxy(new InetSocketAddress(server.getHost(), server.getPort()));
  }

  /** {@code jdbcUrl} pointed at this proxy instead of its server. */
  String proxied(String jdbcUrl) {
    return jdbcUrl.replaceFirst("//[^/]+/", "//127.0.0.1:" + port + "/");
  }

  /** Every byte through the proxy, either way, is dropped from now on; nothing is closed. */
  void stall() {
    stalled = true;
  }

  /** Closes every connection and refuses new ones (nothing listens on the port). */
  synchronized void refuse() throws IOException {
    if (listener != null) {
      listener.close();
      listener = null;
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  /** Forwards again and accepts connections again. */
  synchronized void forward() throws IOException {
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
    Thread acceptor = new Thread(() -> acceptLoop(server), "faulty-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed by refuse() or close()
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
    }, "faulty-proxy-pump");
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

  @Override
  public synchronized void close() throws IOException {
    refuse();
  }
}
