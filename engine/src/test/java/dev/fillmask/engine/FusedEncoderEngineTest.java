package dev.fillmask.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.importer.TinyCheckpoints.Flavor;
import dev.fillmask.engine.importer.huggingface.HuggingFaceImport;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.onnx.OnnxModelFile;
import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The fused encoder answers as the plain one, on every kind of graph the importer writes: the tiny model (RoBERTa
 * positions, no token types, windowing at 64 tokens), and tiny Hugging Face checkpoints imported as BERT, RoBERTa and
 * DistilBERT. The engine really loads the fused graph: it is what {@link RewrittenModels} gives it.
 */
class FusedEncoderEngineTest {
    @TempDir
    static Path dir;

    enum Model { TINY, BERT, ROBERTA, DISTILBERT }

    private static final List<FillMaskRequest> TINY_REQUESTS = List.of(
            new FillMaskRequest("the cat sat on the <mask>.", 20, null),
            new FillMaskRequest("the <mask> worked as a <mask> in paris, the capital of france.", 20, null),
            new FillMaskRequest("she is a <mask>.", 3, List.of("doctor", "teacher", "nurse", "lawyer")),
            new FillMaskRequest("the river flows past the old house and ".repeat(20) + "the <mask> sat.", 20, null),
            new FillMaskRequest("no mask here", 5, null));

    @ParameterizedTest
    @EnumSource(Model.class)
    void theFusedGraphIsLoadedAndAnswersAsThePlainOne(Model model) throws IOException {
        Path folder = folder(model);
        String mask = model == Model.TINY || model == Model.ROBERTA ? "<mask>" : "[MASK]";
        List<FillMaskRequest> requests = TINY_REQUESTS.stream()
                .map(r -> new FillMaskRequest(r.inputs().replace("<mask>", mask), r.topK(), r.targets())).toList();

        Path loaded = RewrittenModels.modelToLoad(folder.resolve("model.onnx"), GraphRewrites.ALL,
                RewrittenModels.defaultCache());
        assertNotEquals(folder.resolve("model.onnx"), loaded, "a rewrite was made");
        ModelProto graph = OnnxModelFile.read(loaded);
        long attentions = graph.getGraph().getNodeList().stream().map(NodeProto::getOpType)
                .filter("Attention"::equals).count();
        assertEquals(2, attentions, "both layers' attention fused");

        EngineOptions options = EngineOptions.defaults().withIntraOpThreads(1);
        try (FillMaskEngine plain = FillMaskEngine.open(folder, options, GraphRewrites.NONE);
             FillMaskEngine fused = FillMaskEngine.open(folder, options)) {
            List<FillMaskAnswer> expected = plain.predict(requests);
            List<FillMaskAnswer> actual = fused.predict(requests);
            for (int i = 0; i < requests.size(); i++) {
                DefaultModelEngineTest.assertSameAnswer(expected.get(i), actual.get(i));
            }
        }
    }

    private static Path folder(Model model) {
        Path at = dir.resolve(model.name());
        if (model == Model.TINY) {
            return TinyMaskedLm.write(at, HeadForm.AT_MASKS);
        }
        TinyCheckpoints.Checkpoint checkpoint = TinyCheckpoints.write(at.resolve("checkpoint"),
                Flavor.valueOf(model.name()));
        return HuggingFaceImport.importCheckpoint(checkpoint.dir(), at.resolve("imported"),
                new PrintStream(OutputStream.nullOutputStream()));
    }
}
