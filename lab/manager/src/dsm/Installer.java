package dsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unattended install, upgrade and node join. Order matters:
 * 1. everything that can refuse (response file, local downgrade, database reachable, install lock,
 *    database state) is checked before anything is changed, so a refused run leaves no trace;
 * 2. then, still holding the lock: stop the service, replace files, create or migrate the
 *    schema, register the node, start the service.
 * The lock is a PostgreSQL session advisory lock on this run's connection, so it also ends if
 * the installer dies.
 */
final class Installer {
    static final Path HOME = Path.of("/opt/dsm");
    static final Path UNIT = Path.of("/etc/systemd/system/dsm_s.service");
    static final String JDBC_JAR = "/usr/share/java/postgresql.jar";
    /** Fault injection: seconds to pause once the files are replaced, before the database work (lab drills). */
    static final Path PAUSE_FILE = Path.of("/etc/dsm-lab/install-pause-seconds");

    private final Path varfile;

    Installer(Path varfile) {
        this.varfile = varfile;
    }

    void run() throws Exception {
        Config cfg = Config.fromVarfile(varfile);
        String node = Main.hostName();
        say("manager %s (database schema %d) on node %s", Main.VERSION, Main.SCHEMA, node);

        Path versionFile = HOME.resolve("version");
        String installed = Files.exists(versionFile) ? Files.readString(versionFile).trim() : null;
        if (installed != null && Main.compareVersions(installed, Main.VERSION) > 0) {
            throw new Main.Failure(Main.EXIT_REFUSED, "refusing to downgrade: this node runs manager " + installed
                    + " and this installer is " + Main.VERSION + "; nothing was changed. Use installer "
                    + installed + " or newer.");
        }

        Database db = new Database(cfg.dbHost, cfg.dbPort, cfg.dbName, cfg.dbUser, cfg.dbPassword);
        // A long socket timeout: this connection sits idle while a migration runs.
        try (Connection c = connect(db, node)) {
            if (!Database.tryInstallLock(c)) {
                throw new Main.Failure(Main.EXIT_REFUSED, "another manager installation is in progress against database "
                        + db.describe() + " (install lock " + Database.lockHolder(c) + "); installs must run one at a"
                        + " time. Nothing was changed; run this installer again when the other one has finished.");
            }
            say("holding the install lock on database %s", db.describe());
            Database.SchemaRow row = Database.schema(c);
            boolean migrate = decide(cfg, db, c, row, installed);
            apply(cfg, db, c, row, migrate, node, installed);
        }
        say("manager %s installed on %s; dsm_s started", Main.VERSION, node);
    }

    private static Connection connect(Database db, String node) throws Main.Failure {
        try {
            // The installer logs in once, from a JVM that has just started: on a starved host that
            // took 17 s (lab node limited to 5 % of a core), so 10 s refused a healthy database.
            return db.connect("dsm-install:" + node, 60, 600);
        } catch (SQLException e) {
            throw new Main.Failure(Main.EXIT_DATABASE, "cannot connect to PostgreSQL database " + db.describe() + " as "
                    + db.user + ": " + Database.explain(e) + ". Nothing was changed. Check " + Config.DB_HOST + ", "
                    + Config.DB_NAME + ", " + Config.DB_USER + " and " + Config.DB_PASSWORD
                    + ", and that the server accepts password logins from this node.");
        }
    }

    /** Returns true when the schema must be migrated; throws when the install must not go ahead. */
    private static boolean decide(Config cfg, Database db, Connection c, Database.SchemaRow row, String installed)
            throws Main.Failure, SQLException {
        if (row == null) {
            if (cfg.newNode) {
                throw new Main.Failure(Main.EXIT_REFUSED, Config.NEW_NODE + "=true, but database " + db.describe()
                        + " holds no manager installation yet, so there is nothing to join. Nothing was changed."
                        + " Install the first node with " + Config.NEW_NODE + "=false, then add nodes with true.");
            }
            say("database %s is empty: this is the first node", db.describe());
            return false;
        }
        if (installed == null && !cfg.newNode) {
            throw new Main.Failure(Main.EXIT_REFUSED, "database " + db.describe() + " already holds a manager installation"
                    + " (schema " + row.version() + ", manager " + row.managerVersion() + ", nodes: "
                    + String.join(", ", Database.nodes(c)) + ") and this host has none. Nothing was changed. To add"
                    + " this host as another node set " + Config.NEW_NODE + "=true (with " + Config.OVERWRITE + "=False).");
        }
        if (row.version() > Main.SCHEMA) {
            throw new Main.Failure(Main.EXIT_REFUSED, "refusing to downgrade: database " + db.describe() + " is at schema "
                    + row.version() + " (manager " + row.managerVersion() + ") and this installer carries schema "
                    + Main.SCHEMA + " (manager " + Main.VERSION + "); nothing was changed. Use installer "
                    + row.managerVersion() + " or newer.");
        }
        if (row.version() < Main.SCHEMA) {
            say("database schema %d will be migrated to %d (the nodes still on schema %d go Offline (Upgrade Required)"
                    + " until they are upgraded)", row.version(), Main.SCHEMA, row.version());
            return true;
        }
        say("database schema %d matches: no migration", row.version());
        return false;
    }

