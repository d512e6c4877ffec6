package dev.fillmask.engine;

import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.testing.TinyMaskedLm;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * CUDA asked for where it cannot be had (these machines: the CPU build of ONNX Runtime, no GPU): the engine fails at
 * start with a message that says why and what to do, or runs on CPU when fallback is allowed.
 */
class ExecutionProviderTest {
    @TempDir
    static Path dir;
    private static Path model;

    @BeforeAll
    static void writeModel() {
        assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
                "this test is about machines without CUDA");
        model = TinyMaskedLm.write(dir.resolve("tiny"));
    }

    private static EngineOptions cuda(boolean fallback) {
        return EngineOptions.defaults().withIntraOpThreads(1).withProvider(ExecutionProvider.CUDA, 0, fallback);
    }

    @Test
    void cudaWithoutFallbackFailsAtStartSayingWhy() {
        EngineStartException e = assertThrows(EngineStartException.class, () -> FillMaskEngine.open(model, cuda(false)));
        assertTrue(e.getMessage().startsWith("CUDA was asked for but this ONNX Runtime build has no CUDA execution "
                + "provider"), e.getMessage());
        assertTrue(e.getMessage().contains("-Pgpu"), e.getMessage());
        assertTrue(e.getMessage().contains("allow CPU fallback"), e.getMessage());
    }

    @Test
    void cudaWithFallbackRunsOnCpu() {
        try (FillMaskEngine engine = FillMaskEngine.open(model, cuda(true))) {
            assertEquals(ExecutionProvider.CPU, engine.provider());
            FillMaskAnswer answer = engine.predict(new FillMaskRequest("the cat sat on the <mask>.", 2, null));
            assertFalse(answer.isError(), answer.toString());
        }
    }
}
