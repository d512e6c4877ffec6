package dev.fillmask.job.deployment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gpu image's CUDA libraries are the ones ONNX Runtime's CUDA provider was linked against: the major version
 * of deploy/Dockerfile's CUDA base image equals the one the NEEDED entries of libonnxruntime_providers_cuda.so (in
 * the onnxruntime_gpu jar) name, and the Dockerfile copies every CUDA library among them, so that an upgrade of
 * either cannot drift silently. Only in the gpu profile (mvn -Pgpu: the parent pom passes the ONNX Runtime
 * artifact's name to the test JVM), which puts the ~640 MB jar on the class path; the default build never downloads it.
 */
@EnabledIfSystemProperty(named = "fillmask.onnxruntime.artifactId", matches = "onnxruntime_gpu")
class GpuImageCudaTest {
    private static final String PROVIDER = "ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so";
    /** The library name patterns the Dockerfile's cp commands copy, e.g. {@code libcublas*.so*}. */
    private static final Pattern COPIED = Pattern.compile("/(lib[\\w*+.-]*\\.so\\*)");

    @Test
    void theCudaBaseImageIsTheMajorVersionTheCudaProviderNeeds(@TempDir Path dir) throws IOException {
        List<String> needed = ElfNeededLibraries.of(extractProvider(dir));
        Map<String, Integer> majors = CudaMajorVersions.ofNeededLibraries(needed);
        assertTrue(majors.keySet().stream().anyMatch(l -> l.startsWith("libcudart.")), "libcudart among " + needed);

        String dockerfile = Files.readString(repository().resolve("deploy/Dockerfile"), StandardCharsets.UTF_8);
        int image = CudaMajorVersions.ofBaseImage(dockerfile);
        majors.forEach((library, major) -> assertEquals(image, major,
                "deploy/Dockerfile's CUDA_IMAGE is CUDA " + image + ", the CUDA provider needs " + library));

        List<Pattern> copied = copiedLibraries(dockerfile);
        for (String library : needed) {
            // libcuda.so.1 is the driver's: the NVIDIA container runtime mounts it from the node
            if (library.startsWith("libcu") && !library.startsWith("libcuda.so")) {
                assertTrue(copied.stream().anyMatch(p -> p.matcher(library).matches()),
                        "deploy/Dockerfile does not copy " + library + " into the gpu image");
            }
        }
    }

    private static Path extractProvider(Path dir) throws IOException {
        Path provider = dir.resolve("libonnxruntime_providers_cuda.so");
        try (InputStream in = GpuImageCudaTest.class.getClassLoader().getResourceAsStream(PROVIDER)) {
            assertNotNull(in, PROVIDER + " is not on the class path: is onnxruntime_gpu (-Pgpu) its ONNX Runtime?");
            Files.copy(in, provider);
        }
        return provider;
    }

    private static List<Pattern> copiedLibraries(String dockerfile) {
        Matcher matcher = COPIED.matcher(dockerfile);
        List<Pattern> patterns = new ArrayList<>();
        while (matcher.find()) {
            patterns.add(Pattern.compile(Pattern.quote(matcher.group(1)).replace("*", "\\E.*\\Q")));
        }
        assertFalse(patterns.isEmpty(), "no `cp .../lib*.so*` in deploy/Dockerfile");
        return patterns;
    }

    private static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("deploy/Dockerfile")) ? here : here.getParent();
    }
}
