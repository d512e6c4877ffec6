package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.onnx.BertConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes what a Hugging Face export of a BERT checkpoint has besides the graph: {@code tokenizer.json} (made from
 * {@code vocab.txt}, the same as transformers' BertTokenizerFast produces), {@code tokenizer_config.json} and
 * {@code config.json}. The engine reads everything model-specific from these files, so they must be exact.
 */
final class BertTokenizerFiles {
    static final String PAD = "[PAD]";
    static final String UNK = "[UNK]";
    static final String CLS = "[CLS]";
    static final String SEP = "[SEP]";
    static final String MASK = "[MASK]";
    static final int MODEL_MAX_LENGTH = 512;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BertTokenizerFiles() {}

    /** vocab.txt: one token a line, the line number is the id. */
    static List<String> readVocab(Path vocabTxt) throws IOException {
        List<String> vocab = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
        if (vocab.isEmpty()) {
            throw new IOException(vocabTxt + " is empty");
        }
        return vocab;
    }

    static void writeAll(Path dir, List<String> vocab, boolean lowerCase, BertConfig config) throws IOException {
        writeTokenizerJson(dir.resolve("tokenizer.json"), vocab, lowerCase);
        writeTokenizerConfig(dir.resolve("tokenizer_config.json"), lowerCase);
        writeConfig(dir.resolve("config.json"), config, vocab.indexOf(PAD));
    }

    static void writeTokenizerJson(Path file, List<String> vocab, boolean lowerCase) throws IOException {
        ObjectNode vocabIds = JSON.createObjectNode();
        for (int id = 0; id < vocab.size(); id++) {
            if (vocabIds.has(vocab.get(id))) {
                throw new IOException("vocab.txt has " + vocab.get(id) + " twice (lines " + (vocabIds.get(vocab.get(id)).asInt() + 1)
                        + " and " + (id + 1) + ")");
            }
            vocabIds.put(vocab.get(id), id);
        }
        int cls = idOf(vocab, CLS);
        int sep = idOf(vocab, SEP);

        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        // Sorted by id, as the Rust library writes them.
        List<String> specials = new ArrayList<>(List.of(PAD, UNK, CLS, SEP, MASK));
        specials.sort(Comparator.comparingInt(vocab::indexOf));
        ArrayNode added = root.putArray("added_tokens");
        for (String special : specials) {
            ObjectNode t = added.addObject();
            t.put("id", idOf(vocab, special));
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }

        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "BertNormalizer");
        normalizer.put("clean_text", true);
        normalizer.put("handle_chinese_chars", true);
        normalizer.putNull("strip_accents");
        normalizer.put("lowercase", lowerCase);

        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");

        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, CLS, 0);
        sequence(single, "A", 0);
        special(single, SEP, 0);
        ArrayNode pair = post.putArray("pair");
        special(pair, CLS, 0);
        sequence(pair, "A", 0);
        special(pair, SEP, 0);
        sequence(pair, "B", 1);
        special(pair, SEP, 1);
        ObjectNode specialTokens = post.putObject("special_tokens");
        specialTokenIds(specialTokens, CLS, cls);
        specialTokenIds(specialTokens, SEP, sep);

        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "WordPiece");
        decoder.put("prefix", "##");
        decoder.put("cleanup", true);

        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", UNK);
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        model.set("vocab", vocabIds);

        JSON.writeValue(file.toFile(), root);
    }

    static void writeTokenizerConfig(Path file, boolean lowerCase) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("tokenizer_class", "BertTokenizer");
        root.put("do_lower_case", lowerCase);
        root.put("tokenize_chinese_chars", true);
        root.putNull("strip_accents");
        root.put("unk_token", UNK);
        root.put("sep_token", SEP);
        root.put("pad_token", PAD);
        root.put("cls_token", CLS);
        root.put("mask_token", MASK);
        root.put("model_max_length", MODEL_MAX_LENGTH);
        root.put("clean_up_tokenization_spaces", true);
        JSON.writeValue(file.toFile(), root);
    }

    static void writeConfig(Path file, BertConfig config, int padTokenId) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("BertForMaskedLM");
        root.put("model_type", "bert");
        root.put("vocab_size", config.vocab());
        root.put("hidden_size", config.hidden());
        root.put("num_hidden_layers", config.layers());
        root.put("num_attention_heads", config.heads());
        root.put("intermediate_size", config.intermediate());
        root.put("hidden_act", "gelu");
        root.put("hidden_dropout_prob", 0.1);
        root.put("attention_probs_dropout_prob", 0.1);
        root.put("max_position_embeddings", config.maxPositions());
        root.put("type_vocab_size", config.typeVocab());
        root.put("initializer_range", 0.02);
        // Through the float's shortest decimal, so 1e-12f is written as 1e-12 and not 9.99999996e-13.
        root.put("layer_norm_eps", Double.parseDouble(Float.toString(config.layerNormEps())));
        root.put("pad_token_id", Math.max(padTokenId, 0));
        root.put("position_embedding_type", "absolute");
        JSON.writeValue(file.toFile(), root);
    }

    private static int idOf(List<String> vocab, String token) throws IOException {
        int id = vocab.indexOf(token);
        if (id < 0) {
            throw new IOException("vocab.txt has no " + token + " token: not a BERT vocabulary");
        }
        return id;
    }

    private static void special(ArrayNode template, String token, int typeId) {
        ObjectNode t = template.addObject().putObject("SpecialToken");
        t.put("id", token);
        t.put("type_id", typeId);
    }

    private static void sequence(ArrayNode template, String id, int typeId) {
        ObjectNode t = template.addObject().putObject("Sequence");
        t.put("id", id);
        t.put("type_id", typeId);
    }

    private static void specialTokenIds(ObjectNode specialTokens, String token, int id) {
        ObjectNode t = specialTokens.putObject(token);
        t.put("id", token);
        t.putArray("ids").add(id);
        t.putArray("tokens").add(token);
    }
}
