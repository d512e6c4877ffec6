package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;
import dev.fillmask.job.local.ListenAddress;

/** {@code --listen HOST}, one definition for the commands that start local servers ({@code run}, {@code bench}). */
final class ListenOption {
    static final CommandLine.Option OPTION = new CommandLine.Option("listen", "HOST",
            "address the embedded broker and the local Flink cluster (REST API and web UI, RPC, blob and data ports)"
                    + " listen on; anything but loopback exposes them to the network, unauthenticated",
            ListenAddress.LOOPBACK);

    private ListenOption() {}

    static ListenAddress of(CommandLine cli) {
        try {
            return ListenAddress.of(cli.get(OPTION.name()));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException(e.getMessage());
        }
    }
}
