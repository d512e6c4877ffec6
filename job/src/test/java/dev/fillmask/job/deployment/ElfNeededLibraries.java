package dev.fillmask.job.deployment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared libraries a Linux shared object asks the dynamic loader for: its {@code DT_NEEDED} entries, what
 * {@code readelf -d} prints as "Shared library: [...]". Pure Java so that a check needs no binutils; it reads only
 * the ELF header, the section headers, the dynamic section and the string table that section links to (positional
 * reads: ONNX Runtime's CUDA provider is ~580 MB). 64-bit little-endian ELF only, the one kind of native library
 * the images carry (x86-64, aarch64).
 */
public final class ElfNeededLibraries {
    private static final int SHT_DYNAMIC = 6;
    private static final long DT_NULL = 0;
    private static final long DT_NEEDED = 1;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int DYNAMIC_ENTRY_SIZE = 16;

    private ElfNeededLibraries() {
    }

    /** The NEEDED entries of {@code file}, in the file's order. */
    public static List<String> of(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(channel, file.toString());
        }
    }

    private static List<String> read(FileChannel channel, String name) throws IOException {
        ByteBuffer header = readAt(channel, 0, 64, name);
        if (header.getInt(0) != 0x464c457f) { // "\x7fELF" read little-endian
            throw new IllegalArgumentException(name + " is not an ELF file");
        }
        if (header.get(4) != 2 || header.get(5) != 1) {
            throw new IllegalArgumentException(name + " is not a 64-bit little-endian ELF file");
        }
        long sectionHeaders = header.getLong(0x28);
        int entrySize = Short.toUnsignedInt(header.getShort(0x3A));
        int count = Short.toUnsignedInt(header.getShort(0x3C));
        if (sectionHeaders == 0 || count == 0 || entrySize < SECTION_HEADER_SIZE) {
            throw new IllegalArgumentException(name + " has no section headers");
        }
        for (int i = 0; i < count; i++) {
            ByteBuffer section = readAt(channel, sectionHeaders + (long) i * entrySize, SECTION_HEADER_SIZE, name);
            if (section.getInt(4) == SHT_DYNAMIC) {
                ByteBuffer strings = sectionContent(channel, sectionHeaders, entrySize, section.getInt(40), name);
                return needed(readAt(channel, section.getLong(24), size(section, name), name), strings, name);
            }
        }
        throw new IllegalArgumentException(name + " has no dynamic section (a static executable?)");
    }

    /** The bytes of section {@code index} (the dynamic section's sh_link: its string table, .dynstr). */
    private static ByteBuffer sectionContent(FileChannel channel, long sectionHeaders, int entrySize, int index,
            String name) throws IOException {
        ByteBuffer section = readAt(channel, sectionHeaders + (long) index * entrySize, SECTION_HEADER_SIZE, name);
        return readAt(channel, section.getLong(24), size(section, name), name);
    }

    private static int size(ByteBuffer section, String name) {
        long size = section.getLong(32);
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": a section of " + size + " bytes");
        }
        return (int) size;
    }

    private static List<String> needed(ByteBuffer dynamic, ByteBuffer strings, String name) {
        List<String> needed = new ArrayList<>();
        for (int at = 0; at + DYNAMIC_ENTRY_SIZE <= dynamic.limit(); at += DYNAMIC_ENTRY_SIZE) {
            long tag = dynamic.getLong(at);
            if (tag == DT_NULL) {
                break;
            }
            if (tag == DT_NEEDED) {
                needed.add(string(strings, dynamic.getLong(at + 8), name));
            }
        }
        return needed;
    }

    private static String string(ByteBuffer strings, long offset, String name) {
        if (offset < 0 || offset >= strings.limit()) {
            throw new IllegalArgumentException(name + ": a NEEDED name outside the string table");
        }
        int start = (int) offset;
        int end = start;
        while (end < strings.limit() && strings.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        strings.get(start, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static ByteBuffer readAt(FileChannel channel, long position, int length, String name) throws IOException {
        if (position < 0 || position + length > channel.size()) {
            throw new IllegalArgumentException(name + " is truncated: " + length + " bytes at " + position
                    + " of " + channel.size());
        }
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IllegalArgumentException(name + " ended early");
            }
        }
        return buffer.flip();
    }
}
