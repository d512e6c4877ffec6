package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.engine.onnx.GraphEditor;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The few activation channels kept out of int8. BERT has a handful per layer-norm and GELU output (e.g. 308 and 381
 * after its layer norms) at 40–700 times the median channel; with one activation scale per tensor they would leave
 * the ordinary values a few levels. So the int8 MatMuls see them as zeros (one Mul per activation, shared by all its
 * readers) and a small float32 MatMul over just those channels, gathered once per activation, adds their part back.
 */
final class OutlierChannels {
    /**
     * An activation has outliers worth taking out of int8 when its largest channel maximum is this many times the
     * median channel's; below that, one scale per tensor serves it well and the extra ops would only cost time.
     */
    static final double ACTIVATION_OUTLIER_RATIO = 16;
    /** In such an activation, a channel is an outlier when its maximum exceeds this many times the median's. */
    static final double CHANNEL_OUTLIER_RATIO = 4;

    /**
     * One activation with its outlier channels split off.
     *
     * @param int8Input the activation with the outlier channels zeroed, for the int8 MatMuls
     * @param keep per channel, 1 for those left in int8 and 0 for the outliers: the weights' rows are scaled by it
     * @param gathered the outlier channels alone, for the float32 MatMuls
     * @param channels the outlier channels, ascending
     */
    record Split(String int8Input, float[] keep, String gathered, int[] channels) {

        /**
         * The nodes that take {@code int8}'s place: it computes the ordinary channels' part, a float32 MatMul over
         * the gathered channels and the weight's matching rows the outliers' part, and an Add (bias already in the
         * int8 part) gives the output {@code int8} had.
         */
        List<NodeProto> addBack(GraphEditor editor, NodeProto int8, TensorProto weight) {
            String output = int8.getOutput(0);
            String int8Part = editor.freshName(output + "/int8_part");
            String floatPart = editor.freshName(output + "/outlier_part");
            String outlierRows = editor.addFloats(weight.getName() + "/outlier_rows", FloatWeights.rows(weight, channels),
                    channels.length, weight.getDims(1));
            return List.of(
                    GraphEditor.withOutputRenamed(int8, output, int8Part),
                    OnnxGraphBuilder.newNode("MatMul", floatPart, List.of(gathered, outlierRows), floatPart),
                    OnnxGraphBuilder.newNode("Add", output, List.of(int8Part, floatPart), output));
        }
    }

    private OutlierChannels() {}

    /**
     * The channels whose calibrated maximum is over {@link #CHANNEL_OUTLIER_RATIO} times the median channel's, largest
     * first, at most {@code limit}, in activations whose largest channel is over {@link #ACTIVATION_OUTLIER_RATIO}
     * times the median; returned ascending. None without calibrated maxima.
     */
    static int[] find(float[] activationMax, int limit) {
        if (activationMax == null || limit <= 0) {
            return new int[0];
        }
        float[] sorted = activationMax.clone();
        Arrays.sort(sorted);
        float median = sorted[sorted.length / 2];
        if (sorted[sorted.length - 1] <= ACTIVATION_OUTLIER_RATIO * median) {
            return new int[0];
        }
        double threshold = CHANNEL_OUTLIER_RATIO * median;
        return IntStream.range(0, activationMax.length)
                .filter(j -> activationMax[j] > threshold)
                .boxed()
                .sorted((a, b) -> Float.compare(activationMax[b], activationMax[a]))
                .limit(limit)
                .mapToInt(Integer::intValue)
                .sorted()
                .toArray();
    }

    /**
     * Adds to {@code preparation} the Mul that zeroes {@code channels} of {@code activation} (of {@code width}
     * channels) and the Gather that picks them out.
     */
    static Split split(GraphEditor editor, String activation, int width, int[] channels, List<NodeProto> preparation) {
        float[] keep = new float[width];
        Arrays.fill(keep, 1f);
        for (int j : channels) {
            keep[j] = 0f;
        }
        String keepName = editor.addFloats(activation + "/int8_multiplier", keep, width);
        String int8Input = editor.freshName(activation + "/int8_input");
        preparation.add(OnnxGraphBuilder.newNode("Mul", int8Input, List.of(activation, keepName), int8Input));
        String indices = editor.addInt64s(activation + "/outlier_channels",
                Arrays.stream(channels).asLongStream().toArray());
        String gathered = editor.freshName(activation + "/outliers");
        preparation.add(OnnxGraphBuilder.newNode("Gather", gathered, List.of(activation, indices), gathered,
                OnnxGraphBuilder.intAttribute("axis", -1)));
        return new Split(int8Input, keep, gathered, channels);
    }
}
