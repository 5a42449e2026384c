package dsm;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The installer's answers. Read from the vendor's response-file keys (the "varfile") and written
 * for the service as dsm.properties. Every problem is collected first, so one failed run lists
 * them all, and validation happens before the installer touches anything.
 * Values of password keys never appear in a message.
 */
final class Config {
    static final String LICENSE = "LicenseScreen.License.-1";
    static final String ADMIN_USER = "CredentialsScreen.Administrator.Username";
    static final String ADMIN_PASSWORD = "CredentialsScreen.Administrator.Password";
    static final String DB_TYPE = "DatabaseScreen.DatabaseType";
    static final String DB_HOST = "DatabaseScreen.Hostname";
    static final String DB_NAME = "DatabaseScreen.DatabaseName";
    static final String DB_TRANSPORT = "DatabaseScreen.Transport";
    static final String DB_USER = "DatabaseScreen.Username";
    static final String DB_PASSWORD = "DatabaseScreen.Password";
    static final String MANAGER_PORT = "AddressAndPortsScreen.ManagerPort";
    static final String HEARTBEAT_PORT = "AddressAndPortsScreen.HeartbeatPort";
    static final String MANAGER_ADDRESS = "AddressAndPortsScreen.ManagerAddress";
    static final String NEW_NODE = "AddressAndPortsScreen.NewNode";
    static final String OVERWRITE = "UpgradeVerificationScreen.Overwrite";
    static final String RELAY = "RelayScreen.Install";
    static final String AUTOMATION = "Override.Automation";
    static final Set<String> KNOWN = Set.of(LICENSE, ADMIN_USER, ADMIN_PASSWORD, DB_TYPE, DB_HOST,
            DB_NAME, DB_TRANSPORT, DB_USER, DB_PASSWORD, MANAGER_PORT, HEARTBEAT_PORT,
            MANAGER_ADDRESS, NEW_NODE, OVERWRITE, RELAY, AUTOMATION);

    /** The relay port is not a response-file key in the vendor's installer either. */
    static final int RELAY_PORT = 4122;

    String dbHost, dbName, dbUser, dbPassword, managerAddress, adminUser;
    int dbPort = 5432, managerPort = 4119, heartbeatPort = 4120;
    boolean newNode, overwrite, relay = true;

    static Config fromVarfile(Path file) throws Main.Failure {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new Main.Failure(Main.EXIT_USAGE, "cannot read response file " + file
                    + ": no such file; pass an existing file with -varfile (an absolute path is safest)");
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.Failure(Main.EXIT_USAGE, "cannot read response file " + file + ": " + e
                    + "; it must be a readable UTF-8 Java properties file (key=value lines)");
        }
        List<String> errors = new ArrayList<>();
        Config c = new Config();
        required(p, LICENSE, "the activation code of the license", errors);
        c.adminUser = required(p, ADMIN_USER, "the console administrator's user name", errors);
        required(p, ADMIN_PASSWORD, "the console administrator's password", errors);

