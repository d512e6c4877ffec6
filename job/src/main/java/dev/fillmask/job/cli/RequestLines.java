package dev.fillmask.job.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The request lines a fed local run reads ({@code --input}) and the answer lines it writes ({@code --output}). */
final class RequestLines {
    private RequestLines() {}

    /** Every line of {@code input} ({@code -} for {@code stdin}), as bytes. */
    static List<byte[]> read(String input, InputStream stdin) throws IOException {
        try (InputStream source = input.equals("-") ? stdin : Files.newInputStream(Path.of(input))) {
            LineReader lines = new LineReader(source);
            List<byte[]> requests = new ArrayList<>();
            for (byte[] line = lines.next(); line != null; line = lines.next()) {
                requests.add(line);
            }
            return requests;
        }
    }

    /** One line per answer, into the file {@code output}, or {@code out} when it is {@code null}. */
    static void write(List<String> answers, String output, PrintStream out) throws IOException {
        try (OutputStream sink = output != null
                ? new BufferedOutputStream(Files.newOutputStream(Path.of(output)))
                : new NonClosing(out)) {
            for (String answer : answers) {
                sink.write(answer.getBytes(StandardCharsets.UTF_8));
                sink.write('\n');
            }
        }
    }

    /** Standard output stays open after the answers are written. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(new BufferedOutputStream(out));
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
