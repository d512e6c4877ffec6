package dev.fillmask.engine.quantize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.fillmask.engine.DjlOffline;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.MaskedLmSignature;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How large each channel (last dimension) of chosen activations gets on calibration texts, measured by running the
 * float32 model with those activations as extra outputs. BERT's activations are far from uniform: a handful of
 * channels at a handful of tokens (the final period, [SEP]) reach 50–130 where the median channel stays under 0.2,
 * so one scale per tensor, as dynamic int8 uses, would leave the ordinary values with a few levels. Knowing the
 * ranges per channel lets {@link Int8Quantizer} keep the few outlier channels out of int8 ({@link OutlierChannels}).
 * Each text runs alone, so no padding enters the figures.
 */
final class ActivationRanges {
    /** The shipped calibration texts; {@value #MASK_PLACEHOLDER} stands for the model's mask token. */
    static final String DEFAULT_TEXTS = "calibration.txt";
    static final String MASK_PLACEHOLDER = "{mask}";

    private ActivationRanges() {}

    /** The shipped calibration texts with the folder's own mask token in place. */
    static List<String> defaultTexts(String maskToken) {
        try (InputStream in = ActivationRanges.class.getResourceAsStream(DEFAULT_TEXTS)) {
            if (in == null) {
                throw new IllegalStateException("the calibration texts " + DEFAULT_TEXTS + " are not on the class path");
            }
            List<String> texts = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    texts.add(line.replace(MASK_PLACEHOLDER, maskToken));
                }
            }
            return texts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The largest |value| per channel of each of {@code values} over {@code texts}. The model is written, with the
     * values as extra outputs, to a temporary file next to {@code scratchDir} rather than handed over as bytes, so a
     * 438 MB model is not held on the heap a second time.
     */
    static Map<String, float[]> measure(ModelProto model, ModelFolder folder, List<String> texts, Set<String> values,
                                        Path scratchDir) throws IOException {
        Map<String, float[]> ranges = new HashMap<>();
        visit(model, folder, texts, values, scratchDir, (v, tensor) -> accumulate(ranges, v, tensor));
        return ranges;
    }

    /**
     * For static activation scales ({@link StaticActivations}): per activation, the lowest value any row of it
     * reaches on {@code texts} once its outlier channels ({@code outliers}, by activation) are set aside and it is
     * divided by its largest remaining |value| — the low end of its normalized range, in [-1, 0]. An activation whose
     * rows are all but non-negative (after GELU) then gets its 256 levels over about [0, 1] instead of [-1, 1].
     */
    static Map<String, Float> lowestNormalized(ModelProto model, ModelFolder folder, List<String> texts,
                                               Map<String, int[]> outliers, Path scratchDir) throws IOException {
        Map<String, Float> lowest = new HashMap<>();
        visit(model, folder, texts, outliers.keySet(), scratchDir, (v, tensor) -> {
            float low = RowRange.lowestNormalized(tensor, outliers.get(v));
            lowest.merge(v, low, Math::min);
        });
        return lowest;
    }

    /** What is done with each asked-for activation of each calibration text. */
    private interface Visitor {
        void accept(String value, OnnxTensor tensor);
    }

    private static void visit(ModelProto model, ModelFolder folder, List<String> texts, Set<String> values,
                              Path scratchDir, Visitor visitor) throws IOException {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        Set<String> outputs = new LinkedHashSet<>();
        graph.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (String v : values) {
            if (outputs.add(v)) {
                graph.addOutput(ValueInfoProto.newBuilder().setName(v));
            }
        }
        Path probe = Files.createTempFile(scratchDir, ".calibration-", ".onnx");
        try {
            OnnxModelFile.write(model.toBuilder().setGraph(graph).build(), probe);
            run(probe, folder, texts, values, visitor);
        } catch (OrtException e) {
            throw new IOException("the calibration run failed: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static void run(Path probe, ModelFolder folder, List<String> texts, Set<String> values, Visitor visitor)
            throws OrtException, IOException {
        DjlOffline.ensure();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(folder.tokenizerFile(),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
             OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(probe.toString(), options)) {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            for (String text : texts) {
                Encoding encoding = tokenizer.encode(text, true, false);
                long[] ids = encoding.getIds();
                if (ids.length > folder.maxLength()) {
                    continue;
                }
                Map<String, OnnxTensor> feed = feed(env, inputs.keySet(), ids, encoding.getTypeIds(), folder.maskTokenId());
                try (OrtSession.Result result = session.run(feed, values)) {
                    for (String v : values) {
                        visitor.accept(v, (OnnxTensor) result.get(v).orElseThrow());
                    }
                } finally {
                    feed.values().forEach(OnnxValue::close);
                }
            }
        }
    }

    private static Map<String, OnnxTensor> feed(OrtEnvironment env, Set<String> inputs, long[] ids, long[] types,
                                                int maskId) throws OrtException {
        long[] shape = {1, ids.length};
        long[] ones = new long[ids.length];
        java.util.Arrays.fill(ones, 1L);
        Map<String, OnnxTensor> feed = new HashMap<>();
        feed.put(MaskedLmSignature.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        feed.put(MaskedLmSignature.ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape));
        if (inputs.contains(MaskedLmSignature.TOKEN_TYPE_IDS)) {
            feed.put(MaskedLmSignature.TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
        }
        if (inputs.contains(MaskedLmSignature.MASK_POSITIONS)) {
            long[] masks = java.util.stream.IntStream.range(0, ids.length).filter(i -> ids[i] == maskId)
                    .mapToLong(i -> i).toArray();
            long[] positions = masks.length > 0 ? masks : new long[] {0};
            feed.put(MaskedLmSignature.MASK_POSITIONS, OnnxTensor.createTensor(env, LongBuffer.wrap(positions),
                    new long[] {positions.length}));
        }
        return feed;
    }

    private static void accumulate(Map<String, float[]> ranges, String value, OnnxTensor tensor) {
        long[] shape = ((TensorInfo) tensor.getInfo()).getShape();
        int channels = (int) shape[shape.length - 1];
        float[] max = ranges.computeIfAbsent(value, v -> new float[channels]);
        FloatBuffer data = tensor.getFloatBuffer();
        for (int i = 0; i < data.limit(); i++) {
            int c = i % channels;
            max[c] = Math.max(max[c], Math.abs(data.get(i)));
        }
    }
}
