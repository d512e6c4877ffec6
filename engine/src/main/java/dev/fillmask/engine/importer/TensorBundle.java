package dev.fillmask.engine.importer;

import com.google.protobuf.CodedInputStream;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.onnx.WeightSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A TF checkpoint ("tensor bundle": {@code <prefix>.index} + {@code <prefix>.data-00000-of-00001}) whose float32
 * variables are handed out as memory-mapped slices of the data file: no tensor is ever copied onto the heap.
 */
public final class TensorBundle implements AutoCloseable {
    /** TF's DataType enum: DT_FLOAT. */
    static final int DT_FLOAT = 1;

    /** One float32 variable: where its little-endian bytes are in the data file. */
    public record Entry(String name, long[] shape, long offset, long size) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Map<String, Entry> entries;
    private final FileChannel data;

    private TensorBundle(Map<String, Entry> entries, FileChannel data) {
        this.entries = entries;
        this.data = data;
    }

    /** Opens {@code <prefix>.index} and the single data shard next to it, e.g. prefix {@code variables/variables}. */
    public static TensorBundle open(Path prefix) throws IOException {
        Map<String, Entry> entries = readIndex(prefix.resolveSibling(prefix.getFileName() + ".index"));
        Path dataFile = prefix.resolveSibling(prefix.getFileName() + ".data-00000-of-00001");
        FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.READ);
        try {
            long dataSize = channel.size();
            for (Entry e : entries.values()) {
                if (e.offset() + e.size() > dataSize) {
                    throw new IOException("checkpoint variable " + e.name() + " ends at byte " + (e.offset() + e.size())
                            + " but " + dataFile + " has only " + dataSize);
                }
            }
            return new TensorBundle(entries, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The float32 variables of an index file, by name, in key order; the header and other types are left out. */
    public static Map<String, Entry> readIndex(Path indexFile) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (SsTable.KeyValue kv : SsTable.read(Files.readAllBytes(indexFile))) {
            if (kv.key().length == 0) {
                continue; // the BundleHeaderProto
            }
            Entry entry = parseEntry(kv.keyText(), kv.value());
            if (entry != null) {
                entries.put(entry.name(), entry);
            }
        }
        return Collections.unmodifiableMap(entries);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** The variable's bytes, mapped read-only; valid after {@link #close()} too (a mapping outlives its channel). */
    public FloatTensor tensor(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IOException("the checkpoint has no float32 variable " + name);
        }
        ByteBuffer bytes = data.map(FileChannel.MapMode.READ_ONLY, e.offset(), e.size()).order(ByteOrder.LITTLE_ENDIAN);
        return new FloatTensor(bytes, e.shape());
    }

    /** The variables under {@code prefix} (e.g. {@code module/} for TF Hub exports), by their names without it. */
    public WeightSource weights(String prefix) {
        return (name, shape) -> {
            FloatTensor t;
            try {
                t = tensor(prefix + name);
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalStateException("checkpoint variable " + prefix + name + " has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
            }
            return t;
        };
    }

    @Override
    public void close() throws IOException {
        data.close();
    }

    /** A BundleEntryProto: 1 dtype, 2 shape, 3 shard_id, 4 offset, 5 size; null unless float32. */
    private static Entry parseEntry(String name, byte[] proto) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(proto);
        int dtype = 0;
        long[] shape = new long[0];
        int shard = 0;
        long offset = 0;
        long size = 0;
        boolean sliced = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag >>> 3) {
                case 1 -> dtype = in.readEnum();
                case 2 -> shape = parseShape(in.readBytes().newCodedInput());
                case 3 -> shard = in.readInt32();
                case 4 -> offset = in.readInt64();
                case 5 -> size = in.readInt64();
                case 7 -> {
                    sliced = true;
                    in.skipField(tag);
                }
                default -> in.skipField(tag);
            }
        }
        if (dtype != DT_FLOAT) {
            return null;
        }
        if (sliced || shard != 0) {
            throw new IOException("checkpoint variable " + name + " is sliced or sharded; only single-shard"
                    + " checkpoints are supported");
        }
        if (size != Float.BYTES * FloatTensor.elementCount(shape)) {
            throw new IOException("checkpoint variable " + name + " has " + size + " bytes for shape " + Arrays.toString(shape));
        }
        return new Entry(name, shape, offset, size);
    }

    /** A TensorShapeProto: repeated 2 dim {1 size}. */
    private static long[] parseShape(CodedInputStream in) throws IOException {
        long[] dims = new long[0];
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag >>> 3 == 2) {
                CodedInputStream dim = in.readBytes().newCodedInput();
                long sizeOfDim = 0;
                for (int t = dim.readTag(); t != 0; t = dim.readTag()) {
                    if (t >>> 3 == 1) {
                        sizeOfDim = dim.readInt64();
                    } else {
                        dim.skipField(t);
                    }
                }
                dims = Arrays.copyOf(dims, dims.length + 1);
                dims[dims.length - 1] = sizeOfDim;
            } else {
                in.skipField(tag);
            }
        }
        return dims;
    }
}
