package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subtask closed while its loader still loads (a job cancelled during a swap to a model being imported): the close
 * does not wait for the load beyond its bound, the load is interrupted, and the engine it opens after all is closed
 * by the loader instead of being handed to a subtask that is gone.
 */
class ModelLoaderTest {
    @TempDir
    static Path dir;

    @Test
    void aCloseDuringALoadLeavesTheLoadToCloseWhatItOpens() throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"), HeadForm.FULL);
        CountDownLatch resolving = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        // Like an import or a session's creation, it does not stop when interrupted; it notes that it was.
        ModelResolver slow = name -> {
            resolving.countDown();
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted.set(true);
                }
            }
            return model;
        };
        ModelLoader loader = new ModelLoader(slow, EngineOptions.defaults(), "test-loader", Duration.ofMillis(200));
        CompletableFuture<ModelLoader.Result> load = loader.load(ModelChange.of("swap-1", "tiny", null));
        assertTrue(resolving.await(1, TimeUnit.MINUTES));

        loader.close();
        assertFalse(load.isDone(), "close returned while the load still runs");
        release.countDown();
        ModelLoader.Result result = load.get(1, TimeUnit.MINUTES);

        assertTrue(interrupted.get(), "the load was interrupted when the wait ran out");
        assertFalse(result.loaded(), "nobody takes an engine opened after the close: the loader closed it");
        assertEquals("the subtask closed while the model loaded", result.error());
        assertEquals(model, result.folder());
    }
}
