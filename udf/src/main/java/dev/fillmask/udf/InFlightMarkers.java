package dev.fillmask.udf;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Where a recovering subtask notes the record it is answering, so that the next attempt knows it if this one fails
 * too. One small file per subtask, in a folder of the job's own under a base folder that every TaskManager can
 * reach (the checkpoint folder on a cluster): a TaskManager that dies takes nothing of it along. Written only while a
 * subtask recovers from a failure, never in normal running.
 */
final class InFlightMarkers {
    private static final String PREFIX = "subtask-";

    private final Path folder;
    private final Path mine;

    private InFlightMarkers(Path folder, Path mine) {
        this.folder = folder;
        this.mine = mine;
    }

    /** The markers of one operator of one job, this subtask's among them. */
    static InFlightMarkers of(String baseFolder, String jobId, String operator, int subtask) {
        Path folder = new Path(new Path(new Path(baseFolder, jobId), "fill-mask-in-flight"), operator);
        return new InFlightMarkers(folder, new Path(folder, PREFIX + subtask));
    }

    /** What every subtask of the failed attempt was answering when it failed (its partitions may have moved). */
    Set<String> readAll() {
        Set<String> records = new HashSet<>();
        try {
            FileSystem fs = folder.getFileSystem();
            if (!fs.exists(folder)) {
                return records;
            }
            FileStatus[] files = fs.listStatus(folder);
            for (FileStatus file : files == null ? new FileStatus[0] : files) {
                if (file.getPath().getName().startsWith(PREFIX)) {
                    try (FSDataInputStream in = fs.open(file.getPath())) {
                        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                        in.transferTo(bytes);
                        if (bytes.size() > 0) {
                            records.add(bytes.toString(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the in-flight records in " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Notes that this subtask now answers {@code record}. */
    void mark(String record) {
        try {
            FileSystem fs = mine.getFileSystem();
            try (FSDataOutputStream out = fs.create(mine, FileSystem.WriteMode.OVERWRITE)) {
                out.write(record.getBytes(StandardCharsets.UTF_8));
                out.sync();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot note the in-flight record in " + mine + ": " + e.getMessage(), e);
        }
    }

    /** This subtask answers nothing now. */
    void clear() {
        try {
            mine.getFileSystem().delete(mine, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the in-flight record " + mine + ": " + e.getMessage(), e);
        }
    }

    Path folder() {
        return folder;
    }
}
