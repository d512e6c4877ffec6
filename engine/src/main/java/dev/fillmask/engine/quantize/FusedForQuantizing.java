package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.fillmask.engine.onnx.EncoderFusion;

import java.io.PrintStream;

/**
 * The float32 graph the quantizer starts from when {@link Int8Options#fused()}: the importer's encoder fused as the
 * float32 engine fuses it at load, except that each attention keeps its Q, K and V projections as plain MatMuls in
 * front of a MultiHeadAttention ({@link EncoderFusion.AttentionForm#PROJECTED}) so that they can go to int8 like the
 * other MatMuls. An int8 graph is never fused at load (it has contrib ops), so this is the only point where the
 * fusions can reach it.
 */
final class FusedForQuantizing {
    private FusedForQuantizing() {}

    /** The fused model, or {@code model} itself (with a line on {@code log}) when the fusion does not apply. */
    static ModelProto of(ModelProto model, PrintStream log) {
        EncoderFusion.Outcome outcome = EncoderFusion.fuse(model, EncoderFusion.AttentionForm.PROJECTED);
        if (outcome instanceof EncoderFusion.Fused fused) {
            log.println("fused the float32 encoder first: " + fused.describe());
            return fused.model();
        }
        log.println("the encoder could not be fused (" + ((EncoderFusion.NotFused) outcome).reason()
                + "); quantizing the graph as it is");
        return model;
    }
}