        String type = required(p, DB_TYPE, "PostgreSQL", errors);
        if (type != null && !type.equals("PostgreSQL")) {
            errors.add(type.equals("Microsoft SQL Server") || type.equals("Oracle")
                    ? DB_TYPE + "=" + type + " is valid for the vendor's installer, but this lab stand-in"
                      + " supports only PostgreSQL; set " + DB_TYPE + "=PostgreSQL and point it at a PostgreSQL server"
                    : DB_TYPE + "=" + type + " is not a database type; use one of: PostgreSQL,"
                      + " Microsoft SQL Server, Oracle (the stand-in supports only PostgreSQL)");
        }
        String host = required(p, DB_HOST, "the database server's host name, or host:port", errors);
        if (host != null) c.parseHost(host, errors);
        c.dbName = required(p, DB_NAME, "the name of the (existing, possibly empty) database", errors);
        String transport = p.getProperty(DB_TRANSPORT, "TCP").trim();
        if (!transport.equalsIgnoreCase("TCP")) {
            errors.add(DB_TRANSPORT + "=" + transport + " is not supported; set " + DB_TRANSPORT + "=TCP");
        }
        c.dbUser = required(p, DB_USER, "the database login that owns the manager's tables", errors);
        c.dbPassword = p.getProperty(DB_PASSWORD); // kept verbatim: a password may end in blanks
        if (c.dbPassword == null || c.dbPassword.isEmpty()) {
            errors.add(DB_PASSWORD + " is missing; set it to the password of " + DB_USER);
        }
        c.managerPort = port(p, MANAGER_PORT, 4119, errors);
        c.heartbeatPort = port(p, HEARTBEAT_PORT, 4120, errors);
        if (c.managerPort == c.heartbeatPort || c.managerPort == RELAY_PORT || c.heartbeatPort == RELAY_PORT) {
            errors.add(MANAGER_PORT + " (" + c.managerPort + "), " + HEARTBEAT_PORT + " (" + c.heartbeatPort
                    + ") and the relay port (" + RELAY_PORT + ") must all differ; change one of the two keys");
        }
        c.managerAddress = required(p, MANAGER_ADDRESS, "this node's own IPv4 address (without it the"
                + " vendor's install fails when VPC DNS host names are off)", errors);
        if (c.managerAddress != null && !c.managerAddress.matches("[A-Za-z0-9.:_-]+")) {
            errors.add(MANAGER_ADDRESS + "=" + c.managerAddress + " is not an address; set it to this node's IPv4 address");
        }
        c.newNode = bool(p, NEW_NODE, false, errors);
        c.overwrite = bool(p, OVERWRITE, false, errors);
        c.relay = bool(p, RELAY, true, errors);
        bool(p, AUTOMATION, false, errors);
        if (c.newNode && c.overwrite) {
            errors.add(NEW_NODE + "=true with " + OVERWRITE + "=True would overwrite the database the other"
                    + " nodes use; an extra node needs " + OVERWRITE + "=False");
        }
        if (!errors.isEmpty()) {
            throw new Main.Failure(Main.EXIT_USAGE, "response file " + file
                    + " cannot be used; nothing was changed:\n  - " + String.join("\n  - ", errors));
        }
        for (String key : p.stringPropertyNames()) {
            if (!KNOWN.contains(key)) System.out.println("dsm-install: warning: ignoring unknown key " + key + " in " + file);
        }
        return c;
    }

    /** host, host:port or [ipv6]:port, as the vendor's DatabaseScreen.Hostname accepts. */
    private void parseHost(String value, List<String> errors) {
        String h = value, port = null;
        int colon = value.lastIndexOf(':');
        if (value.startsWith("[") ? colon > value.indexOf(']') : colon >= 0 && colon == value.indexOf(':')) {
            h = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        if (h.isEmpty() || h.matches(".*[\\s/@?].*")) {
            errors.add(DB_HOST + "=" + value + " is not a host name; use host or host:port, e.g. db.example.internal:5432");
        }
        dbHost = h;
        if (port != null) {
            try {
                dbPort = Integer.parseInt(port);
                if (dbPort < 1 || dbPort > 65535) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                errors.add(DB_HOST + "=" + value + " has a bad port '" + port + "'; use host:port with a port from 1 to 65535");
            }
        }
    }

    private static String required(Properties p, String key, String what, List<String> errors) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            errors.add(key + " is missing" + (v == null ? "" : " (empty)") + "; set it to " + what);
            return null;
        }
        return v.trim();
    }

    private static int port(Properties p, String key, int dflt, List<String> errors) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= 65535) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        errors.add(key + "=" + v.trim() + " is not a TCP port; use a number from 1 to 65535 (default " + dflt + ")");
        return dflt;
    }

    private static boolean bool(Properties p, String key, boolean dflt, List<String> errors) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) return dflt;
        if (v.trim().equalsIgnoreCase("true")) return true;
        if (v.trim().equalsIgnoreCase("false")) return false;
        errors.add(key + "=" + v.trim() + " is not a boolean; use True or False");
        return dflt;
    }

    /** The service's settings file, dsm.properties (the installer writes it mode 0600). */
    Map<String, String> serviceProperties(String node, String keystorePassword) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("node.name", node);
        m.put("node.address", managerAddress);
        m.put("database.host", dbHost);
        m.put("database.port", Integer.toString(dbPort));
        m.put("database.name", dbName);
        m.put("database.user", dbUser);
        m.put("database.password", dbPassword);
        m.put("manager.port", Integer.toString(managerPort));
        m.put("heartbeat.port", Integer.toString(heartbeatPort));
        m.put("relay.port", Integer.toString(RELAY_PORT));
        m.put("relay.enabled", Boolean.toString(relay));
        m.put("admin.user", adminUser);
        m.put("keystore.file", Installer.HOME.resolve("dsm.keystore").toString());
        m.put("keystore.password", keystorePassword);
        m.put("monitor.period.seconds", "2");
        return m;
    }

    /** Properties-file text; values escaped so that Properties.load gives them back verbatim. */
    static String propertiesText(String header, Map<String, String> m) {
        StringBuilder b = new StringBuilder("# ").append(header).append('\n');
        m.forEach((k, v) -> {
            String e = v.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
            if (e.startsWith(" ")) e = "\\" + e;
            b.append(k).append('=').append(e).append('\n');
        });
        return b.toString();
    }

    static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }
}
