package dev.fillmask.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.OnnxModelFile;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The real default model fused ({@link GraphRewrites#ALL}, what every engine loads) against the importer's graph as
 * it is ({@link GraphRewrites#NONE}): the same answers to 1e-5 for one mask, several masks, targets and an input
 * long enough to be windowed, in one batch and one by one; and the fused graph has the ops it is meant to have.
 */
class DefaultModelFusionTest {
    private static final List<FillMaskRequest> REQUESTS = List.of(
            new FillMaskRequest("Paris is the [MASK] of France.", null, null),
            new FillMaskRequest("The man worked as a [MASK].", 10, null),
            new FillMaskRequest("The [MASK] sat on the [MASK] and looked at the [MASK].", 5, null),
            new FillMaskRequest("She is a [MASK].", 4, List.of("doctor", "teacher", "nurse", "lawyer")),
            // About 660 tokens: more than BERT's 512 positions, so the engine windows it.
            new FillMaskRequest("The river flows past the old mill and the village. ".repeat(60)
                    + "In the end the [MASK] was quiet again.", 5, null),
            new FillMaskRequest("no mask here", 5, null));

    private static FillMaskEngine plain;
    private static FillMaskEngine fused;

    @BeforeAll
    static void open() {
        plain = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults(), GraphRewrites.NONE);
        fused = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults());
    }

    @AfterAll
    static void close() {
        plain.close();
        fused.close();
    }

    @Test
    void theFusedGraphAnswersAsThePlainOne() {
        List<FillMaskAnswer> expected = plain.predict(REQUESTS);
        List<FillMaskAnswer> batch = fused.predict(REQUESTS);
        for (int i = 0; i < REQUESTS.size(); i++) {
            DefaultModelEngineTest.assertSameAnswer(expected.get(i), batch.get(i));
            DefaultModelEngineTest.assertSameAnswer(expected.get(i), fused.predict(REQUESTS.get(i)));
        }
        assertInstanceOf(FillMaskAnswer.MultiMask.class, batch.get(2));
        assertInstanceOf(FillMaskAnswer.Error.class, batch.get(5));
    }

    @Test
    void theFusedGraphHasTheContribOps() throws IOException {
        Path source = ModelFolder.open(SharedDefaultModel.path()).modelFile();
        Path loaded = RewrittenModels.modelToLoad(source, GraphRewrites.ALL, RewrittenModels.defaultCache());
        ModelProto model = OnnxModelFile.read(loaded);
        Map<String, Integer> ops = new TreeMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            ops.merge(GraphIndex.isStandard(n) ? n.getOpType() : n.getDomain() + "." + n.getOpType(), 1, Integer::sum);
        }
        assertEquals(12, ops.get("com.microsoft.Attention"), ops::toString);
        assertEquals(24, ops.get("com.microsoft.SkipLayerNormalization"), ops::toString);
        assertEquals(1, ops.get("com.microsoft.FusedMatMul"), ops::toString);
        assertEquals(null, ops.get("Softmax"), ops::toString);
        assertEquals(null, ops.get("Transpose"), ops::toString);
        assertEquals(2, ops.get("LayerNormalization"), "the embeddings' and the head's: " + ops);
    }
}
