package dev.fillmask.job.deployment;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link CudaMajorVersions} on the lines and sonames it reads (the real ones: GpuImageCudaTest, -Pgpu). */
class CudaMajorVersionsTest {

    @Test
    void readsTheBaseImagesMajorVersion() {
        String dockerfile = "ARG FLINK_IMAGE=flink:2.2.1-scala_2.12-java17\n"
                + "ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04\n"
                + "FROM --platform=linux/amd64 ${CUDA_IMAGE} AS cuda-amd64\n";
        assertEquals(12, CudaMajorVersions.ofBaseImage(dockerfile));
        assertEquals(13, CudaMajorVersions.ofBaseImage("ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04"));
        assertThrows(IllegalArgumentException.class, () -> CudaMajorVersions.ofBaseImage("FROM nvidia/cuda:12.6.3\n"));
    }

    @Test
    void readsTheToolkitLibrariesMajorVersionsAndNothingElse() {
        // the NEEDED entries of onnxruntime_gpu 1.29.0's libonnxruntime_providers_cuda.so
        List<String> needed = List.of("libcublasLt.so.12", "libcublas.so.12", "libcurand.so.10", "libcudart.so.12",
                "libcuda.so.1", "libdl.so.2", "libstdc++.so.6", "libc.so.6");
        assertEquals(Map.of("libcublasLt.so.12", 12, "libcublas.so.12", 12, "libcudart.so.12", 12),
                CudaMajorVersions.ofNeededLibraries(needed));
    }
}
