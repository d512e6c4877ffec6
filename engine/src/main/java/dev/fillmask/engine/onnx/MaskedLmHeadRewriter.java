package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.fillmask.engine.onnx.MaskedLmSignature.MASKS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_LOGITS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_POSITIONS;

/**
 * Turns a full-head masked-LM graph (a plain Hugging Face / optimum export) into the head-at-masks form of
 * {@link MaskedLmSignature}: a new input {@code mask_positions}, the encoder's last hidden state flattened to rows and
 * gathered at those positions, the unchanged head run on the gathered rows, and {@code mask_logits} [masks, vocab]
 * instead of {@code logits}. The head's nodes and weights are kept as they are (only their input is rewired), so the
 * numbers at the mask rows are the same ones the full graph computes.
 *
 * <p>The gathered rows go back to rank 3 as a batch of one ({@code [1, masks, hidden]}) so that every op of the head
 * sees the rank it was exported for (an axis of 2 still means the last one); the result is flattened to
 * {@code [masks, vocab]} at the end.
 */
public final class MaskedLmHeadRewriter {
    /** Recorded in the rewritten model's metadata, so a reader can tell where it came from. */
    public static final String METADATA_KEY = "fill-mask.head";

    /** What the rewrite made of a model. */
    public sealed interface Outcome permits Rewritten, AlreadyAtMasks, NotRecognised {}

    /** The model in the head-at-masks form; {@code headNodes} of its nodes now run on the mask rows only. */
    public record Rewritten(ModelProto model, String hidden, int headNodes) implements Outcome {}

    /** The model already has {@code mask_positions} and {@code mask_logits}: nothing to do. */
    public record AlreadyAtMasks() implements Outcome {}

    /** No head was found that can safely run on the mask rows alone: use the model as it is. */
    public record NotRecognised(String reason) implements Outcome {}

    private MaskedLmHeadRewriter() {}

    public static Outcome rewrite(ModelProto model) {
        GraphIndex index = new GraphIndex(model.getGraph());
        if (index.isGraphInput(MASK_POSITIONS) && index.isGraphOutput(MASK_LOGITS)) {
            return new AlreadyAtMasks();
        }
        if (index.hasValue(MASK_POSITIONS) || index.hasValue(MASK_LOGITS)) {
            return new NotRecognised("it already has a value named " + MASK_POSITIONS + " or " + MASK_LOGITS
                    + " without being in the head-at-masks form");
        }
        long opset = GraphIndex.standardOpset(model);
        MaskedLmHead.Recognition recognition = MaskedLmHead.find(index, opset);
        if (!recognition.found()) {
            return new NotRecognised(recognition.problem());
        }
        MaskedLmHead.Found head = recognition.head();
        return new Rewritten(new Rewrite(model, index, head, opset).apply(), head.hidden(), head.nodes().size());
    }

    /** One rewrite: the new nodes and names, then the graph put back together around them. */
    private static final class Rewrite {
        private final ModelProto model;
        private final GraphIndex index;
        private final GraphEditor editor;
        private final MaskedLmHead.Found head;
        private final long opset;

        Rewrite(ModelProto model, GraphIndex index, MaskedLmHead.Found head, long opset) {
            this.model = model;
            this.index = index;
            this.editor = new GraphEditor(index);
            this.head = head;
            this.opset = opset;
        }

