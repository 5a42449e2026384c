package dsm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The running manager (dsm_s.service): console/API on 4119, heartbeat on 4120 and relay on 4122,
 * all TLS with the keystore the installer made. A monitor thread decides the node's state from
 * the shared database every few seconds; the health URLs answer 200 only when it is Online.
 */
final class Server {
    static final String ONLINE = "Online";
    static final String UPGRADE_REQUIRED = "Offline (Upgrade Required)";
    static final String SCHEMA_OLDER = "Offline (Database Schema Older)";
    static final String UNREACHABLE = "Offline (Database Unreachable)";
    static final String NOT_INSTALLED = "Offline (Database Not Installed)";
    static final String NOT_REGISTERED = "Offline (Node Not Registered)";
    static final String FAULT_INJECTED = "Offline (Lab Fault Injected)";
    /**
     * Lab fault injection: a node whose file lists the running version reports itself unhealthy,
     * as a bad upgrade would. The rolling-upgrade tests write it to make one node fail after its
     * upgrade and come back when rolled back to the version before.
     */
    static final Path FAULT_FILE = Path.of("/etc/dsm-lab/unhealthy-versions");

    record Status(String state, String reason, Integer dbSchema, String dbManagerVersion) {
        boolean online() {
            return state.equals(ONLINE);
        }
    }

    private final Properties p;
    private final String node;
    private final Database db;
    private volatile Status status = new Status("Offline (Starting)", "the first database check has not run yet", null, null);
    // Touched by the monitor thread only.
    private Connection conn;
    private Set<String> connectedAddresses;

    static void run(Path propsFile) throws Exception {
        // The stock java.security sets networkaddress.cache.negative.ttl=10, which takes precedence
        // over -Dsun.net.inetaddr.negative.ttl. Copy the vmoptions flags to the security properties
        // before the first name lookup so that both flags do what dsm_s.vmoptions says.
        bridge("sun.net.inetaddr.ttl", "networkaddress.cache.ttl");
        bridge("sun.net.inetaddr.negative.ttl", "networkaddress.cache.negative.ttl");
        new Server(Config.load(propsFile)).start();
    }

    private static void bridge(String systemProperty, String securityProperty) {
        String v = System.getProperty(systemProperty);
        if (v != null) Security.setProperty(securityProperty, v);
    }

    private Server(Properties p) {
        this.p = p;
        this.node = p.getProperty("node.name");
        this.db = new Database(p.getProperty("database.host"), intProp("database.port"), p.getProperty("database.name"),
                p.getProperty("database.user"), p.getProperty("database.password"),
                p.getProperty("database.PostgreSQL.connectionParameters", ""));
    }

    private int intProp(String key) {
        return Integer.parseInt(p.getProperty(key).trim());
    }

