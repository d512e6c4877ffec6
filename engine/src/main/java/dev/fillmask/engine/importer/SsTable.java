package dev.fillmask.engine.importer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads a whole LevelDB-format table (the format of a TF checkpoint's {@code variables.index}): footer → index
 * block → data blocks → key/value entries. Only uncompressed blocks, which is what TF writes for bundle indexes.
 */
final class SsTable {
    static final int FOOTER_SIZE = 48;
    static final long MAGIC = 0xdb4775248b80fb57L;
    private static final int BLOCK_TRAILER_SIZE = 5;
    private static final int CRC_MASK_DELTA = 0xa282ead8;

    record KeyValue(byte[] key, byte[] value) {
        String keyText() {
            return new String(key, StandardCharsets.UTF_8);
        }
    }

    private record BlockHandle(long offset, long size) {}

    private SsTable() {}

    /** All entries of the table, in key order. */
    static List<KeyValue> read(byte[] table) throws IOException {
        if (table.length < FOOTER_SIZE) {
            throw new IOException("not an SSTable: " + table.length + " bytes, shorter than its footer");
        }
        ByteBuffer footer = ByteBuffer.wrap(table, table.length - FOOTER_SIZE, FOOTER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        if (footer.getLong(table.length - 8) != MAGIC) {
            throw new IOException("not an SSTable: wrong magic number in the footer");
        }
        readHandle(footer); // the metaindex: nothing in it is needed
        BlockHandle indexHandle = readHandle(footer);

        List<KeyValue> entries = new ArrayList<>();
        for (KeyValue index : blockEntries(table, indexHandle)) {
            entries.addAll(blockEntries(table, readHandle(ByteBuffer.wrap(index.value()))));
        }
        return entries;
    }

    private static List<KeyValue> blockEntries(byte[] table, BlockHandle handle) throws IOException {
        if (handle.offset() < 0 || handle.size() < 4 || handle.offset() + handle.size() + BLOCK_TRAILER_SIZE > table.length) {
            throw new IOException("SSTable block handle " + handle + " points outside the file");
        }
        int start = (int) handle.offset();
        int size = (int) handle.size();
        checkTrailer(table, start, size);

        ByteBuffer block = ByteBuffer.wrap(table, start, size).slice().order(ByteOrder.LITTLE_ENDIAN);
        int restarts = block.getInt(size - 4);
        int entriesEnd = size - 4 - 4 * restarts;
        if (restarts < 0 || entriesEnd < 0) {
            throw new IOException("SSTable block at " + start + " has a broken restart array");
        }
        List<KeyValue> entries = new ArrayList<>();
        byte[] previousKey = new byte[0];
        block.limit(entriesEnd);
        while (block.hasRemaining()) {
            int shared = readVarint32(block);
            int nonShared = readVarint32(block);
            int valueLength = readVarint32(block);
            if (shared > previousKey.length || nonShared > block.remaining() || valueLength > block.remaining() - nonShared) {
                throw new IOException("SSTable block at " + start + " has an entry that runs past its end");
            }
            byte[] key = Arrays.copyOf(previousKey, shared + nonShared);
            block.get(key, shared, nonShared);
            byte[] value = new byte[valueLength];
            block.get(value);
            entries.add(new KeyValue(key, value));
            previousKey = key;
        }
        return entries;
    }

    /** Each block is followed by its compression type and a masked CRC32C of block + type. */
    private static void checkTrailer(byte[] table, int start, int size) throws IOException {
        int type = table[start + size];
        if (type != 0) {
            throw new IOException("SSTable block at " + start + " is compressed (type " + type + "); only uncompressed"
                    + " tables are supported");
        }
        CRC32C crc = new CRC32C();
        crc.update(table, start, size + 1);
        int stored = ByteBuffer.wrap(table, start + size + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != mask((int) crc.getValue())) {
            throw new IOException("SSTable block at " + start + " fails its CRC check: the file is damaged");
        }
    }

    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + CRC_MASK_DELTA;
    }

    private static BlockHandle readHandle(ByteBuffer buffer) throws IOException {
        return new BlockHandle(readVarint64(buffer), readVarint64(buffer));
    }

    static int readVarint32(ByteBuffer buffer) throws IOException {
        long v = readVarint64(buffer);
        if (v > Integer.MAX_VALUE) {
            throw new IOException("SSTable length " + v + " is out of range");
        }
        return (int) v;
    }

    static long readVarint64(ByteBuffer buffer) throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buffer.hasRemaining()) {
                throw new IOException("SSTable varint runs past the end of its block");
            }
            byte b = buffer.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new IOException("SSTable varint is longer than 10 bytes");
    }
}
