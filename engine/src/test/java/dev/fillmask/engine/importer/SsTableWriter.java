package dev.fillmask.engine.importer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/** Writes LevelDB-format tables for the reader's tests: small blocks, prefix-compressed keys, restart points. */
final class SsTableWriter {
    private final int entriesPerBlock;
    private final int restartInterval;

    SsTableWriter(int entriesPerBlock, int restartInterval) {
        this.entriesPerBlock = entriesPerBlock;
        this.restartInterval = restartInterval;
    }

    /** {@code entries} must be sorted by key, as in any SSTable. */
    byte[] write(List<SsTable.KeyValue> entries) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<SsTable.KeyValue> index = new ArrayList<>();
        for (int start = 0; start < entries.size(); start += entriesPerBlock) {
            List<SsTable.KeyValue> blockEntries = entries.subList(start, Math.min(entries.size(), start + entriesPerBlock));
            long offset = file.size();
            byte[] block = block(blockEntries);
            writeBlock(file, block);
            index.add(new SsTable.KeyValue(blockEntries.get(blockEntries.size() - 1).key(), handle(offset, block.length)));
        }
        long metaOffset = file.size();
        byte[] meta = block(List.of());
        writeBlock(file, meta);
        long indexOffset = file.size();
        byte[] indexBlock = block(index);
        writeBlock(file, indexBlock);

        ByteBuffer footer = ByteBuffer.allocate(SsTable.FOOTER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        footer.put(handle(metaOffset, meta.length)).put(handle(indexOffset, indexBlock.length));
        footer.putLong(SsTable.FOOTER_SIZE - 8, SsTable.MAGIC);
        file.writeBytes(footer.array());
        return file.toByteArray();
    }

    private byte[] block(List<SsTable.KeyValue> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> restarts = new ArrayList<>();
        byte[] previous = new byte[0];
        for (int i = 0; i < entries.size(); i++) {
            byte[] key = entries.get(i).key();
            byte[] value = entries.get(i).value();
            int shared = 0;
            if (i % restartInterval == 0) {
                restarts.add(out.size());
            } else {
                while (shared < Math.min(previous.length, key.length) && previous[shared] == key[shared]) {
                    shared++;
                }
            }
            varint(out, shared);
            varint(out, key.length - shared);
            varint(out, value.length);
            out.write(key, shared, key.length - shared);
            out.writeBytes(value);
            previous = key;
        }
        if (restarts.isEmpty()) {
            restarts.add(0);
        }
        ByteBuffer tail = ByteBuffer.allocate(4 * restarts.size() + 4).order(ByteOrder.LITTLE_ENDIAN);
        restarts.forEach(tail::putInt);
        tail.putInt(restarts.size());
        out.writeBytes(tail.array());
        return out.toByteArray();
    }

    private static void writeBlock(ByteArrayOutputStream file, byte[] block) {
        file.writeBytes(block);
        CRC32C crc = new CRC32C();
        crc.update(block);
        crc.update(0);
        file.write(0);
        file.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(SsTable.mask((int) crc.getValue())).array());
    }

    static byte[] handle(long offset, long size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, offset);
        varint(out, size);
        return out.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
