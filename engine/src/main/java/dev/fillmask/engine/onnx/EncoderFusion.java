package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static dev.fillmask.engine.onnx.OnnxGraphBuilder.floatAttribute;
import static dev.fillmask.engine.onnx.OnnxGraphBuilder.intAttribute;

/**
 * Rewrites the float32 encoder the importer writes ({@link BertMaskedLmGraph}) into ONNX Runtime's fused contrib ops,
 * which its own optimizer does not do for this graph: its attention fusion only matches the op versions of older
 * opsets (Add 7/13, Reshape 5/13, LayerNormalization as ONNX Runtime's own version 1) and the graph is written at
 * opset 17, and its skip-layer-norm fusion does not fire on it either. Three rewrites, each where its pattern is
 * found:
 * <ul>
 *     <li>each self-attention block (the Q, K and V projections, the split into heads, the scaled scores, the mask,
 *     the softmax and the merge of the heads) becomes one {@code com.microsoft.Attention} with the three projections
 *     packed into one [hidden, 3·hidden] weight and the attention mask as its raw [batch, sequence] 0/1 mask_index,
 *     cast to int32 once for all layers. Attention turns that mask into (1 − mask)·mask_filter_value, the bias the
 *     graph added, so the arithmetic is the one it replaces;</li>
 *     <li>each dense → bias → residual → LayerNormalization becomes the MatMul and one
 *     {@code com.microsoft.SkipLayerNormalization} (bias, residual and norm in one pass over the rows);</li>
 *     <li>the tied decoder, a MatMul by the transpose of the word embeddings, becomes {@code com.microsoft.FusedMatMul}
 *     with transB = 1 on the embeddings themselves, so ONNX Runtime has no transposed copy to fold into a second
 *     94 MB initializer (its GEMM still prepacks the weight, so the session's memory stays the same).</li>
 * </ul>
 * The feed-forward GELU is left as it is: ONNX Runtime already fuses it into BiasGelu. The graph it reads is left
 * unchanged, and so is the model file: the int8 quantizer keeps reading plain MatMuls.
 *
 * <p>A graph with contrib ops already (an int8 model, an export optimized elsewhere) is left alone: the fusions are
 * for the float32 graph only.
 */
public final class EncoderFusion {
    /** Recorded in the fused model's metadata, so a reader can tell what was done to it. */
    public static final String METADATA_KEY = "fill-mask.fusion";
    static final String MICROSOFT = "com.microsoft";

    /**
     * How a self-attention block is written. {@link #ATTENTION} is the float32 engine's: one
     * {@code com.microsoft.Attention} holding the packed Q/K/V weight. {@link #PROJECTED} keeps the Q, K and V
     * projections outside, as plain MatMuls whose products go to one {@code com.microsoft.MultiHeadAttention} (which
     * adds the bias, splits the heads, scales, masks and merges): the int8 quantizer needs the projections as MatMuls
     * it can quantize, and still gets the fused attention core.
     */
    public enum AttentionForm { ATTENTION, PROJECTED }

    /** What fusing made of a model. */
    public sealed interface Outcome permits Fused, NotFused {}

    /** The model with {@code attentions} attention blocks in {@code form}, {@code skipLayerNorms}
     * SkipLayerNormalization, {@code decoders} FusedMatMul decoder nodes. */
    public record Fused(ModelProto model, AttentionForm form, int attentions, int skipLayerNorms, int decoders)
            implements Outcome {
        public String describe() {
            return describe(form, attentions, skipLayerNorms, decoders);
        }

        private static String describe(AttentionForm form, int attentions, int skipLayerNorms, int decoders) {
            return String.format(Locale.ROOT, "%d %s, %d SkipLayerNormalization, %d decoder FusedMatMul", attentions,
                    form == AttentionForm.ATTENTION ? "Attention" : "MultiHeadAttention (after their Q, K and V MatMuls)",
                    skipLayerNorms, decoders);
        }
    }

    /** Nothing was fused, and why. */
    public record NotFused(String reason) implements Outcome {}

    private EncoderFusion() {}

    public static Outcome fuse(ModelProto model) {
        return fuse(model, AttentionForm.ATTENTION);
    }