        ModelProto apply() {
            List<NodeProto> gatherNodes = new ArrayList<>();
            String gatheredHidden = gatherMaskRows(gatherNodes);
            String headOutput = head.hiddenIsRows() ? MASK_LOGITS : index.freshName("fill_mask/mask_logits_3d");
            int logitsProducer = index.producer(head.logits());
            if (!head.hiddenIsRows()) {
                editor.insertAfter(logitsProducer, List.of(OnnxGraphBuilder.newNode("Flatten", "fill_mask/mask_logits",
                        List.of(headOutput), MASK_LOGITS, OnnxGraphBuilder.intAttribute("axis", lastAxis()))));
            }
            int hiddenProducer = index.producer(head.hidden());
            if (hiddenProducer < 0) {
                editor.insertBefore(0, gatherNodes);
            } else {
                editor.insertAfter(hiddenProducer, gatherNodes);
            }
            for (int i : head.nodes()) {
                NodeProto node = GraphEditor.withInputRenamed(index.node(i), head.hidden(), gatheredHidden);
                if (i == logitsProducer) {
                    node = GraphEditor.withOutputRenamed(node, head.logits(), headOutput);
                }
                editor.replace(i, List.of(node));
            }

            GraphProto graph = model.getGraph();
            GraphProto.Builder g = editor.apply();
            g.addInput(OnnxGraphBuilder.valueInfo(MASK_POSITIONS, TensorProto.DataType.INT64_VALUE, MASKS));
            replaceOutput(g, graph);
            dropStaleShapes(g);

            return model.toBuilder()
                    .setGraph(g)
                    .addMetadataProps(StringStringEntryProto.newBuilder().setKey(METADATA_KEY)
                            .setValue("LM head at the mask positions, gathered from '" + head.hidden() + "'"))
                    .build();
        }

        /** Nodes that turn the hidden state into the mask rows, in the rank the head expects; returns their output. */
        private String gatherMaskRows(List<NodeProto> gatherNodes) {
            if (head.hiddenIsRows()) {
                String atMasks = index.freshName("fill_mask/hidden_at_masks");
                gatherNodes.add(OnnxGraphBuilder.newNode("Gather", atMasks, List.of(head.hidden(), MASK_POSITIONS), atMasks,
                        OnnxGraphBuilder.intAttribute("axis", 0)));
                return atMasks;
            }
            String rows = index.freshName("fill_mask/hidden_rows");
            gatherNodes.add(OnnxGraphBuilder.newNode("Flatten", rows, List.of(head.hidden()), rows,
                    OnnxGraphBuilder.intAttribute("axis", lastAxis())));
            String atMasks = index.freshName("fill_mask/hidden_at_masks");
            gatherNodes.add(OnnxGraphBuilder.newNode("Gather", atMasks, List.of(rows, MASK_POSITIONS), atMasks,
                    OnnxGraphBuilder.intAttribute("axis", 0)));
            String batchOfOne = index.freshName("fill_mask/hidden_at_masks_batch");
            if (opset >= 13) {
                // Unsqueeze takes its axes as an input from opset 13 on, as an attribute before.
                String axes = editor.addInt64s("fill_mask/axis_0", 0);
                gatherNodes.add(OnnxGraphBuilder.newNode("Unsqueeze", batchOfOne, List.of(atMasks, axes), batchOfOne));
            } else {
                gatherNodes.add(OnnxGraphBuilder.newNode("Unsqueeze", batchOfOne, List.of(atMasks), batchOfOne,
                        OnnxGraphBuilder.intsAttribute("axes", 0)));
            }
            return batchOfOne;
        }

        /** Flatten's axis for "all but the last dimension": -1 needs opset 11; before, the head is rank 3. */
        private long lastAxis() {
            return opset >= 11 ? -1 : 2;
        }

        private void replaceOutput(GraphProto.Builder g, GraphProto graph) {
            g.clearOutput();
            for (ValueInfoProto out : graph.getOutputList()) {
                if (!out.getName().equals(head.logits())) {
                    g.addOutput(out);
                    continue;
                }
                Object vocab = "vocab";
                TypeProto.Tensor type = out.getType().getTensorType();
                if (type.getShape().getDimCount() > 0) {
                    vocab = type.getShape().getDim(type.getShape().getDimCount() - 1);
                }
                int elemType = type.getElemType() != 0 ? type.getElemType() : TensorProto.DataType.FLOAT_VALUE;
                g.addOutput(OnnxGraphBuilder.valueInfo(MASK_LOGITS, elemType, MASKS, vocab));
            }
        }

        /** Shapes recorded for the head's values say [batch, sequence, ...]; they no longer hold, so drop them. */
        private void dropStaleShapes(GraphProto.Builder g) {
            Set<String> stale = new HashSet<>();
            head.nodes().forEach(i -> stale.addAll(index.node(i).getOutputList()));
            List<ValueInfoProto> kept = g.getValueInfoList().stream().filter(v -> !stale.contains(v.getName())).toList();
            g.clearValueInfo().addAllValueInfo(kept);
        }
    }
}
