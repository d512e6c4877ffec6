package dev.fillmask.job.deployment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ElfNeededLibraries} on a shared object every Linux JDK has: the running JDK's lib/libjava.so, linked against
 * libjvm.so and the C library ({@code readelf -d} lists the same).
 */
class ElfNeededLibrariesTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsTheNeededEntriesOfTheJdksLibjava() throws IOException {
        Path libjava = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        List<String> needed = ElfNeededLibraries.of(libjava);
        assertTrue(needed.contains("libjvm.so"), needed.toString());
        assertTrue(needed.stream().anyMatch(n -> n.startsWith("libc.")), needed.toString());
        assertEquals(needed.size(), needed.stream().distinct().count(), "each entry once: " + needed);
    }

    @Test
    void rejectsWhatIsNotAnElfFile(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("not-elf.so"), "#!/bin/sh\n".repeat(10));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ElfNeededLibraries.of(text))
                .getMessage().contains("not an ELF file"));
    }

    @Test
    void rejectsA32BitElfFile(@TempDir Path dir) throws IOException {
        byte[] header = new byte[64];
        header[0] = 0x7f;
        header[1] = 'E';
        header[2] = 'L';
        header[3] = 'F';
        header[4] = 1; // ELFCLASS32
        header[5] = 1;
        Path elf32 = Files.write(dir.resolve("elf32.so"), header);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ElfNeededLibraries.of(elf32))
                .getMessage().contains("64-bit little-endian"));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void rejectsATruncatedFile(@TempDir Path dir) throws IOException {
        byte[] libjava = Files.readAllBytes(Path.of(System.getProperty("java.home"), "lib", "libjava.so"));
        Path cut = Files.write(dir.resolve("cut.so"), Arrays.copyOf(libjava, 4096));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ElfNeededLibraries.of(cut))
                .getMessage().contains("truncated"));
    }
}
