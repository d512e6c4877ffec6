package dev.fillmask.job.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** One {@code ./fill-mask} command run in this JVM, as the launcher would run it: its exit code, stdout and stderr. */
public record CliRun(int exitCode, String out, String err) {

    /** Runs {@code args} with nothing on standard input. */
    public static CliRun of(String... args) {
        return withInput(new byte[0], args);
    }

    /** Runs {@code args} with {@code stdin} on standard input. */
    public static CliRun withInput(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = FillMaskCli.run(args, new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Standard output's lines (an answer per line for {@code predict}: JSON escapes line breaks). */
    public List<String> lines() {
        return out.lines().toList();
    }
}
