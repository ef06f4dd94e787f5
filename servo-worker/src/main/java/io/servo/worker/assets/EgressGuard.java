package io.servo.worker.assets;

import io.servo.core.tenant.TenantGrants;
import io.servo.core.tenant.TenantPolicy;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Where an {@code http} asset may connect. It never reaches this machine or the cloud's metadata
 * server: not loopback (127.0.0.0/8, ::1), not the unspecified address (0.0.0.0/8, ::), not
 * link-local (169.254.0.0/16, fe80::/10, which holds the metadata server 169.254.169.254), not the
 * metadata names and addresses ({@code metadata.google.internal}, {@code metadata},
 * fd00:ec2::254), not any address of this machine's network interfaces (which covers the worker's
 * own ports), nor those IPv4 addresses written as IPv6 (::ffff:127.0.0.1, ::127.0.0.1,
 * 64:ff9b::127.0.0.1) — unless the operator granted the host as written in the URL ({@link
 * TenantGrants#mayReach}). Private RFC 1918 ranges (10/8, 172.16/12, 192.168/16) stay reachable on
 * purpose: internal services on the VPC are a normal target of a workflow.
 *
 * <p>Why the check is exact, i.e. holds for the address actually connected to (no DNS rebinding,
 * no time-of-check/time-of-use gap): the host is resolved once, here, and every address it
 * resolves to is checked. Then
 *
 * <ul>
 *   <li>{@code http://} by name: the request is sent to the URL with the host replaced by the
 *       checked address as an IP literal, and the name goes in the {@code Host} header. The JDK
 *       client does no lookup of an IP literal (it parses it), and its connection pool is keyed by
 *       that literal address, so it connects to exactly the checked address, for this request and
 *       any that reuses the connection. Setting {@code Host} needs {@code
 *       jdk.httpclient.allowRestrictedHeaders} to contain {@code host} when the JDK client's
 *       internal {@code Utils} class initialises (JDK 17 reads it once, splits it on commas, and
 *       does not trim the entries): {@link #allowHostHeader()} adds it, the worker's JVM is also
 *       started with it (Dockerfile, surefire), and {@link #hostHeaderEffective()} asks the JDK at
 *       run time. When it is not effective, such a request is refused: it is never sent by name.
 *   <li>an IP literal ({@code http://127.0.0.1/}, {@code https://[::1]/}): there is no lookup to
 *       rebind; the address checked is the one the client parses from the same text.
 *   <li>{@code https://} by name: the JDK client verifies the server's certificate against the
 *       name in the URL, so the request (method, path, headers, body) is only sent to a peer that
 *       holds a certificate for that name; the checked answer is only a precondition. A rebinding
 *       between this lookup and the client's own can still make the client open a TCP connection
 *       and send a TLS ClientHello to the rebound address — not the request. Pinning https to an
 *       address would need per-request SNI and host name verification, which the JDK 17 client
 *       only configures per client, or a forward proxy of our own.
 * </ul>
 */
public final class EgressGuard {
  /** Resolves a host to all its addresses: the one lookup the guard checks. */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  static final String ALLOW_RESTRICTED_HEADERS = "jdk.httpclient.allowRestrictedHeaders";
  private static final Pattern DOTTED_QUAD = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final byte[] EC2_METADATA_V6 = literal("fd00:ec2::254").getAddress();

  /**
   * Where the request goes: {@code uri} to send to (the pinned address when {@code hostHeader} is
   * set), or why it is refused.
   */
  record Route(URI uri, String hostHeader, String refusal) {
    static Route refused(String reason) {
      return new Route(null, null, reason);
    }
  }

  private final Resolver resolver;
  private final boolean hostHeaderEffective;

  EgressGuard() {
    this(InetAddress::getAllByName, hostHeaderEffective());
  }

  EgressGuard(Resolver resolver, boolean hostHeaderEffective) {
    this.resolver = resolver;
    this.hostHeaderEffective = hostHeaderEffective;
  }

  /**
   * Adds {@code host} to {@value #ALLOW_RESTRICTED_HEADERS}, keeping what is there. Effective only
   * when called before the JVM's first use of the JDK HTTP client; {@link #hostHeaderEffective()}
   * tells whether it was.
   */
  public static void allowHostHeader() {
    String current = System.getProperty(ALLOW_RESTRICTED_HEADERS);
    if (current == null || current.isBlank()) {
      System.setProperty(ALLOW_RESTRICTED_HEADERS, "host");
    } else if (Arrays.stream(current.split(",")).noneMatch("host"::equalsIgnoreCase)) {
      System.setProperty(ALLOW_RESTRICTED_HEADERS, current + ",host");
    }
  }

  /** Whether this JVM's HTTP client lets a request set {@code Host}: the JDK decided it once. */
  static boolean hostHeaderEffective() {
    try {
      HttpRequest.newBuilder().header("Host", "probe");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * @param uri the request's URL, references resolved, scheme http or https, with a host
   * @param written the URL as written in the workflow; reasons name the host only when it is
   *     written there literally (a host from {@code ${env:…}} may be a secret)
   * @throws UnknownHostException when the host does not resolve
   */
  Route route(URI uri, String written, TenantGrants grants) throws UnknownHostException {
    String host = uri.getHost();
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    String name = bare.toLowerCase(Locale.ROOT);
    name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80;
    if (grants.mayReach(host, port)) {
      return new Route(uri, null, null); // the operator allowed it, wherever it points
    }
    String shown = written.contains("${") ? "the URL's host" : host;
    String hint = ", which http assets may not reach; an operator allows a host with "
        + TenantPolicy.variable(grants.tenant(), TenantPolicy.HTTP_HOSTS) + "=host:port";
    if (TenantPolicy.METADATA_NAMES.contains(name)) {
      return Route.refused(shown + " is the metadata server" + hint);
    }
    // What the JDK parses without a lookup: a bracketed IPv6 literal or a dotted quad.
    boolean literal = host.startsWith("[") || DOTTED_QUAD.matcher(host).matches();
    InetAddress[] addresses = resolver.resolve(bare);
    Set<InetAddress> own;
    try {
      own = NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
          .collect(Collectors.toSet());
    } catch (SocketException e) {
      return Route.refused("this machine's own addresses cannot be listed (" + e.getMessage()
          + "), so no address can be checked");
    }
    for (InetAddress address : addresses) {
      String kind = forbidden(address, own);
      if (kind != null) {
        String a = address.getHostAddress();
        return Route.refused((literal && !written.contains("${") ? a + " is " : shown + " resolves to " + a + ", ")
            + kind + hint);
      }
    }
    if (https || literal) {
      return new Route(uri, null, null); // see the class comment: no lookup, or a verified name
    }
    if (!hostHeaderEffective) {
      return Route.refused(shown + " cannot be pinned to the address checked: the worker's JVM does "
          + "not let requests set Host (start it with -D" + ALLOW_RESTRICTED_HEADERS + "=host)");
    }
    InetAddress checked = addresses[0]; // the address the JDK client would have taken
    String ip = checked instanceof Inet6Address ? "[" + checked.getHostAddress() + "]" : checked.getHostAddress();
    try {
      URI pinned = new URI(uri.getScheme() + "://" + (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@")
          + ip + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + uri.getRawPath()
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      return new Route(pinned, host + (uri.getPort() >= 0 ? ":" + uri.getPort() : ""), null);
    } catch (URISyntaxException e) {
      return Route.refused(shown + " cannot be pinned to " + ip + ": " + e.getReason());
    }
  }

  /** What is wrong with connecting to {@code address}, or null when it may be reached. */
  static String forbidden(InetAddress address, Set<InetAddress> own) {
    if (address.isAnyLocalAddress()) {
      return "the unspecified address";
    }
    if (address.isLoopbackAddress()) {
      return "a loopback address";
    }
    if (address.isLinkLocalAddress() || Arrays.equals(address.getAddress(), EC2_METADATA_V6)) {
      return "a link-local or metadata address";
    }
    byte[] bytes = address.getAddress();
    if (address instanceof Inet4Address && bytes[0] == 0) {
      return "the unspecified address"; // 0.0.0.0/8 is "this host"
    }
    if (address instanceof Inet6Address && embedsIpv4(bytes)) {
      // ::ffff:a.b.c.d (Java parses it as IPv4 already), ::a.b.c.d and NAT64's 64:ff9b::a.b.c.d
      String inner = forbidden(literal(Arrays.copyOfRange(bytes, 12, 16)), own);
      if (inner != null) {
        return inner + " written as IPv6";
      }
    }
    for (InetAddress mine : own) {
      if (Arrays.equals(mine.getAddress(), bytes)) {
        return "an address of the worker's own machine";
      }
    }
    // Private ranges (RFC 1918, fc00::/7) are not refused: services on the VPC are a normal target.
    return null;
  }

  private static boolean embedsIpv4(byte[] v6) {
    boolean zeros = true;
    for (int i = 0; i < 10; i++) {
      zeros &= v6[i] == 0;
    }
    boolean mappedOrCompatible = zeros && ((v6[10] == 0 && v6[11] == 0) || (v6[10] == -1 && v6[11] == -1));
    boolean nat64 = v6[0] == 0 && v6[1] == 0x64 && v6[2] == (byte) 0xff && v6[3] == (byte) 0x9b;
    for (int i = 4; nat64 && i < 12; i++) {
      nat64 = v6[i] == 0;
    }
    return mappedOrCompatible || nat64;
  }

  private static InetAddress literal(String text) {
    try {
      return InetAddress.getByName(text); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static InetAddress literal(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
