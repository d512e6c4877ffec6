package dev.fillmask.engine.importer.hub;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** Progress lines of one file's transfer: at most one per interval, so a long download does not flood the terminal. */
final class TransferProgress {
    private final PrintStream out;
    private final String file;
    private final long total;
    private final long intervalNanos;
    private final long startNanos = System.nanoTime();
    private final long startBytes;
    private long lastLine;

    TransferProgress(PrintStream out, String file, long startBytes, long total, Duration interval) {
        this.out = out;
        this.file = file;
        this.startBytes = startBytes;
        this.total = total;
        this.intervalNanos = interval.toNanos();
        this.lastLine = startNanos;
    }

    void update(long bytes) {
        long now = System.nanoTime();
        if (now - lastLine >= intervalNanos) {
            lastLine = now;
            double seconds = (now - startNanos) / 1e9;
            String rate = seconds > 0 ? String.format(Locale.ROOT, ", %s/s", size((long) ((bytes - startBytes) / seconds))) : "";
            out.println("  " + file + ": " + of(bytes) + rate);
        }
    }

    private String of(long bytes) {
        if (total <= 0) {
            return size(bytes);
        }
        return String.format(Locale.ROOT, "%s of %s (%d%%)", size(bytes), size(total), bytes * 100 / total);
    }

    /** Decimal units, as the hub shows sizes. */
    static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
