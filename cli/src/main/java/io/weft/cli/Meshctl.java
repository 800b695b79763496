package io.weft.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/meshctl}: the Weft command line. Each subcommand is its own class. */
@Command(name = "meshctl", mixinStandardHelpOptions = true, versionProvider = Meshctl.Version.class,
        description = "Command line for the Weft event mesh.",
        subcommands = {PubCommand.class, SubCommand.class, StatusCommand.class, CheckCommand.class, InterestCommand.class, BenchCommand.class,
                StreamCommand.class, ConsumerCommand.class, SubscriptionCommand.class, ApplyCommand.class, PkiCommand.class, SecurityCommand.class,
                CommandLine.HelpCommand.class})
public final class Meshctl implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // as in meshd: once Netty samples a socket read buffer for leak tracking, every frame sliced
            // from it records a stack trace (2.5% of a profiled bench client's CPU, and its garbage)
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(run(args));
    }

    /** Runs meshctl and returns its exit code (tests call this). */
    public static int run(String... args) {
        args = hoistServerOptions(args);
        CommandLine cl = new CommandLine(new Meshctl());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof Api.ApiException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 1;
            }
            String msg = Cli.message(ex);
            cmd.getErr().println("meshctl " + cmd.getCommandName() + ": " + msg);
            if (msg.startsWith("cannot connect to any broker")) {
                cmd.getErr().println(CONNECT_HINT + " (MESHCTL_SERVER is " + (System.getenv("MESHCTL_SERVER") == null
                        ? "not set" : "'" + System.getenv("MESHCTL_SERVER") + "'") + ").");
            }
            return 1;
        });
        return cl.execute(args);
    }

    /** Said after "cannot connect to any broker": where brokers usually are, and how to name them. */
    static final String CONNECT_HINT = "  Is a broker running there? bin/meshd starts one (client port 7420); deploy/demo.sh"
            + " starts the demo mesh (client ports 11420-13420 and 21420-23420), which bin/meshctl then finds by"
            + " itself.\n  Name brokers with -s HOST:PORT[,HOST:PORT...] or MESHCTL_SERVER";

    private static final java.util.Set<String> GLOBAL_WITH_VALUE = java.util.Set.of("-s", "--server", "--site",
            "--connect-timeout", "--tls-ca", "--tls-cert", "--tls-key", "--user", "--password", "--token", "--creds");

    /** Commands whose subcommand (e.g. {@code stream ls}) takes the connection options. */
    private static final java.util.Set<String> GROUPS = java.util.Set.of("stream", "consumer");

    /**
     * Lets the connection options come before the command too ({@code meshctl -s a,b,c status},
     * {@code meshctl -s a stream ls}) by moving them after the (sub)command name, where picocli
     * expects them.
     */
    static String[] hoistServerOptions(String[] args) {
        java.util.List<String> global = new java.util.ArrayList<>();
        int i = 0;
        while (i < args.length && args[i].startsWith("-")) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (a.equals("--no-discover")) {
                global.add(a);
                i++;
            } else if (GLOBAL_WITH_VALUE.contains(name) && a.contains("=")) {
                global.add(a);
                i++;
            } else if (GLOBAL_WITH_VALUE.contains(a) && i + 1 < args.length) {
                global.add(a);
                global.add(args[i + 1]);
                i += 2;
            } else {
                break;
            }
        }
        if (global.isEmpty() || i >= args.length) {
            return args;
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        out.add(args[i]);
        i++;
        if (GROUPS.contains(args[i - 1]) && i < args.length && !args[i].startsWith("-")) {
            out.add(args[i]);
            i++;
        }
        out.addAll(global);
        out.addAll(java.util.Arrays.asList(args).subList(i, args.length));
        return out.toArray(new String[0]);
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Meshctl.class.getPackage().getImplementationVersion();
            return new String[] {"meshctl " + (v == null ? "dev" : v)};
        }
    }
}
