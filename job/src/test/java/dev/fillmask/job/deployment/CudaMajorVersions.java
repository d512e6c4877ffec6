package dev.fillmask.job.deployment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CUDA major version as two places name it: the tag of the CUDA base image in deploy/Dockerfile
 * ({@code ARG CUDA_IMAGE=nvidia/cuda:12.6.3-...}), and the sonames a library was linked against. Only the runtime
 * and cuBLAS libraries are read: their soname carries the toolkit's major version (libcudart.so.12), while
 * cuRAND's and cuFFT's carry their own numbering (libcurand.so.10 in CUDA 12) and libcuda.so.1 is the driver's.
 */
public final class CudaMajorVersions {
    private static final Pattern IMAGE = Pattern.compile("^ARG CUDA_IMAGE=nvidia/cuda:(\\d+)\\.\\S*$",
            Pattern.MULTILINE);
    private static final Pattern TOOLKIT_SONAME = Pattern.compile("(libcudart|libcublas|libcublasLt)\\.so\\.(\\d+)");

    private CudaMajorVersions() {
    }

    /** The major version of the Dockerfile's CUDA_IMAGE default. */
    public static int ofBaseImage(String dockerfile) {
        Matcher matcher = IMAGE.matcher(dockerfile);
        if (!matcher.find()) {
            throw new IllegalArgumentException("no `ARG CUDA_IMAGE=nvidia/cuda:<major>.<minor>...` line");
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** The CUDA toolkit libraries among {@code needed}, each with the major version its soname asks for. */
    public static Map<String, Integer> ofNeededLibraries(List<String> needed) {
        Map<String, Integer> majors = new LinkedHashMap<>();
        for (String library : needed) {
            Matcher matcher = TOOLKIT_SONAME.matcher(library);
            if (matcher.matches()) {
                majors.put(library, Integer.parseInt(matcher.group(2)));
            }
        }
        return majors;
    }
}
