package io.weft.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/meshctl}: the Weft command line. Each subcommand is its own class. */
@Command(name = "meshctl", mixinStandardHelpOptions = true, versionProvider = Meshctl.Version.class,
        description = "Command line for the Weft event mesh.",
        subcommands = {PubCommand.class, SubCommand.class, StatusCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Meshctl implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs meshctl and returns its exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Meshctl());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("meshctl " + cmd.getCommandName() + ": " + Cli.message(ex));
            return 1;
        });
        return cl.execute(args);
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
