package dev.fillmask.job.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Splits a byte stream into lines (LF or CRLF) without decoding them, so invalid UTF-8 reaches the codec intact. */
final class LineReader {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int pos;
    private int limit;
    private boolean eof;

    LineReader(InputStream in) {
        this.in = in;
    }

    /** The next line without its terminator, or null at the end; a last line without a newline still counts. */
    byte[] next() throws IOException {
        ByteArrayOutputStream line = null;
        while (true) {
            if (pos == limit) {
                if (eof || (limit = in.read(buffer)) < 0) {
                    eof = true;
                    limit = 0;
                    pos = 0;
                    return line == null ? null : stripCr(line.toByteArray());
                }
                pos = 0;
            }
            int start = pos;
            while (pos < limit && buffer[pos] != '\n') {
                pos++;
            }
            if (line == null) {
                line = new ByteArrayOutputStream(Math.max(16, pos - start));
            }
            line.write(buffer, start, pos - start);
            if (pos < limit) {
                pos++;
                return stripCr(line.toByteArray());
            }
        }
    }

    private static byte[] stripCr(byte[] line) {
        return line.length > 0 && line[line.length - 1] == '\r'
                ? Arrays.copyOf(line, line.length - 1) : line;
    }
}
