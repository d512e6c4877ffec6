package dev.fillmask.engine.importer.huggingface;

import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.importer.TinyCheckpoints.Checkpoint;
import dev.fillmask.engine.importer.TinyCheckpoints.Flavor;

/**
 * A plain forward pass of a tiny checkpoint in float64, one sequence at a time, written from transformers' modeling
 * code (BertForMaskedLM, RobertaForMaskedLM, XLMRobertaForMaskedLM, DistilBertForMaskedLM) and nothing of the
 * importer or the graph writer: the weights by their Hugging Face names, torch's Linear {@code y = x Wᵀ + b}, the
 * positions as each model makes them, exact GELU, the LM head with the decoder tied to the word embeddings. The
 * engine's answers must match it: two independent paths.
 */
final class ReferenceMaskedLm {
    private final Checkpoint c;
    private final int h = TinyCheckpoints.HIDDEN;
    private final int heads = TinyCheckpoints.HEADS;
    private final int vocab;

    ReferenceMaskedLm(Checkpoint checkpoint) {
        this.c = checkpoint;
        this.vocab = checkpoint.vocab().size();
    }

    /** The vocabulary's probabilities at {@code position} (softmax of the logits), for one unpadded sequence. */
    double[] probabilities(long[] ids, int position) {
        double[] logits = logits(ids)[position];
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    double[][] logits(long[] ids) {
        boolean distil = c.flavor() == Flavor.DISTILBERT;
        boolean roberta = c.flavor() == Flavor.ROBERTA || c.flavor() == Flavor.XLM_ROBERTA;
        String m = distil ? "distilbert." : roberta ? "roberta." : "bert.";
        double eps = roberta ? TinyCheckpoints.LAYER_NORM_EPS_ROBERTA : TinyCheckpoints.LAYER_NORM_EPS_BERT;
        int n = ids.length;

        // Embeddings: words + positions (+ token type 0), then LayerNorm.
        double[] words = c.weight(m + "embeddings.word_embeddings.weight");
        double[] positions = c.weight(m + "embeddings.position_embeddings.weight");
        double[][] x = new double[n][h];
        int padding = c.padId();
        int tokensSoFar = 0;
        for (int t = 0; t < n; t++) {
            int position;
            if (roberta) {
                // create_position_ids_from_input_ids: cumsum of non-padding tokens, + padding_idx; pads at padding_idx.
                if (ids[t] != padding) {
                    tokensSoFar++;
                    position = tokensSoFar + padding;
                } else {
                    position = padding;
                }
            } else {
                position = t;
            }
            for (int j = 0; j < h; j++) {
                x[t][j] = words[(int) ids[t] * h + j] + positions[position * h + j];
                if (!distil) {
                    x[t][j] += c.weight(m + "embeddings.token_type_embeddings.weight")[j];
                }
            }
        }
        x = layerNorm(x, norm(m + "embeddings.LayerNorm", 0), norm(m + "embeddings.LayerNorm", 1), eps);

        for (int l = 0; l < TinyCheckpoints.LAYERS; l++) {
            String p = distil ? m + "transformer.layer." + l + "." : m + "encoder.layer." + l + ".";
            String q = distil ? p + "attention.q_lin" : p + "attention.self.query";
            String k = distil ? p + "attention.k_lin" : p + "attention.self.key";
            String v = distil ? p + "attention.v_lin" : p + "attention.self.value";
            String o = distil ? p + "attention.out_lin" : p + "attention.output.dense";
            String attentionNorm = distil ? p + "sa_layer_norm" : p + "attention.output.LayerNorm";
            String in = distil ? p + "ffn.lin1" : p + "intermediate.dense";
            String out = distil ? p + "ffn.lin2" : p + "output.dense";
            String outputNorm = distil ? p + "output_layer_norm" : p + "output.LayerNorm";

            double[][] attended = selfAttention(linear(x, q), linear(x, k), linear(x, v));
            x = layerNorm(add(linear(attended, o), x), norm(attentionNorm, 0), norm(attentionNorm, 1), eps);
            double[][] inner = gelu(linear(x, in));
            x = layerNorm(add(linear(inner, out), x), norm(outputNorm, 0), norm(outputNorm, 1), eps);
        }

        // The head: dense → gelu → LayerNorm → decoder (the word embeddings, transposed) + bias.
        String dense = distil ? "vocab_transform" : roberta ? "lm_head.dense" : "cls.predictions.transform.dense";
        String headNorm = distil ? "vocab_layer_norm" : roberta ? "lm_head.layer_norm" : "cls.predictions.transform.LayerNorm";
        String bias = distil ? "vocab_projector.bias" : roberta ? "lm_head.bias" : "cls.predictions.bias";
        double[][] hidden = layerNorm(gelu(linear(x, dense)), norm(headNorm, 0), norm(headNorm, 1), eps);
        double[] decoderBias = c.weight(bias);
        double[][] logits = new double[n][vocab];
        for (int t = 0; t < n; t++) {
            for (int w = 0; w < vocab; w++) {
                double s = decoderBias[w];
                for (int j = 0; j < h; j++) {
                    s += hidden[t][j] * words[w * h + j];
                }
                logits[t][w] = s;
            }
        }
        return logits;
    }

    /** A LayerNorm's scale (0) or shift (1), under either of the names checkpoints use. */
    private double[] norm(String module, int which) {
        String modern = module + (which == 0 ? ".weight" : ".bias");
        String old = module + (which == 0 ? ".gamma" : ".beta");
        return c.weights().containsKey(modern) ? c.weight(modern) : c.weight(old);
    }

    private double[][] selfAttention(double[][] q, double[][] k, double[][] v) {
        int n = q.length;
        int d = h / heads;
        double[][] context = new double[n][h];
        for (int head = 0; head < heads; head++) {
            int base = head * d;
            for (int i = 0; i < n; i++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[i][base + e] * k[j][base + e];
                    }
                    scores[j] = s / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < n; j++) {
                    for (int e = 0; e < d; e++) {
                        context[i][base + e] += scores[j] / sum * v[j][base + e];
                    }
                }
            }
        }
        return context;
    }

    /** torch.nn.Linear: weight [out, in], y = x Wᵀ + b. */
    private double[][] linear(double[][] x, String module) {
        double[] w = c.weight(module + ".weight");
        double[] b = c.weight(module + ".bias");
        int out = b.length;
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += x[t][i] * w[o * in + i];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    private static double[][] layerNorm(double[][] x, double[] gamma, double[] beta, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            int n = x[t].length;
            double mean = 0;
            for (double v : x[t]) {
                mean += v;
            }
            mean /= n;
            double variance = 0;
            for (double v : x[t]) {
                variance += (v - mean) * (v - mean);
            }
            variance /= n;
            y[t] = new double[n];
            for (int j = 0; j < n; j++) {
                y[t][j] = (x[t][j] - mean) / Math.sqrt(variance + eps) * gamma[j] + beta[j];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < a[t].length; j++) {
                y[t][j] = a[t][j] + b[t][j];
            }
        }
        return y;
    }

    /** transformers' "gelu": x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
    private static double[][] gelu(double[][] x) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            for (int j = 0; j < x[t].length; j++) {
                y[t][j] = 0.5 * x[t][j] * (1 + erf(x[t][j] / Math.sqrt(2)));
            }
        }
        return y;
    }

    /**
     * erf to about 1e-15: its Maclaurin series below 3 (the terms stay small enough that little is lost), and
     * beyond, 1 − erfc from erfc's continued fraction.
     */
    static double erf(double x) {
        double a = Math.abs(x);
        double result;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated from the tail.
            double f = a;
            for (int k = 60; k >= 1; k--) {
                f = a + (k / 2.0) / f;
            }
            result = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -result : result;
    }
}
