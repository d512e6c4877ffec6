package dev.fillmask.engine.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A model folder's version: a SHA-256 in lower-case hex that changes when the model does and is the same for every
 * copy of one model, so subtasks on different machines (each with its own copy of the folder) report one version.
 *
 * <ul>
 *   <li>An imported folder (it has the importer's manifest, {@value ModelFolder#MANIFEST_FILE}): the SHA-256 of the
 *       manifest file. The manifest records every file's size and SHA-256, model.onnx included, and
 *       {@link FolderIntegrity} has checked the files against it when the folder opened, so its hash stands for all
 *       of them, at the cost of hashing a few hundred bytes.</li>
 *   <li>Any other folder (someone's own export, or the int8 quantizer's copy, which drops the manifest): the SHA-256
 *       of config.json and tokenizer.json (small files) and of model.onnx's size. The size is there because a
 *       quantized copy keeps config and tokenizer as they are and only shrinks the model; hashing model.onnx itself
 *       would cost about a second per subtask start for BERT-base (see {@link FileDigest}), which is too much for a
 *       label. Two different exports of one size and the same config and tokenizer would share a version: then
 *       import them, or change their config.json.</li>
 * </ul>
 */
public final class ModelVersion {
    /** How many hex digits {@link #shortNumber} keeps: 32 bits, exact in a double (what Prometheus stores). */
    public static final int SHORT_HEX_DIGITS = 8;

    private ModelVersion() {}

    /** The version of a model folder, as described above; the folder is expected to have opened as a ModelFolder. */
    public static String of(Path folder) {
        try {
            Path manifest = folder.resolve(ModelFolder.MANIFEST_FILE);
            if (Files.isRegularFile(manifest)) {
                return FileDigest.sha256(manifest);
            }
            MessageDigest digest = sha256();
            for (String file : new String[] {ModelFolder.CONFIG_FILE, ModelFolder.TOKENIZER_FILE}) {
                // name and length before the content, so no two different pairs of files hash alike
                byte[] content = Files.readAllBytes(folder.resolve(file));
                digest.update((file + "\n" + content.length + "\n").getBytes(StandardCharsets.UTF_8));
                digest.update(content);
            }
            long modelSize = Files.size(folder.resolve(ModelFolder.MODEL_FILE));
            digest.update((ModelFolder.MODEL_FILE + "\n" + modelSize + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + folder + " to tell its model version", e);
        }
    }

    /**
     * The first {@value #SHORT_HEX_DIGITS} hex digits of a version as a number (0 to 4294967295): what a metric
     * reporter that only takes numbers (Prometheus) can carry. {@code printf %08x N} turns it back into those digits.
     */
    public static long shortNumber(String version) {
        return Long.parseLong(version.substring(0, SHORT_HEX_DIGITS), 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