    private void start() throws Exception {
        SSLContext tls = tls();
        // The console is load-tested: serve it from a pool, not the HTTP server's default single thread.
        ExecutorService pool = Executors.newFixedThreadPool(Integer.parseInt(p.getProperty("http.threads", "32")));
        HttpsServer console = https(tls, intProp("manager.port"), pool);
        console.createContext("/", this::console);
        console.start();
        String relayInfo = "relay disabled";
        if (Boolean.parseBoolean(p.getProperty("relay.enabled", "true"))) {
            HttpsServer relay = https(tls, intProp("relay.port"), pool);
            relay.createContext("/", this::relay);
            relay.start();
            relayInfo = "relay " + intProp("relay.port");
        }
        heartbeat(tls, intProp("heartbeat.port"), pool);
        log("manager %s (schema %d) node %s: console %d, heartbeat %d, %s; database %s as %s",
                Main.VERSION, Main.SCHEMA, node, intProp("manager.port"), intProp("heartbeat.port"), relayInfo,
                db.describe(), db.user);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> log("stopping")));

        int period = Integer.parseInt(p.getProperty("monitor.period.seconds", "2"));
        Executors.newSingleThreadScheduledExecutor().scheduleWithFixedDelay(this::check, 0, period, TimeUnit.SECONDS);
    }

    private SSLContext tls() throws Exception {
        char[] pw = p.getProperty("keystore.password").toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(p.getProperty("keystore.file")))) {
            ks.load(in, pw);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static HttpsServer https(SSLContext tls, int port, ExecutorService pool) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(port), 256);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        s.setExecutor(pool);
        return s;
    }

    /**
     * Heartbeat port: the real one is mutual TLS between agents and managers, which is why a load
     * balancer must pass it through as TCP. Here: complete a TLS handshake, answer one line, close.
     */
    private void heartbeat(SSLContext tls, int port, ExecutorService pool) throws IOException {
        SSLServerSocket ss = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(port, 256);
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Socket s = ss.accept();
                    pool.execute(() -> {
                        try (s) {
                            s.setSoTimeout(10_000);
                            ((SSLSocket) s).startHandshake();
                            OutputStream out = s.getOutputStream();
                            out.write(("OK " + node + " " + Main.VERSION + "\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        } catch (IOException ignored) {
                            // a TCP-only health check closes before the handshake: not an error
                        }
                    });
                } catch (IOException e) {
                    log("heartbeat accept failed: %s", e);
                }
            }
        }, "heartbeat");
        t.start();
    }

    private void console(HttpExchange x) throws IOException {
        Status s = status;
        switch (x.getRequestURI().getPath()) {
            case "/rest/status/manager/ping", "/rest/status/manager/current/ping" -> send(x, s.online() ? 200 : 503,
                    "text/plain", s.online() ? "OK\n" : s.state() + ": " + s.reason() + "\n");
            case "/rest/status/manager/version" -> send(x, 200, "application/json", "{\"node\":" + json(node)
                    + ",\"version\":" + json(Main.VERSION) + ",\"schemaVersion\":" + Main.SCHEMA
                    + ",\"databaseSchemaVersion\":" + s.dbSchema() + ",\"databaseManagerVersion\":"
                    + json(s.dbManagerVersion()) + ",\"state\":" + json(s.state()) + ",\"reason\":" + json(s.reason()) + "}\n");
            case "/" -> send(x, 200, "text/html", "<!doctype html><title>Manager " + Main.VERSION + "</title>"
                    + "<h1>Deep Security Manager (lab stand-in)</h1><p>node " + node + ", version " + Main.VERSION
                    + ", " + s.state() + "</p>\n");
            default -> send(x, 404, "text/plain", "not found\n");
        }
    }

    private void relay(HttpExchange x) throws IOException {
        if (x.getRequestURI().getPath().equals("/")) send(x, 200, "text/plain", "relay " + node + " " + Main.VERSION + "\n");
        else send(x, 404, "text/plain", "not found\n");
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        try (x) {
            x.getRequestBody().readAllBytes();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
            boolean head = x.getRequestMethod().equals("HEAD");
            x.sendResponseHeaders(code, head ? -1 : b.length);
            if (!head) x.getResponseBody().write(b);
        }
    }

    private static String json(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /**
     * One monitor round. Reconnects when the connection is dead or when the database name now
     * resolves to other addresses (a failover that moved the name while the old server still
     * answers); each new connection resolves the name again.
     */
    private void check() {
        Status next;
        try {
            Set<String> addresses = Arrays.stream(InetAddress.getAllByName(db.host))
                    .map(InetAddress::getHostAddress).collect(Collectors.toCollection(TreeSet::new));
            if (conn != null && !addresses.equals(connectedAddresses)) {
                log("database host %s now resolves to %s (was %s): reconnecting", db.host, addresses, connectedAddresses);
                disconnect();
            }
            if (conn != null && !conn.isValid(3)) disconnect();
            if (conn == null) {
                conn = db.connect("dsm_s:" + node, 10, 5);
                connectedAddresses = addresses;
            }
            next = evaluate();
        } catch (UnknownHostException e) {
            disconnect();
            next = new Status(UNREACHABLE, "cannot resolve the database host name " + db.host, null, null);
        } catch (SQLException | RuntimeException e) {
            disconnect();
            next = new Status(UNREACHABLE, "database " + db.describe() + ": "
                    + (e instanceof SQLException s ? Database.explain(s) : e.toString()), null, null);
        }
        if (!next.state().equals(status.state())) log("state %s -> %s: %s", status.state(), next.state(), next.reason());
        status = next;
    }

    private Status evaluate() throws SQLException {
        Database.SchemaRow row = Database.schema(conn);
        if (row == null) return new Status(NOT_INSTALLED, "database " + db.describe() + " holds no manager schema", null, null);
        int dbSchema = row.version();
        String state, reason;
        if (dbSchema > Main.SCHEMA) {
            state = UPGRADE_REQUIRED;
            reason = "the database is at schema " + dbSchema + " (manager " + row.managerVersion() + "), newer than this"
                    + " node's schema " + Main.SCHEMA + " (manager " + Main.VERSION + "); upgrade this node to "
                    + row.managerVersion();
        } else if (dbSchema < Main.SCHEMA) {
            state = SCHEMA_OLDER;
            reason = "the database is at schema " + dbSchema + ", older than this node's schema " + Main.SCHEMA
                    + "; run the installer of manager " + Main.VERSION + " on this node to migrate it";
        } else {
            state = ONLINE;
            reason = "database " + db.describe() + " at schema " + dbSchema;
        }
        if (!Database.touchNode(conn, node, state)) {
            state = NOT_REGISTERED;
            reason = "node " + node + " has no row in dsm_nodes (decommissioned?); run the installer with "
                    + Config.NEW_NODE + "=true to register it again";
        }
        if (state.equals(ONLINE) && faultInjected()) {
            state = FAULT_INJECTED;
            reason = FAULT_FILE + " lists manager " + Main.VERSION + " (lab fault injection)";
        }
        return new Status(state, reason, dbSchema, row.managerVersion());
    }

    private static boolean faultInjected() {
        try {
            return Files.readAllLines(FAULT_FILE).stream().map(String::trim).anyMatch(Main.VERSION::equals);
        } catch (IOException e) {
            return false; // no file: no fault
        }
    }

    private void disconnect() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
        conn = null;
    }

    static void log(String fmt, Object... args) {
        System.out.println("dsm_s: " + String.format(fmt, args));
        System.out.flush();
    }
}
