package dev.fillmask.engine.importer.huggingface;

import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.onnx.WeightSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The graph's weights out of a Hugging Face checkpoint: each TF-style name the graph asks for is looked up under
 * the architecture's tensor names, checked against the shape the config implies (an error names the file, the tensor
 * and both shapes), and handed out as float32 [in, out] where the graph multiplies by it: a float32 tensor in the
 * orientation the graph needs is the checkpoint's own mapped bytes, anything else is converted into scratch.
 */
final class CheckpointWeights implements WeightSource {
    private final CheckpointTensors tensors;
    private final Architecture architecture;
    private final ScratchFloats scratch;

    CheckpointWeights(CheckpointTensors tensors, Architecture architecture, ScratchFloats scratch) {
        this.tensors = tensors;
        this.architecture = architecture;
        this.scratch = scratch;
    }

    @Override
    public FloatTensor tensor(String graphName, long... shape) {
        List<Architecture.TensorName> names = architecture.tensorNames(graphName);
        for (Architecture.TensorName name : names) {
            var found = tensors.find(name.name());
            if (found.isPresent()) {
                return read(found.get(), name.transposed(), shape);
            }
        }
        throw new ModelImportException("the checkpoint's " + tensors.source() + " has no tensor "
                + names.stream().map(Architecture.TensorName::name).distinct().collect(Collectors.joining(" or "))
                + ", which a " + architecture.name().toLowerCase(java.util.Locale.ROOT) + " masked-LM needs");
    }

    private FloatTensor read(CheckpointTensors.Located located, boolean transposed, long[] graphShape) {
        SafetensorsFile.Entry entry = located.entry();
        long[] expected = transposed ? new long[] {graphShape[1], graphShape[0]} : graphShape;
        if (!Arrays.equals(entry.shape(), expected)) {
            throw new ModelImportException(located.describe() + " has shape " + Arrays.toString(entry.shape())
                    + ", but config.json's sizes make it " + Arrays.toString(expected));
        }
        SafetensorsFile.DType dtype = entry.dtype();
        if (dtype == SafetensorsFile.DType.OTHER) {
            throw new ModelImportException(located.describe() + " is " + entry.dtypeName()
                    + "; the importer reads F32, F16 and BF16 weights");
        }
        ByteBuffer bytes = located.file().map(entry);
        if (dtype == SafetensorsFile.DType.F32 && !transposed) {
            return new FloatTensor(bytes, graphShape);
        }
        ScratchFloats.Elements elements = switch (dtype) {
            case F32 -> i -> bytes.getFloat(i * Float.BYTES);
            case F16 -> i -> ScratchFloats.halfToFloat(bytes.getShort(i * 2));
            case BF16 -> i -> ScratchFloats.bfloat16ToFloat(bytes.getShort(i * 2));
            case OTHER -> throw new IllegalStateException("refused above");
        };
        try {
            return scratch.write(elements, entry.shape(), transposed);
        } catch (IOException e) {
            throw new ModelImportException("cannot convert " + located.describe() + " into the scratch folder: "
                    + e.getMessage(), e);
        }
    }
}
