package dev.fillmask.engine.quantize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What this machine's CPU offers ONNX Runtime's int8 kernels, read from /proc/cpuinfo (Linux): it decides whether
 * weights are quantized to 7 or 8 bits by default ({@link Int8Options#defaults()}).
 */
public final class CpuFeatures {
    /** Any of these gives ONNX Runtime a u8×s8 dot product that sums in 32 bits, without 16-bit saturation. */
    private static final Set<String> VNNI = Set.of("avx512_vnni", "avx_vnni", "amx_int8");

    private CpuFeatures() {}

    /** An x86 CPU with AVX2 and none of the VNNI instructions; false elsewhere (ARM has no such limit). */
    public static boolean x86WithoutVnni() {
        List<String> flags = flags();
        return flags.contains("avx2") && flags.stream().noneMatch(VNNI::contains);
    }

    private static List<String> flags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                }
            }
        } catch (IOException notLinux) {
            // No /proc: nothing known, so nothing changed.
        }
        return List.of();
    }
}
