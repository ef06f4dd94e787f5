package io.servo.worker.assets;

import io.servo.core.tenant.TenantPolicy;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.postgresql.PGConnection;

/**
 * Each tenant's role in a shared PostgreSQL warehouse: a LOGIN role of that tenant only, which owns
 * the tenant's schema and nothing else, and may not create in any other schema or in the database.
 * The tenant's statements run on connections that log in as it, so no {@code RESET ROLE} or {@code
 * SET ROLE} gets back to the worker's own user.
 *
 * <p>Its password is an HMAC of the worker's secret over the database and the tenant: every worker
 * instance computes the same one, and nobody without the secret can. It is set (as a SCRAM verifier,
 * so the server never sees or logs it in clear) whenever the role is provisioned.
 */
final class PostgresTenantRoles {
  /**
   * How many sessions a tenant's role may have at once, on all workers together: room for eight
   * worker instances, each with a pool of {@link Warehouse#TENANT_POOL_SIZE}.
   */
  static final int CONNECTION_LIMIT = 32;
  private static final int MAX_IDENTIFIER_BYTES = 63;
  private static final String PASSWORD_LABEL = "servo-warehouse-tenant-role-password/v1";

  private final byte[] secret;

  PostgresTenantRoles(byte[] secret) {
    if (secret == null || secret.length == 0) {
      throw new IllegalArgumentException("the worker's secret is required to derive tenant role passwords");
    }
    this.secret = secret.clone();
  }

  /**
   * {@code servo_t_<database>_<tenant>_<hash>}, lower case, at most 63 bytes: roles are cluster-wide,
   * so the name includes the database; the hash of the exact database and tenant names tells apart
   * names that lower-casing, truncation or an underscore would merge ({@code Acme} and {@code acme},
   * database {@code a_b} with tenant {@code c} and database {@code a} with tenant {@code b_c}).
   */
  static String roleName(String database, String tenant) {
    String hash = "_" + hash(database + "\0" + tenant).substring(0, 10);
    String readable = ("servo_t_" + database + "_" + tenant).toLowerCase(Locale.ROOT);
    return truncate(readable, MAX_IDENTIFIER_BYTES - hash.length()) + hash;
  }

