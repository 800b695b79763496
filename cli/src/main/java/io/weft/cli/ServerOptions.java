package io.weft.cli;

import picocli.CommandLine.Option;

/** The options every command that talks to a broker shares: {@link ConnectOptions} and {@code --site}. */
final class ServerOptions extends ConnectOptions {
    @Option(names = "--site", defaultValue = "${env:MESHCTL_SITE:-}",
            description = "Your site: brokers of this site are preferred (MESHCTL_SITE).")
    String site;

    @Override
    String clientSite() {
        return site == null ? "" : site;
    }
}