    /** The fusions, with the attention blocks written in {@code form}. */
    public static Outcome fuse(ModelProto model, AttentionForm form) {
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (!GraphIndex.isStandard(node)) {
                return new NotFused("it already has " + node.getDomain() + "." + node.getOpType()
                        + " nodes (an int8 or otherwise optimized model); the fusions are for the float32 graph");
            }
        }
        return new Fusion(model, form).apply();
    }

    /** One fusion pass: patterns found against the original graph, edits collected, the graph rebuilt once. */
    private static final class Fusion {
        private final ModelProto model;
        private final AttentionForm form;
        private final GraphIndex index;
        private final GraphEditor editor;
        private final Set<Integer> claimed = new HashSet<>();
        private final List<String> problems = new ArrayList<>();

        Fusion(ModelProto model, AttentionForm form) {
            this.model = model;
            this.form = form;
            this.index = new GraphIndex(model.getGraph());
            this.editor = new GraphEditor(index);
        }

        Outcome apply() {
            int attentions = fuseAttentions();
            int skipLayerNorms = fuseSkipLayerNorms();
            int decoders = fuseDecoders();
            if (attentions + skipLayerNorms + decoders == 0) {
                return new NotFused(problems.isEmpty() ? "no pattern of the importer's encoder was found"
                        : String.join("; ", problems));
            }
            // Constants only the fused nodes read (shapes, the scale, the mask's 1 and -10000) go with them.
            for (int node : claimed) {
                index.node(node).getInputList().stream().filter(in -> index.initializer(in) != null)
                        .forEach(editor::dropIfUnread);
            }
            GraphProto.Builder g = editor.apply();
            dropStaleShapes(g);
            ModelProto.Builder m = model.toBuilder().setGraph(g);
            if (m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(MICROSOFT))) {
                m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MICROSOFT).setVersion(1));
            }
            m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(METADATA_KEY)
                    .setValue("ONNX Runtime contrib ops: "
                            + Fused.describe(form, attentions, skipLayerNorms, decoders)));
            return new Fused(m.build(), form, attentions, skipLayerNorms, decoders);
        }

        // ---- Attention ----

        /** Every Softmax must be an attention block of the known shape: a half-fused encoder would gain little. */
        private int fuseAttentions() {
            List<AttentionBlock> blocks = new ArrayList<>();
            MaskBias mask = null;
            for (int i = 0; i < index.graph().getNodeCount(); i++) {
                if (!isOp(i, "Softmax")) {
                    continue;
                }
                AttentionBlock block = attentionBlock(i);
                if (block == null) {
                    problems.add("the Softmax '" + index.node(i).getName() + "' is not a self-attention block of the"
                            + " importer's form, so no attention was fused");
                    return 0;
                }
                if (mask != null && !mask.equals(block.mask())) {
                    problems.add("the attention blocks do not share one mask, so no attention was fused");
                    return 0;
                }
                mask = block.mask();
                blocks.add(block);
            }
            if (blocks.isEmpty()) {
                return 0;
            }
            Set<Integer> maskAdds = new HashSet<>();
            blocks.forEach(b -> maskAdds.add(b.maskAdd()));
            String bias = index.node(mask.others().get(mask.others().size() - 1)).getOutput(0);
            if (!maskAdds.containsAll(index.consumers(bias)) || index.isGraphOutput(bias)) {
                problems.add("the attention mask's bias is read outside the attention blocks, so no attention was"
                        + " fused");
                return 0;
            }
            // The mask's Cast to float becomes a Cast to int32, read by every Attention; the rest of its chain goes.
            String maskInt32 = index.freshName("fusion/attention_mask_int32");
            editor.replace(mask.cast(), List.of(OnnxGraphBuilder.newNode("Cast", "fusion/attention_mask_int32",
                    List.of(mask.input()), maskInt32, intAttribute("to", TensorProto.DataType.INT32_VALUE))));
            for (int node : mask.others()) {
                editor.remove(node);
            }
            for (AttentionBlock block : blocks) {
                packAttention(block, maskInt32);
                claimed.addAll(block.nodes());
                claimed.add(block.flatten());
            }
            claimed.add(mask.cast());
            claimed.addAll(mask.others());
            return blocks.size();
        }

        /** The nodes of one self-attention block around its Softmax, or null when it is not of the known shape. */
        private AttentionBlock attentionBlock(int softmax) {
            NodeProto sm = index.node(softmax);
            // Softmax's axis defaults to the last from opset 13 on, to 1 before.
            long axis = GraphIndex.intAttribute(sm, "axis", GraphIndex.standardOpset(model) >= 13 ? -1 : 1);
            if (axis != -1 && axis != 3) {
                return null;
            }
            int maskAdd = producerOp(sm.getInput(0), "Add", softmax);
            if (maskAdd < 0) {
                return null;
            }
            NodeProto add = index.node(maskAdd);
            int div = -1;
            String biasValue = null;
            for (int k = 0; k < 2 && div < 0; k++) {
                div = producerOp(add.getInput(k), "Div", maskAdd);
                biasValue = add.getInput(1 - k);
            }
            if (div < 0) {
                return null;
            }
            MaskBias mask = maskBias(biasValue);
            Float divisor = floatScalar(index.node(div).getInput(1));
            int scores = producerOp(index.node(div).getInput(0), "MatMul", div);
            if (mask == null || divisor == null || scores < 0) {
                return null;
            }
            Projection q = projection(index.node(scores).getInput(0), scores, new long[] {0, 2, 1, 3});
            Projection k = projection(index.node(scores).getInput(1), scores, new long[] {0, 2, 3, 1});
            int context = onlyReader(sm.getOutput(0), "MatMul");
            if (q == null || k == null || context < 0 || !index.node(context).getInput(0).equals(sm.getOutput(0))) {
                return null;
            }
            Projection v = projection(index.node(context).getInput(1), context, new long[] {0, 2, 1, 3});
            int merge = onlyReader(index.node(context).getOutput(0), "Transpose");
            if (v == null || merge < 0 || !Arrays.equals(GraphIndex.intsAttribute(index.node(merge), "perm"),
                    new long[] {0, 2, 1, 3})) {
                return null;
            }
            int flatten = onlyReader(index.node(merge).getOutput(0), "Reshape");
            if (flatten < 0) {
                return null;
            }
            long[] flatShape = index.constantInt64s(index.node(flatten).getInput(1));
            boolean sameInput = q.input().equals(k.input()) && q.input().equals(v.input());
            boolean sameHeads = q.heads() == k.heads() && q.heads() == v.heads() && q.headSize() == k.headSize()
                    && q.headSize() == v.headSize();
            long hidden = q.heads() * q.headSize();
            if (!sameInput || !sameHeads || flatShape == null
                    || !Arrays.equals(flatShape, new long[] {0, 0, hidden})
                    || !Arrays.equals(q.weight().getDimsList().toArray(), k.weight().getDimsList().toArray())
                    || !Arrays.equals(q.weight().getDimsList().toArray(), v.weight().getDimsList().toArray())
                    || q.weight().getDims(1) != hidden) {
                return null;
            }
            List<Integer> nodes = new ArrayList<>(List.of(softmax, maskAdd, div, scores, context, merge));
            nodes.addAll(q.nodes());
            nodes.addAll(k.nodes());
            nodes.addAll(v.nodes());
            return new AttentionBlock(q, k, v, mask, maskAdd, 1f / divisor, flatten, nodes);
        }

        /**
         * x → MatMul(W) → Add(b) → Reshape [0, 0, heads, head size] → Transpose(perm) → {@code value}, each step
         * read only by the next, the last by {@code reader}; null when {@code value} is not that.
         */
        private Projection projection(String value, int reader, long[] perm) {
            int transpose = producerOp(value, "Transpose", reader);
            if (transpose < 0 || !Arrays.equals(GraphIndex.intsAttribute(index.node(transpose), "perm"), perm)) {
                return null;
            }
            int reshape = producerOp(index.node(transpose).getInput(0), "Reshape", transpose);
            if (reshape < 0) {
                return null;
            }
            long[] split = index.constantInt64s(index.node(reshape).getInput(1));
            if (split == null || split.length != 4 || split[0] != 0 || split[1] != 0 || split[2] <= 0
                    || split[3] <= 0) {
                return null;
            }
            Dense dense = dense(index.node(reshape).getInput(0), reshape);
            if (dense == null) {
                return null;
            }
            return new Projection(dense, split[2], split[3], List.of(dense.matMul(), dense.add(), reshape, transpose));
        }

        /** Q, K and V as one [in, 3·hidden] MatMul inside Attention; the node replaces the block's last Reshape. */
        private void packAttention(AttentionBlock block, String maskInt32) {
            List<Projection> qkv = List.of(block.q(), block.k(), block.v());
            long in = block.q().weight().getDims(0);
            long hidden = block.q().weight().getDims(1);
            String weights = form == AttentionForm.PROJECTED ? null
                    : editor.addTensor(block.q().dense().weightName() + "_qkv", TensorProto.DataType.FLOAT,
                    UnsafeByteOperations.unsafeWrap(interleaveRows(qkv, (int) in, (int) hidden)), in, 3 * hidden);
            String bias = editor.addTensor(block.q().dense().biasName() + "_qkv", TensorProto.DataType.FLOAT,
                    UnsafeByteOperations.unsafeWrap(concatenateBiases(qkv, (int) hidden)), 3 * hidden);
            NodeProto flatten = index.node(block.flatten());
            String name = "fusion/" + flatten.getName();
            List<NodeProto> nodes = form == AttentionForm.ATTENTION
                    ? List.of(OnnxGraphBuilder.newNode(MICROSOFT, "Attention", name + "_attention",
                            List.of(block.q().input(), weights, bias, maskInt32), flatten.getOutput(0),
                            intAttribute("num_heads", block.q().heads()),
                            floatAttribute("scale", block.scale()),
                            floatAttribute("mask_filter_value", block.mask().filterValue())))
                    : projectedAttention(block, name, bias, maskInt32, flatten.getOutput(0));
            editor.replace(block.flatten(), nodes);
            for (int node : block.nodes()) {
                editor.remove(node);
            }
            for (Projection p : qkv) {
                editor.dropIfUnread(p.dense().weightName());
                editor.dropIfUnread(p.dense().biasName());
            }
        }

        /**
         * The Q, K and V MatMuls as they are (by their own [in, hidden] weights) → one MultiHeadAttention with the
         * packed bias and the int32 [batch, sequence] mask as its key padding mask, writing {@code output}. Three
         * MatMuls rather than one packed MatMul and a Split: the int8 quantizer quantizes their shared input once
         * for all three, and a Split would copy the whole [batch, sequence, 3·hidden] product once more.
         */
        private List<NodeProto> projectedAttention(AttentionBlock block, String name, String bias, String maskInt32,
                                                   String output) {
            List<NodeProto> nodes = new ArrayList<>();
            List<String> qkv = new ArrayList<>();
            for (Projection p : List.of(block.q(), block.k(), block.v())) {
                NodeProto matMul = index.node(p.dense().matMul());
                String product = editor.freshName(matMul.getOutput(0) + "/projected");
                nodes.add(OnnxGraphBuilder.newNode("MatMul", matMul.getName(), List.of(p.input(),
                        p.dense().weightName()), product));
                qkv.add(product);
            }
            nodes.add(OnnxGraphBuilder.newNode(MICROSOFT, "MultiHeadAttention", name + "_attention",
                    List.of(qkv.get(0), qkv.get(1), qkv.get(2), bias, maskInt32), output,
                    intAttribute("num_heads", block.q().heads()),
                    floatAttribute("scale", block.scale()),
                    floatAttribute("mask_filter_value", block.mask().filterValue())));
            return nodes;
        }

        /** Row r of the packed weight is row r of Q's, then of K's, then of V's: Attention's [in, 3·hidden] layout. */
        private static ByteBuffer interleaveRows(List<Projection> qkv, int in, int hidden) {
            ByteBuffer out = ByteBuffer.allocate(3 * in * hidden * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer floats = out.asFloatBuffer();
            float[] row = new float[hidden];
            List<FloatBuffer> sources = qkv.stream().map(p -> FloatTensor.values(p.weight())).toList();
            for (int r = 0; r < in; r++) {
                for (FloatBuffer source : sources) {
                    source.get(r * hidden, row);
                    floats.put(row);
                }
            }
            return out;
        }

        private static ByteBuffer concatenateBiases(List<Projection> qkv, int hidden) {
            ByteBuffer out = ByteBuffer.allocate(3 * hidden * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer floats = out.asFloatBuffer();
            float[] bias = new float[hidden];
            for (Projection p : qkv) {
                FloatTensor.values(p.bias()).get(0, bias);
                floats.put(bias);
            }
            return out;
        }

        /**
         * transformers' extended attention mask, (1 − float(mask[:, None, None, :]))·filter, from a graph input; null
         * when {@code value} is computed otherwise.
         */
        private MaskBias maskBias(String value) {
            int mul = index.producer(value);
            if (!isOp(mul, "Mul")) {
                return null;
            }
            NodeProto m = index.node(mul);
            int sub = -1;
            Float filter = null;
            for (int k = 0; k < 2 && sub < 0; k++) {
                if (isOp(index.producer(m.getInput(k)), "Sub")) {
                    sub = index.producer(m.getInput(k));
                    filter = floatScalar(m.getInput(1 - k));
                }
            }
            if (sub < 0 || filter == null) {
                return null;
            }
            Float one = floatScalar(index.node(sub).getInput(0));
            int unsqueeze = index.producer(index.node(sub).getInput(1));
            if (one == null || one != 1f || !isOp(unsqueeze, "Unsqueeze")) {
                return null;
            }
            NodeProto u = index.node(unsqueeze);
            long[] axes = u.getInputCount() > 1 ? index.constantInt64s(u.getInput(1))
                    : GraphIndex.intsAttribute(u, "axes");
            int cast = index.producer(u.getInput(0));
            if (!Arrays.equals(axes, new long[] {1, 2}) || !isOp(cast, "Cast")
                    || GraphIndex.intAttribute(index.node(cast), "to", 0) != TensorProto.DataType.FLOAT_VALUE
                    || !index.isGraphInput(index.node(cast).getInput(0))) {
                return null;
            }
            // The chain must feed the attention blocks only, since it goes with them.
            for (int node : List.of(cast, unsqueeze, sub)) {
                if (index.consumers(index.node(node).getOutput(0)).size() != 1) {
                    return null;
                }
            }
            return new MaskBias(index.node(cast).getInput(0), filter, cast, List.of(unsqueeze, sub, mul));
        }

        // ---- SkipLayerNormalization ----

        /** LayerNorm(MatMul(x, W) + b + residual) → SkipLayerNormalization(MatMul(x, W), residual, γ, β, b). */
        private int fuseSkipLayerNorms() {
            int fused = 0;
            for (int i = 0; i < index.graph().getNodeCount(); i++) {
                if (!isOp(i, "LayerNormalization") || claimed.contains(i)) {
                    continue;
                }
                NodeProto ln = index.node(i);
                long axis = GraphIndex.intAttribute(ln, "axis", -1);
                if (ln.getInputCount() != 3 || ln.getOutputCount() != 1 || axis != -1) {
                    continue;
                }
                int residual = producerOp(ln.getInput(0), "Add", i);
                if (residual < 0 || claimed.contains(residual)) {
                    continue;
                }
                NodeProto add = index.node(residual);
                Dense dense = null;
                String skip = null;
                for (int k = 0; k < 2 && dense == null; k++) {
                    dense = dense(add.getInput(k), residual);
                    skip = add.getInput(1 - k);
                }
                long hidden = dense == null ? -1 : dense.bias().getDims(0);
                // The skip must be a computed [.., hidden] value like the dense's output, not a broadcast constant.
                if (dense == null || index.isConstant(skip) || claimed.contains(dense.add())
                        || !isVector(ln.getInput(1), hidden)
                        || !isVector(ln.getInput(2), hidden)) {
                    continue;
                }
                float epsilon = floatAttributeOf(ln, "epsilon", 1e-5f);
                NodeProto skipNorm = OnnxGraphBuilder.newNode(MICROSOFT, "SkipLayerNormalization",
                        "fusion/" + ln.getName() + "_skip", List.of(dense.output(), skip, ln.getInput(1),
                                ln.getInput(2), dense.biasName()), ln.getOutput(0), floatAttribute("epsilon", epsilon));
                editor.replace(i, List.of(skipNorm));
                editor.remove(residual);
                editor.remove(dense.add());
                claimed.addAll(List.of(i, residual, dense.add()));
                fused++;
            }
            return fused;
        }

        // ---- the tied decoder ----

        /** MatMul(h, Transpose(E)) → FusedMatMul(h, E, transB = 1), E a 2-D float initializer. */
        private int fuseDecoders() {
            int fused = 0;
            for (int i = 0; i < index.graph().getNodeCount(); i++) {
                if (!isOp(i, "MatMul") || claimed.contains(i)) {
                    continue;
                }
                NodeProto matMul = index.node(i);
                int transpose = producerOp(matMul.getInput(1), "Transpose", i);
                if (transpose < 0) {
                    continue;
                }
                String table = index.node(transpose).getInput(0);
                TensorProto t = index.initializer(table);
                long[] perm = GraphIndex.intsAttribute(index.node(transpose), "perm");
                if (t == null || t.getDimsCount() != 2 || t.getDataType() != TensorProto.DataType.FLOAT_VALUE
                        || (perm != null && !Arrays.equals(perm, new long[] {1, 0}))) {
                    continue;
                }
                editor.replace(i, List.of(OnnxGraphBuilder.newNode(MICROSOFT, "FusedMatMul",
                        "fusion/" + matMul.getName() + "_transposed_b", List.of(matMul.getInput(0), table),
                        matMul.getOutput(0), intAttribute("transB", 1))));
                editor.remove(transpose);
                claimed.addAll(List.of(i, transpose));
                fused++;
            }
            return fused;
        }

        // ---- shared matching ----

        /** MatMul(x, W) → Add(b) giving {@code value}, both read only by the next step; null when not that. */
        private Dense dense(String value, int reader) {
            int add = producerOp(value, "Add", reader);
            if (add < 0) {
                return null;
            }
            NodeProto a = index.node(add);
            for (int k = 0; k < 2; k++) {
                int matMul = producerOp(a.getInput(k), "MatMul", add);
                TensorProto bias = index.initializer(a.getInput(1 - k));
                if (matMul < 0 || bias == null || bias.getDimsCount() != 1
                        || bias.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                    continue;
                }
                NodeProto m = index.node(matMul);
                TensorProto weight = index.initializer(m.getInput(1));
                if (weight == null || weight.getDimsCount() != 2 || weight.getDims(1) != bias.getDims(0)
                        || weight.getDataType() != TensorProto.DataType.FLOAT_VALUE
                        || index.isConstant(m.getInput(0))) {
                    continue;
                }
                return new Dense(m.getInput(0), matMul, add, weight, bias, m.getOutput(0));
            }
            return null;
        }

        /** The node computing {@code value} when it is a standard {@code op} read by {@code reader} alone, else -1. */
        private int producerOp(String value, String op, int reader) {
            int node = index.producer(value);
            if (!isOp(node, op) || index.isGraphOutput(value) || claimed.contains(node)) {
                return -1;
            }
            List<Integer> readers = index.consumers(value);
            return readers.size() == 1 && readers.get(0) == reader ? node : -1;
        }

        /** The one node reading {@code value}, when it is a standard {@code op}, else -1. */
        private int onlyReader(String value, String op) {
            List<Integer> readers = index.consumers(value);
            if (readers.size() != 1 || index.isGraphOutput(value) || !isOp(readers.get(0), op)) {
                return -1;
            }
            return readers.get(0);
        }

        private boolean isOp(int node, String op) {
            return node >= 0 && index.node(node).getOpType().equals(op) && GraphIndex.isStandard(index.node(node));
        }

        private boolean isVector(String value, long length) {
            TensorProto t = index.initializer(value);
            return t != null && t.getDimsCount() == 1 && t.getDims(0) == length
                    && t.getDataType() == TensorProto.DataType.FLOAT_VALUE;
        }

        /** A float initializer holding one value (a scalar or a one-element tensor), or null. */
        private Float floatScalar(String value) {
            TensorProto t = index.initializer(value);
            if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                return null;
            }
            FloatBuffer values = FloatTensor.values(t);
            return values.remaining() == 1 ? values.get(0) : null;
        }

        private static float floatAttributeOf(NodeProto node, String name, float fallback) {
            for (AttributeProto a : node.getAttributeList()) {
                if (a.getName().equals(name)) {
                    return a.getF();
                }
            }
            return fallback;
        }

        /** Shapes recorded for values that are gone or now computed otherwise are dropped, not trusted. */
        private void dropStaleShapes(GraphProto.Builder g) {
            Set<String> produced = new HashSet<>();
            g.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
            List<ValueInfoProto> kept = g.getValueInfoList().stream()
                    .filter(v -> produced.contains(v.getName()) && !replacedOutputs().contains(v.getName())).toList();
            g.clearValueInfo().addAllValueInfo(kept);
        }

        private Set<String> replacedOutputs() {
            Set<String> out = new HashSet<>();
            claimed.forEach(i -> out.addAll(index.node(i).getOutputList()));
            return out;
        }
    }

    private record Dense(String input, int matMul, int add, TensorProto weight, TensorProto bias, String output) {
        String weightName() {
            return weight.getName();
        }

        String biasName() {
            return bias.getName();
        }
    }

    private record Projection(Dense dense, long heads, long headSize, List<Integer> nodes) {
        String input() {
            return dense.input();
        }

        TensorProto weight() {
            return dense.weight();
        }

        TensorProto bias() {
            return dense.bias();
        }
    }

    /** The mask's chain: the graph input, Cast to float, then Unsqueeze, Sub and Mul by the filter value. */
    private record MaskBias(String input, float filterValue, int cast, List<Integer> others) {}

    /** One self-attention block: its projections, its mask and the Add of it, the scale, its last node, all nodes. */
    private record AttentionBlock(Projection q, Projection k, Projection v, MaskBias mask, int maskAdd, float scale,
                                  int flatten, List<Integer> nodes) {}
}
