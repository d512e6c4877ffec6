package dev.fillmask.engine.importer.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.importer.ModelImportException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range ({@code data_offsets}, relative to the end of the header), then the tensors' bytes. Tensors
 * are handed out as memory-mapped slices, never read onto the heap. The header is checked whole when the file is
 * opened (every range inside the file, every size matching its shape), so a truncated download fails here, naming
 * the file and the tensor, and not half-way through writing a graph.
 */
final class SafetensorsFile implements AutoCloseable {
    /** The safetensors dtypes this importer reads; others (I64 buffers such as position_ids) are listed, not read. */
    enum DType {
        F32(4), F16(2), BF16(2), OTHER(0);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        static DType of(String name) {
            return switch (name) {
                case "F32" -> F32;
                case "F16" -> F16;
                case "BF16" -> BF16;
                default -> OTHER;
            };
        }
    }

    /** A tensor of the file: its dtype as written (e.g. "BF16") and where its bytes are, from the start of the file. */
    record Entry(String name, String dtypeName, long[] shape, long offset, long size) {
        Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        DType dtype() {
            return DType.of(dtypeName);
        }
    }

    /** Headers beyond this are not a model's (the format's own reference reader refuses 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path file, FileChannel channel, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
    }

    static SafetensorsFile open(Path file) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            Map<String, Entry> entries = readHeader(file, channel);
            return new SafetensorsFile(file, channel, entries);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ModelImportException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Map<String, Entry> readHeader(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < Long.BYTES) {
            throw bad(file, "it has " + fileSize + " bytes, fewer than the 8 of a header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || Long.BYTES + headerLength > fileSize) {
            throw bad(file, "its header length " + headerLength + " does not fit a file of " + fileSize + " bytes");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, Long.BYTES);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(file, "its header is not JSON (" + e.getMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw bad(file, "its header is not a JSON object");
        }
        long dataStart = Long.BYTES + headerLength;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                continue;
            }
            Entry entry = entry(file, field.getKey(), field.getValue(), dataStart);
            if (entry.offset() + entry.size() > fileSize) {
                throw bad(file, "tensor " + entry.name() + " ends at byte " + (entry.offset() + entry.size())
                        + " but the file has " + fileSize + " (a download cut short?)");
            }
            entries.put(entry.name(), entry);
        }
        return Collections.unmodifiableMap(entries);
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataStart) {
        JsonNode dtype = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shapeNode == null || !shapeNode.isArray() || offsets == null
                || !offsets.isArray() || offsets.size() != 2) {
            throw bad(file, "tensor " + name + " lacks a dtype, shape or data_offsets pair in the header");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw bad(file, "tensor " + name + " has a negative dimension in " + shapeNode);
            }
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin) {
            throw bad(file, "tensor " + name + " has data_offsets " + offsets);
        }
        Entry entry = new Entry(name, dtype.asText(), shape, dataStart + begin, end - begin);
        DType known = entry.dtype();
        if (known != DType.OTHER) {
            long expected = Math.multiplyExact(elementCount(shape), known.bytes);
            if (entry.size() != expected) {
                throw bad(file, "tensor " + name + " of shape " + Arrays.toString(shape) + " in " + dtype.asText()
                        + " needs " + expected + " bytes, its data_offsets give " + entry.size());
            }
        }
        return entry;
    }

    Path path() {
        return file;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** The tensor's bytes as a read-only mapped slice, little-endian (as safetensors stores every dtype). */
    ByteBuffer map(Entry entry) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, entry.offset(), entry.size()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelImportException("cannot map tensor " + entry.name() + " of " + file + ": " + e.getMessage(), e);
        }
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    private static ModelImportException bad(Path file, String why) {
        return new ModelImportException(file + " is not a valid safetensors file: " + why);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the open failed already; that error is the one to report
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
