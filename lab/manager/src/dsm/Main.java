package dsm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Lab stand-in for the vendor's JVM "manager + relay". One jar, two modes:
 * <pre>
 *   install VARFILE   what Manager-Linux-&lt;version&gt;.x64.sh runs (see Installer)
 *   server PROPERTIES what dsm_s.service runs (see Server)
 *   version           print "version schema"
 * </pre>
 * Only the behaviour the runbooks depend on is imitated: unattended install and upgrade,
 * one shared PostgreSQL database, schema versions, node states, health URLs and ports.
 */
public final class Main {
    /** Baked into each artifact by lab/manager/build.sh (dsm/build.properties in the jar). */
    static final String VERSION;
    static final int SCHEMA;

    static {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
        VERSION = p.getProperty("version", "0.0.0");
        SCHEMA = Integer.parseInt(p.getProperty("schema", "0"));
    }

    /** Exit codes of the installer; the Ansible role can tell "fix your input" from "retry later". */
    static final int EXIT_USAGE = 2;       // bad arguments or response file
    static final int EXIT_REFUSED = 3;     // refused: downgrade, lock held, wrong NewNode, ...
    static final int EXIT_DATABASE = 4;    // database unreachable or login failed

    /** A failure the operator can act on: the message says what is wrong and how to fix it. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Failure(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "";
        if (mode.equals("install") && args.length == 2) {
            try {
                new Installer(Path.of(args[1])).run();
            } catch (Failure f) {
                System.out.flush();
                System.err.println("dsm-install: ERROR: " + f.getMessage());
                System.exit(f.exitCode);
            } catch (Exception e) {
                // Past the checks, so something may have changed: say so, and how to recover.
                System.out.flush();
                System.err.println("dsm-install: ERROR: the installation failed part-way: " + e
                        + "\ndsm-install: dsm_s may be stopped or half-upgraded; fix the cause and run the same"
                        + " installer again (it is safe to repeat; the database lock was released).");
                System.exit(1);
            }
        } else if (mode.equals("server") && args.length == 2) {
            Server.run(Path.of(args[1]));
        } else if (mode.equals("version")) {
            System.out.println(VERSION + " " + SCHEMA);
        } else {
            System.err.println("usage: dsm.Main install VARFILE | server PROPERTIES | version");
            System.exit(EXIT_USAGE);
        }
    }

    /** Dotted versions compare numerically, part by part: 20.0.913 < 20.0.1000 < 21.0.211. */
    static int compareVersions(String a, String b) {
        String[] x = a.trim().split("\\."), y = b.trim().split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? Long.parseLong(x[i]) : 0, q = i < y.length ? Long.parseLong(y[i]) : 0;
            if (p != q) return Long.compare(p, q);
        }
        return 0;
    }

    /** The node name is the host name, as the vendor's manager shows it in its node list. */
    static String hostName() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
    }

    private Main() {}
}
