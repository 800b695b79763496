/**
 * {@code meshctl}, the command line: one picocli command class per subcommand ({@code pub},
 * {@code sub}, {@code status}, {@code bench}); {@code ServerOptions} holds the shared
 * {@code -s/--server} and {@code --site} options. Every command takes {@code --json}.
 */
package io.weft.cli;