  /**
   * {@code tenant_<tenant>}; a name too long for that is cut and given a hash after a {@code #},
   * which no tenant name contains, so it is never another tenant's schema.
   */
  static String schemaName(String tenant) {
    String name = "tenant_" + tenant;
    if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_IDENTIFIER_BYTES) {
      return name;
    }
    String hash = "#" + hash(tenant).substring(0, 16);
    return truncate(name, MAX_IDENTIFIER_BYTES - hash.length()) + hash;
  }

  /** The role's password: HMAC-SHA256 of the worker's secret over a label, the database and the tenant. */
  String password(String database, String tenant) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] digest = mac.doFinal((PASSWORD_LABEL + "\0" + database + "\0" + tenant).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * Creates (or re-asserts) the tenant's role, password and schema through the worker's own
   * connection, then checks that the role has no more than it should. Safe when several workers do
   * it at once: they take a transaction-scoped advisory lock on the role's name first.
   *
   * @return the role's name
   * @throws SQLException with a message for the operator (never the password) when it cannot be
   *     done or the role has rights it must not have
   */
  String provision(Connection admin, String database, String tenant) throws SQLException {
    String role = roleName(database, tenant);
    String schema = schemaName(tenant);
    String r = quote(role);
    String s = quote(schema);
    boolean autoCommit = admin.getAutoCommit();
    admin.setAutoCommit(false);
    try (Statement st = admin.createStatement()) {
      boolean superuser;
      boolean createRole;
      try (ResultSet rs = st.executeQuery(
          "SELECT rolsuper, rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
        rs.next();
        superuser = rs.getBoolean(1);
        createRole = rs.getBoolean(2);
      }
      if (!superuser && !createRole) {
        throw new SQLException(cannotProvision(admin, database, tenant, "it lacks CREATEROLE"), "42501");
      }
      try (PreparedStatement lock = admin.prepareStatement(
          "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(?), 1937139055)")) {
        lock.setString(1, role);
        lock.execute();
      }
      boolean exists;
      try (PreparedStatement p = admin.prepareStatement("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?")) {
        p.setString(1, role);
        try (ResultSet rs = p.executeQuery()) {
          exists = rs.next();
        }
      }
      String attributes = " LOGIN NOINHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT " + CONNECTION_LIMIT;
      if (!exists) {
        st.execute("CREATE ROLE " + r + attributes + " NOSUPERUSER NOREPLICATION NOBYPASSRLS");
      } else if (superuser) {
        st.execute("ALTER ROLE " + r + attributes + " NOSUPERUSER NOREPLICATION NOBYPASSRLS");
      } else {
        st.execute("ALTER ROLE " + r + attributes);
      }
      // Hashed here (SCRAM): the statement the server sees and may log holds no password.
      admin.unwrap(PGConnection.class).alterUserPassword(role, password(database, tenant).toCharArray(), "scram-sha-256");
      if (!superuser) {
        // CREATE SCHEMA … AUTHORIZATION needs the creator to be a member of the owner.
        st.execute("GRANT " + r + " TO CURRENT_USER");
      }
      st.execute("CREATE SCHEMA IF NOT EXISTS " + s + " AUTHORIZATION " + r);
      st.execute("ALTER ROLE " + r + " SET search_path TO " + s);
      st.execute("REVOKE ALL ON SCHEMA public FROM " + r);
      try (PreparedStatement p = admin.prepareStatement("SELECT pg_catalog.has_schema_privilege(?, 'public', 'CREATE')"
          + " FROM pg_catalog.pg_namespace WHERE nspname = 'public'")) {
        p.setString(1, role);
        try (ResultSet rs = p.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            // PostgreSQL before 15 lets every role create in public.
            st.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
          }
        }
      }
      verify(admin, role, schema, database, tenant);
      admin.commit();
      return role;
    } catch (SQLException e) {
      rollback(admin);
      if ("42501".equals(e.getSQLState()) && !e.getMessage().startsWith("the warehouse user")) {
        throw new SQLException(cannotProvision(admin, database, tenant, e.getMessage()), "42501", e);
      }
      throw e;
    } finally {
      try {
        admin.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // the connection is broken; it is closed by the caller
      }
    }
  }

  /** Fails unless the role has exactly what a tenant's role may have. */
  private static void verify(Connection admin, String role, String schema, String database, String tenant)
      throws SQLException {
    try (PreparedStatement p = admin.prepareStatement("""
        SELECT r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls
                 OR r.rolinherit,
               EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid),
               pg_catalog.has_database_privilege(r.oid, pg_catalog.current_database(), 'CREATE'),
               (SELECT n.nspowner = r.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = ?),
               (SELECT pg_catalog.string_agg(n.nspname, ', ') FROM pg_catalog.pg_namespace n
                 WHERE n.nspname <> ? AND n.nspowner <> r.oid
                   AND (pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')
                        OR (n.nspname = 'servo' AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE'))))
        FROM pg_catalog.pg_roles r WHERE r.rolname = ?""")) {
      p.setString(1, schema);
      p.setString(2, schema);
      p.setString(3, role);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("the tenant's role " + quote(role) + " was not created");
        }
        String problem = rs.getBoolean(1) ? "it has a superuser, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS or INHERIT attribute"
            : rs.getBoolean(2) ? "it is a member of another role"
            : rs.getBoolean(3) ? "it may CREATE in database " + quote(database) + " (REVOKE CREATE ON DATABASE "
                + quote(database) + " FROM PUBLIC)"
            : !rs.getBoolean(4) ? "schema " + quote(schema) + " exists and is owned by another role"
            : rs.getString(5) != null ? "it may use or create in schema(s) " + rs.getString(5)
                + " (e.g. REVOKE CREATE ON SCHEMA public FROM PUBLIC)"
            : null;
        if (problem != null) {
          throw new SQLException("tenant '" + tenant + "' cannot be confined in the shared warehouse: its role "
              + quote(role) + " " + problem + "; fix it, or give the tenant its own warehouse with "
              + TenantPolicy.variable(tenant, TenantPolicy.WAREHOUSE_URL));
        }
      }
    }
  }

  private static String cannotProvision(Connection admin, String database, String tenant, String why) {
    String user;
    try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user")) {
      rs.next();
      user = quote(rs.getString(1));
    } catch (SQLException e) {
      user = "(the user of SERVO_WAREHOUSE_URL)";
    }
    return "the warehouse user " + user + " cannot set up tenant '" + tenant + "''s own role in database "
        + quote(database) + " (" + why + "): an operator grants it with ALTER ROLE " + user
        + " CREATEROLE; GRANT CREATE ON DATABASE " + quote(database) + " TO " + user
        + ", or gives the tenant its own warehouse with " + TenantPolicy.variable(tenant, TenantPolicy.WAREHOUSE_URL);
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String truncate(String s, int maxBytes) {
    StringBuilder out = new StringBuilder();
    int bytes = 0;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + n > maxBytes) {
        break;
      }
      out.appendCodePoint(cp);
      bytes += n;
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  private static String hash(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // broken connection
    }
  }
}