    private static void apply(Config cfg, Database db, Connection c, Database.SchemaRow row, boolean migrate,
                              String node, String installed) throws Exception {
        boolean hadUnit = Files.exists(UNIT);
        if (hadUnit) {
            say("stopping dsm_s (installed: %s)", installed == null ? "unknown" : installed);
            systemctl("stop", "dsm_s");
        }
        Files.createDirectories(HOME);
        Path self = Path.of(Installer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = HOME.resolve("dsm-manager.jar");
        Files.copy(self, HOME.resolve("dsm-manager.jar.new"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(HOME.resolve("dsm-manager.jar.new"), jar, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        // Keep the keystore (and so the certificate agents and load balancers trust) across upgrades.
        Path props = HOME.resolve("dsm.properties"), keystore = HOME.resolve("dsm.keystore");
        String ksPassword = null;
        if (Files.exists(props) && Files.exists(keystore)) ksPassword = Config.load(props).getProperty("keystore.password");
        if (ksPassword == null) {
            ksPassword = randomSecret();
            createKeystore(keystore, ksPassword, node, cfg.managerAddress);
        } else {
            say("keeping the existing keystore %s", keystore);
        }
        // Settings an operator added (e.g. database.PostgreSQL.connectionParameters) survive an upgrade.
        Map<String, String> settings = new LinkedHashMap<>(cfg.serviceProperties(node, ksPassword));
        if (Files.exists(props)) Config.load(props).forEach((k, v) -> settings.putIfAbsent((String) k, (String) v));
        writePrivate(props, Config.propertiesText("dsm_s settings, written by the installer " + Main.VERSION
                + "; holds secrets: keep mode 0600", settings));
        writeVmOptions(HOME.resolve("dsm_s.vmoptions"));
        Files.writeString(UNIT, unit());
        pauseForFaultInjection();

        c.setAutoCommit(false);
        if (row == null) {
            Database.createSchema(c, Main.SCHEMA, Main.VERSION, node);
            say("created schema %d in database %s", Main.SCHEMA, db.describe());
        } else if (migrate) {
            int seconds = migrationSeconds();
            say("migrating database schema %d -> %d (takes %d s; DSM_SCHEMA_MIGRATION_SECONDS)", row.version(), Main.SCHEMA, seconds);
            for (int left = seconds; left > 0; left -= 5) Thread.sleep(Math.min(left, 5) * 1000L);
            Database.setSchema(c, Main.SCHEMA, Main.VERSION, node, false);
        }
        Database.registerNode(c, node, cfg.managerAddress, Main.VERSION, Main.SCHEMA);
        c.commit();
        if (migrate) say("database schema is now %d", Main.SCHEMA);
        say("node %s registered in database %s", node, db.describe());
        Files.writeString(HOME.resolve("version"), Main.VERSION + "\n");

        systemctl("daemon-reload");
        systemctl("enable", "--now", "dsm_s");
        if (!hadUnit) say("dsm_s enabled and started");
        else say("dsm_s started again");
        Thread.sleep(1000); // a JVM that cannot start at all (bad vmoptions) fails within a second
        if (!systemctl("is-active", "--quiet", "dsm_s")) {
            throw new Main.Failure(1, "dsm_s did not stay running; see journalctl -u dsm_s and "
                    + HOME.resolve("dsm_s.vmoptions"));
        }
    }

    /**
     * The window a drill needs to hit an install part-way: dsm_s stopped, the files of this version in place, the
     * version file and the database not yet written. Only when /etc/dsm-lab/install-pause-seconds exists.
     */
    private static void pauseForFaultInjection() throws IOException, InterruptedException {
        if (!Files.exists(PAUSE_FILE)) return;
        int seconds = Integer.parseInt(Files.readString(PAUSE_FILE).trim());
        say("fault injection: pausing %d s with the files replaced, before the database work (%s)", seconds, PAUSE_FILE);
        Thread.sleep(seconds * 1000L);
    }

    /** Length of the simulated schema migration: DSM_SCHEMA_MIGRATION_SECONDS, default 20. */
    private static int migrationSeconds() throws Main.Failure {
        String v = System.getenv().getOrDefault("DSM_SCHEMA_MIGRATION_SECONDS", "20");
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new Main.Failure(Main.EXIT_USAGE, "DSM_SCHEMA_MIGRATION_SECONDS=" + v + " is not a number of seconds");
    }

    /**
     * Heap and JVM flags. The Ansible role owns this file once installed, so an existing one is
     * kept; only the DNS cache flags are added if missing, so the JVM follows a database name that
     * moves (RDS Multi-AZ failover flips DNS).
     */
    private static void writeVmOptions(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        if (Files.exists(file)) {
            lines.addAll(Files.readAllLines(file));
        } else {
            lines.add("# JVM options of dsm_s, one a line (a java @argument file).");
            lines.add("-Xmx512m");
        }
        for (String flag : List.of("-Dsun.net.inetaddr.ttl=10", "-Dsun.net.inetaddr.negative.ttl=0")) {
            String key = flag.substring(0, flag.indexOf('=') + 1);
            if (lines.stream().noneMatch(l -> l.trim().startsWith(key))) lines.add(flag);
        }
        Files.writeString(file, String.join("\n", lines) + "\n");
    }

    private static String unit() {
        String java = ProcessHandle.current().info().command().orElse("/usr/bin/java");
        return "# Written by the manager installer " + Main.VERSION + ".\n"
                + "[Unit]\nDescription=Deep Security Manager (lab stand-in)\n"
                + "Wants=network-online.target\nAfter=network-online.target\n\n"
                + "[Service]\nType=simple\n"
                + "ExecStart=" + java + " @" + HOME.resolve("dsm_s.vmoptions") + " -cp " + HOME.resolve("dsm-manager.jar")
                + ":" + JDBC_JAR + " dsm.Main server " + HOME.resolve("dsm.properties") + "\n"
                + "Restart=on-failure\nRestartSec=5\n"
                + "# The JVM exits 143 on SIGTERM: a normal stop, not a failure.\nSuccessExitStatus=143\n\n"
                + "[Install]\nWantedBy=multi-user.target\n";
    }

    /** keytool reads the store password from its environment (":env"), never from its command line. */
    private static void createKeystore(Path keystore, String password, String node, String address) throws Exception {
        Path tmp = keystore.resolveSibling("dsm.keystore.new");
        Files.deleteIfExists(tmp);
        String san = "dns:" + node + (address.matches("[0-9.]+") ? ",ip:" + address : ",dns:" + address);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "dsm", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                "-dname", "CN=" + node, "-ext", "SAN=" + san, "-storetype", "PKCS12",
                "-keystore", tmp.toString(), "-storepass:env", "DSM_KEYSTORE_PASSWORD");
        pb.environment().put("DSM_KEYSTORE_PASSWORD", password);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new Main.Failure(1, "keytool failed to create the keystore: " + out.trim());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, keystore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        say("created keystore %s with a self-signed certificate for %s (%s)", keystore, node, san);
    }

    /** Written to a 0600 temporary file and renamed, so the secret is never readable by others. */
    private static void writePrivate(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), ".dsm", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean systemctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("systemctl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        int rc = p.waitFor();
        if (rc != 0 && !args[0].equals("is-active")) {
            throw new Main.Failure(1, String.join(" ", cmd) + " failed (exit " + rc + "); see journalctl -u dsm_s");
        }
        return rc == 0;
    }

    private static String randomSecret() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static void say(String fmt, Object... args) {
        System.out.println("dsm-install: " + String.format(fmt, args));
        System.out.flush();
    }
}
