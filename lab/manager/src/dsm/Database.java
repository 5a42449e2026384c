package dsm;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The manager's shared database: two tables, the schema version and the node list.
 * <pre>
 *   dsm_schema (id = 1, version, manager_version, migrated_by, migrated_at)  one row
 *   dsm_nodes  (name PK, address, version, schema, state, last_seen)          one row per node
 * </pre>
 * The PostgreSQL JDBC driver comes from the host (/usr/share/java/postgresql.jar); the
 * jar is compiled against java.sql only.
 */
final class Database {
    /**
     * pg_advisory_lock key that serialises installers (the vendor forbids concurrent installs
     * against one database). 0x44534D is "DSM". Tests hold it from psql to simulate a second install.
     */
    static final long INSTALL_LOCK_KEY = 0x44534DL;

    final String host, name, user;
    final int port;
    private final String password;
    /**
     * More JDBC parameters, as the vendor's dsm.properties key database.PostgreSQL.connectionParameters
     * gives them (e.g. sslmode=require). Empty: the driver's default, sslmode=prefer, which tries TLS
     * and falls back to clear text - what the installer uses before that key is written.
     */
    private final String parameters;

    Database(String host, int port, String name, String user, String password) {
        this(host, port, name, user, password, "");
    }

    Database(String host, int port, String name, String user, String password, String parameters) {
        this.host = host;
        this.port = port;
        this.name = name;
        this.user = user;
        this.password = password;
        this.parameters = parameters == null ? "" : parameters.trim();
        if (!this.parameters.isEmpty() && !this.parameters.matches("[A-Za-z]+=[^&=\\s]+(&[A-Za-z]+=[^&=\\s]+)*")) {
            throw new IllegalArgumentException("database.PostgreSQL.connectionParameters=" + this.parameters
                    + " is not a list of JDBC parameters; write it as key=value&key=value, e.g. sslmode=verify-full");
        }
    }

    String describe() {
        return "'" + name + "' on " + host + ":" + port;
    }

    /**
     * Opens a connection. The TCP connect timeout makes a dead or moved database show up within
     * seconds instead of after the kernel's TCP timeouts. The login timeout bounds the whole
     * login (name lookup, TCP, authentication), which in a cold JVM on a busy host is mostly
     * class loading, so a one-off caller gives it more room than a long-running one. The
     * password travels in Properties, never in the URL, so it cannot leak through a logged URL.
     */
    Connection connect(String application, int loginTimeoutSeconds, int socketTimeoutSeconds) throws SQLException {
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + name
                + "?connectTimeout=5&loginTimeout=" + loginTimeoutSeconds + "&socketTimeout=" + socketTimeoutSeconds
                + "&tcpKeepAlive=true&ApplicationName=" + application
                + (parameters.isEmpty() ? "" : "&" + parameters);
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return DriverManager.getConnection(url, p);
    }

    /** The driver's message plus its cause ("The connection attempt failed" alone says little). */
    static String explain(SQLException e) {
        String m = String.valueOf(e.getMessage()).replaceAll("[.\\s]+$", "");
        Throwable cause = e.getCause();
        return cause == null || cause.getMessage() == null || m.contains(cause.getMessage()) ? m
                : m + " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
    }

    /** The schema row, or null when the database holds no manager installation yet. */
    static SchemaRow schema(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT to_regclass('dsm_schema') IS NOT NULL")) {
            r.next();
            if (!r.getBoolean(1)) return null;
        }
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT version, manager_version FROM dsm_schema WHERE id = 1")) {
            return r.next() ? new SchemaRow(r.getInt(1), r.getString(2)) : null;
        }
    }

    record SchemaRow(int version, String managerVersion) {}

    static List<String> nodes(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT name || ' (' || version || ', ' || state || ')' FROM dsm_nodes ORDER BY name")) {
            while (r.next()) out.add(r.getString(1));
        }
        return out;
    }

    /** Session-level lock: held until released or until the connection ends (crash-safe). */
    static boolean tryInstallLock(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            s.setLong(1, INSTALL_LOCK_KEY);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getBoolean(1);
            }
        }
    }

    /** Who holds the install lock, as far as this login may see (pg_stat_activity hides other users' details). */
    static String lockHolder(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l"
                + " LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                + " AND l.granted AND l.classid = ? AND l.objid = ? AND l.objsubid = 1")) {
            s.setLong(1, INSTALL_LOCK_KEY >>> 32);
            s.setLong(2, INSTALL_LOCK_KEY & 0xffffffffL);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) return "holder unknown";
                return "held by server process " + r.getInt(1)
                        + (r.getString(2) != null && !r.getString(2).isEmpty() ? ", application " + r.getString(2) : "")
                        + (r.getString(3) != null ? ", client " + r.getString(3) : "")
                        + (r.getTimestamp(4) != null ? ", connected since " + r.getTimestamp(4) : "");
            }
        }
    }

    static void createSchema(Connection c, int schema, String version, String node) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE dsm_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL,"
                    + " manager_version text NOT NULL, migrated_by text NOT NULL,"
                    + " migrated_at timestamptz NOT NULL DEFAULT now())");
            s.execute("CREATE TABLE dsm_nodes (name text PRIMARY KEY, address text NOT NULL,"
                    + " version text NOT NULL, schema int NOT NULL, state text NOT NULL,"
                    + " last_seen timestamptz NOT NULL DEFAULT now())");
        }
        setSchema(c, schema, version, node, true);
    }

    static void setSchema(Connection c, int schema, String version, String node, boolean insert) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(insert
                ? "INSERT INTO dsm_schema (version, manager_version, migrated_by, id) VALUES (?, ?, ?, ?)"
                : "UPDATE dsm_schema SET version = ?, manager_version = ?, migrated_by = ?, migrated_at = now() WHERE id = ?")) {
            s.setInt(1, schema);
            s.setString(2, version);
            s.setString(3, node);
            s.setInt(4, 1);
            s.executeUpdate();
        }
    }

    static void registerNode(Connection c, String node, String address, String version, int schema) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO dsm_nodes (name, address, version, schema, state, last_seen) VALUES (?, ?, ?, ?, 'Installing', now())"
                + " ON CONFLICT (name) DO UPDATE SET address = excluded.address, version = excluded.version,"
                + " schema = excluded.schema, state = excluded.state, last_seen = now()")) {
            s.setString(1, node);
            s.setString(2, address);
            s.setString(3, version);
            s.setInt(4, schema);
            s.executeUpdate();
        }
    }

    /** The running node's heartbeat into its row; false when the row is gone (node decommissioned). */
    static boolean touchNode(Connection c, String node, String state) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE dsm_nodes SET state = ?, last_seen = now() WHERE name = ?")) {
            s.setString(1, state);
            s.setString(2, node);
            return s.executeUpdate() == 1;
        }
    }
}
